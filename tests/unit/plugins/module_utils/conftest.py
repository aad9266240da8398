import pytest

from .graph_stub import GraphStub, make_jwt


@pytest.fixture
def graph_stub(tmp_path):
    stub = GraphStub(tmp_path)
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
