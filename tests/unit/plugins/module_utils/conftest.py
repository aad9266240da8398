import pytest

from .graph_stub import GraphStub, make_ca_and_cert, make_jwt


@pytest.fixture(scope="session")
def graph_stub_certs(tmp_path_factory):
    """One CA and server certificate for every stub of the session (each test still gets its own server)."""
    return make_ca_and_cert(tmp_path_factory.mktemp("graph-stub-tls"))


@pytest.fixture
def graph_stub(tmp_path, graph_stub_certs):
    stub = GraphStub(tmp_path, certs=graph_stub_certs)
    yield stub
    stub.stop()


@pytest.fixture
def stub_params(graph_stub, tmp_path):
    """Module params for a client talking to the stub with a ready token (no msal)."""
    return {
        "tenant_id": GraphStub.TENANT,
        "access_token": make_jwt({"tid": GraphStub.TENANT, "roles": ["Application.Read.All"]}),
        "login_endpoint": graph_stub.url,
        "graph_endpoint": graph_stub.url,
        "ca_path": graph_stub.ca_path,
        "validate_certs": True,
        "timeout": 10,
        "max_retry_wait": 30,
        "token_cache_path": str(tmp_path / "cache"),
    }
