"""GraphClient against a scripted HTTPS stub: retries, bounded wait, paging, errors, token cache."""

from __future__ import annotations

import os
import stat
import time

import pytest
from ansible_collections.procall.msteams.plugins.module_utils._graph_client import (
    GraphAuthError,
    GraphClient,
    GraphConfigError,
    GraphError,
    GraphSettings,
    required_permission,
)

from .graph_stub import DROP, GraphStub, make_jwt

SECRET = "s3cr3t-Value~that.must_never-leak"


def err(status, code, rid="rid-1", headers=None):
    return status, headers or {}, {"error": {"code": code, "message": "%s happened" % code, "innerError": {"request-id": rid}}}


class Recorder:
    def __init__(self):
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)

    def spread(self):
        """The full backoff of each retry (no jitter), so the waits are exact."""
        return 1.0


def client(params, rec=None, **overrides):
    rec = rec or Recorder()
    merged = dict(params, **overrides)
    return GraphClient(merged, sleep=rec.sleep, spread=rec.spread)


def test_429_is_retried_after_retry_after_and_reported(graph_stub, stub_params):
    graph_stub.add("GET", r"^/v1.0/applications", err(429, "TooManyRequests", headers={"Retry-After": "7"}), (200, {}, {"value": [{"id": "a"}]}))
    rec = Recorder()
    c = client(stub_params, rec)
    assert c.list("applications") == [{"id": "a"}]
    assert rec.sleeps == [7]
    assert len(graph_stub.graph_requests()) == 2
    # Recorded for the result, not warned about: 7 s of max_retry_wait=120 is Graph's weather.
    assert c.retry_report() == {"graph_retries": ["GET /applications: 429, waited 7 s"], "warning": None}


@pytest.mark.parametrize("status", [500, 502, 503, 504, 409])
def test_transient_statuses_are_retried_for_updates(graph_stub, stub_params, status):
    graph_stub.add("PATCH", r"^/v1.0/applications/x", err(status, "Transient"), (204, {}, None))
    rec = Recorder()
    assert client(stub_params, rec).patch("applications/x", {"notes": "n"}) == (204, None)
    assert len(rec.sleeps) == 1 and len(graph_stub.graph_requests()) == 2


def test_post_after_5xx_is_resent_only_after_the_recheck_found_nothing(graph_stub, stub_params):
    # Issue 14: a POST that may have created the object is retried safely: re-read by its key first.
    graph_stub.add("POST", r"^/v1.0/applications", err(503, "ServiceUnavailable"), (201, {}, {"id": "new"}))
    checks = []
    assert client(stub_params).post("applications", {"displayName": "x"}, recheck=lambda maybe_done: checks.append(maybe_done) or None) == {"id": "new"}
    assert checks == [True] and len(graph_stub.graph_requests()) == 2


def test_post_whose_object_the_recheck_finds_is_not_resent(graph_stub, stub_params):
    graph_stub.add("POST", r"^/v1.0/applications", err(502, "BadGateway"), (201, {}, {"id": "dup"}))
    assert client(stub_params).post("applications", {"displayName": "x"}, recheck=lambda maybe_done: {"id": "existing"}) == {"id": "existing"}
    assert len(graph_stub.graph_requests()) == 1


def test_a_dropped_connection_is_retried_for_every_method(graph_stub, stub_params):
    graph_stub.add("POST", r"^/v1.0/servicePrincipals", DROP, (201, {}, {"id": "sp"}))
    rec = Recorder()
    c = client(stub_params, rec)
    assert c.post("servicePrincipals", {"appId": "a"}) == {"id": "sp"}
    assert len(rec.sleeps) == 1 and c.retry_report()["graph_retries"][0].startswith("POST /servicePrincipals: connection failed (")


def test_5xx_beyond_the_budget_says_which_call_how_long_and_that_a_rerun_is_safe(graph_stub, stub_params):
    graph_stub.add("POST", r"^/v1.0/applications/x/addPassword", err(503, "ServiceUnavailable", rid="rid-503"))
    rec = Recorder()
    with pytest.raises(GraphError) as exc:
        client(stub_params, rec, max_retry_wait=7).post("applications/x/addPassword", {}, action="add a client secret")
    text = str(exc.value)
    assert rec.sleeps == [1.0, 2.0, 4.0]  # time-bounded only: the whole budget is used
    assert text.startswith("Could not add a client secret: Graph answered 503 ServiceUnavailable (request-id rid-503)")
    assert "POST /applications/x/addPassword" in text and "7 s" in text and "run again" in text and "\n" not in text


def test_a_duplicate_409_is_final_a_transient_409_is_retried(graph_stub, stub_params):
    graph_stub.add("POST", r"^/v1.0/oauth2PermissionGrants", err(409, "Request_MultipleObjectsWithSameKeyValue"))
    graph_stub.add("PATCH", r"^/v1.0/applications/x", err(409, "Request_Conflict"), (204, {}, None))
    rec = Recorder()
    with pytest.raises(GraphError) as exc:
        client(stub_params, rec).post("oauth2PermissionGrants", {})
    assert exc.value.status == 409 and rec.sleeps == []
    assert client(stub_params, rec).patch("applications/x", {}) == (204, None) and rec.sleeps == [1.0]


def test_post_is_retried_on_429(graph_stub, stub_params):
    graph_stub.add("POST", r"^/v1.0/applications", err(429, "TooManyRequests", headers={"Retry-After": "1"}), (201, {}, {"id": "new"}))
    assert client(stub_params).post("applications", {"displayName": "x"}) == {"id": "new"}


def test_total_wait_is_bounded_by_max_retry_wait(graph_stub, stub_params):
    graph_stub.add("GET", r"^/v1.0/applications", err(429, "TooManyRequests", rid="rid-throttled", headers={"Retry-After": "4"}))
    rec = Recorder()
    with pytest.raises(GraphError) as exc:
        client(stub_params, rec, max_retry_wait=10).get("applications/x", action="read the application")
    assert sum(rec.sleeps) <= 10
    assert rec.sleeps == [4, 4]
    text = str(exc.value)
    assert "429 TooManyRequests" in text and "rid-throttled" in text and "max_retry_wait" in text


def test_retry_after_longer_than_the_budget_fails_at_once(graph_stub, stub_params):
    graph_stub.add("GET", r"^/v1.0/applications", err(429, "TooManyRequests", headers={"Retry-After": "3600"}))
    rec = Recorder()
    with pytest.raises(GraphError):
        client(stub_params, rec, max_retry_wait=5).get("applications/x")
    assert rec.sleeps == []
    assert len(graph_stub.graph_requests()) == 1


def test_next_link_to_another_host_is_not_followed(graph_stub, stub_params):
    graph_stub.add("GET", r"^/v1.0/applications", (200, {}, {"value": [{"id": "a"}], "@odata.nextLink": "https://evil.example/v1.0/applications?x=1"}))
    with pytest.raises(GraphError) as exc:
        client(stub_params).list("applications")
    assert "nextLink" in str(exc.value) and "evil.example" in str(exc.value)
    plain = graph_stub.url.replace("https://", "http://") + "/v1.0/applications?$skiptoken=2"
    graph_stub.routes.clear()
    graph_stub.add("GET", r"^/v1.0/applications", (200, {}, {"value": [], "@odata.nextLink": plain}))
    with pytest.raises(GraphError):
        client(stub_params).list("applications")
    assert len(graph_stub.graph_requests()) == 2  # neither link was requested


def test_paging_follows_next_link_and_resends_consistency_level(graph_stub, stub_params):
    next_link = graph_stub.url + "/v1.0/applications?$skiptoken=page2"
    graph_stub.add("GET", r"skiptoken=page2", (200, {}, {"value": [{"id": "b"}]}))
    graph_stub.add("GET", r"^/v1.0/applications", (200, {}, {"value": [{"id": "a"}], "@odata.nextLink": next_link}))
    items = client(stub_params).list("applications", params={"$count": "true"}, headers={"ConsistencyLevel": "eventual"})
    assert [i["id"] for i in items] == ["a", "b"]
    pages = graph_stub.graph_requests()
    assert len(pages) == 2
    assert all(p["headers"].get("ConsistencyLevel") == "eventual" for p in pages)


def test_403_names_the_missing_permission_and_request_id(graph_stub, stub_params):
    graph_stub.add("POST", r"^/v1.0/servicePrincipals/[^/]+/appRoleAssignedTo", err(403, "Authorization_RequestDenied", rid="rid-403"))
    with pytest.raises(GraphError) as exc:
        client(stub_params).post("servicePrincipals/sp1/appRoleAssignedTo", {}, action="grant Presence.ReadWrite.All")
    text = str(exc.value)
    assert text.startswith("Could not grant Presence.ReadWrite.All: Graph answered 403 Authorization_RequestDenied (request-id rid-403)")
    assert "AppRoleAssignment.ReadWrite.All" in text
    assert "Application.Read.All" in text  # what the token carries
    assert "\n" not in text


def test_required_permission_table():
    assert required_permission("PATCH", "/applications/abc").startswith("Application.ReadWrite.OwnedBy")
    assert required_permission("POST", "/applications").startswith("AppRegistration.Create")
    assert required_permission("POST", "/oauth2PermissionGrants") == "DelegatedPermissionGrant.ReadWrite.All"
    assert required_permission("GET", "/applications?$filter=x") == "Application.Read.All"


def test_replication_lag_is_retried_only_for_objects_this_run_created(graph_stub, stub_params):
    graph_stub.add("GET", r"^/v1.0/applications/new1", err(404, "Request_ResourceNotFound"), err(404, "Request_ResourceNotFound"), (200, {}, {"id": "new1"}))
    graph_stub.add("GET", r"^/v1.0/applications/other", err(404, "Request_ResourceNotFound"))
    no_backing = (
        400,
        {},
        {
            "error": {
                "code": "Request_BadRequest",
                "message": "appId does not reference a valid application object.",
                "details": [{"code": "NoBackingApplicationObject"}],
            }
        },
    )
    graph_stub.add("POST", r"^/v1.0/servicePrincipals$", no_backing, (201, {}, {"id": "sp"}))
    rec = Recorder()
    c = client(stub_params, rec)
    with pytest.raises(GraphError) as exc:
        c.get("applications/other")
    assert exc.value.status == 404 and rec.sleeps == []
    c.expect_new("new1")
    c.expect_new("app-id-1")
    assert c.get("applications/new1") == {"id": "new1"}
    assert c.post("servicePrincipals", {"appId": "app-id-1"}) == {"id": "sp"}
    assert len(rec.sleeps) == 3 and all("right after the object was created (replication)" in n for n in c.retry_report()["graph_retries"])


def test_tls_failure_says_how_to_set_ca_path(graph_stub, stub_params):
    params = dict(stub_params)
    params.pop("ca_path")
    with pytest.raises(GraphError) as exc:
        client(params).get("applications/x")
    assert "Set ca_path" in str(exc.value)


def test_ca_path_wins_over_requests_ca_bundle(graph_stub, stub_params, monkeypatch):
    # reference/tooling.md: REQUESTS_CA_BUNDLE overrides Session.verify; ca_path must still hold.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/bundle.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/bundle.pem")
    graph_stub.add("GET", r"^/v1.0/organization", (200, {}, {"value": [{"id": "org"}]}))
    assert client(stub_params).list("organization") == [{"id": "org"}]


@pytest.mark.parametrize(
    "overrides, needle",
    [
        ({"tenant_id": "not a tenant!"}, "tenant_id"),
        ({"client_id": "12345"}, "client_id"),
        ({"graph_endpoint": "http://127.0.0.1:1"}, "https://"),
        ({"client_secret": None}, "No credential"),
        ({"cloud": "mars"}, "cloud"),
    ],
)
def test_bad_options_are_rejected_before_any_request(overrides, needle):
    params = {"tenant_id": GraphStub.TENANT, "client_id": "0d1e2f3a-0000-4000-8000-000000000001", "client_secret": SECRET}
    params.update(overrides)
    with pytest.raises(GraphConfigError) as exc:
        GraphSettings(params)
    assert needle in str(exc.value)
    assert SECRET not in str(exc.value)


def test_cloud_sets_hosts_and_endpoints_override():
    base = {"tenant_id": "contoso.onmicrosoft.com", "client_id": "0d1e2f3a-0000-4000-8000-000000000001", "client_secret": SECRET}
    gov = GraphSettings(dict(base, cloud="usgovernment_dod"))
    assert (gov.login_endpoint, gov.graph_endpoint) == ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us")
    assert gov.instance_discovery
    local = GraphSettings(dict(base, login_endpoint="https://127.0.0.1:9/", graph_endpoint="https://127.0.0.1:9"))
    assert local.authority == "https://127.0.0.1:9/contoso.onmicrosoft.com"
    assert not local.instance_discovery


def secret_params(graph_stub, tmp_path, secret=SECRET):
    return {
        "tenant_id": GraphStub.TENANT,
        "client_id": "0d1e2f3a-0000-4000-8000-000000000001",
        "client_secret": secret,
        "login_endpoint": graph_stub.url,
        "graph_endpoint": graph_stub.url,
        "ca_path": graph_stub.ca_path,
        "token_cache_path": str(tmp_path / "cache"),
    }


def test_token_is_reused_across_client_instances_through_the_encrypted_cache(graph_stub, tmp_path):
    graph_stub.add("GET", r"^/v1.0/organization", (200, {}, {"value": [{"id": "org"}]}))
    params = secret_params(graph_stub, tmp_path)
    first = GraphClient(params)
    first.list("organization")
    second = GraphClient(params)
    second.list("organization")
    assert len(graph_stub.token_requests()) == 1
    # msal's tenant discovery is persisted too: the second client makes no login request at all.
    assert len([e for e in graph_stub.log if "openid-configuration" in e["path"]]) == 1
    assert second.tenant_id == GraphStub.TENANT
    files = [f for f in os.listdir(tmp_path / "cache") if f.endswith(".cache")]
    assert len(files) == 1
    path = tmp_path / "cache" / files[0]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    blob = path.read_bytes()
    assert first.token.encode() not in blob
    assert first.token.split(".")[1].encode() not in blob
    assert SECRET.encode() not in blob and b"access_token" not in blob.lower() and b"AccessToken" not in blob
    # Another credential can neither read nor reuse it: it gets its own token.
    GraphClient(secret_params(graph_stub, tmp_path, secret="another-secret-value")).list("organization")
    assert len(graph_stub.token_requests()) == 2


def test_token_cache_can_be_disabled(graph_stub, tmp_path):
    graph_stub.add("GET", r"^/v1.0/organization", (200, {}, {"value": []}))
    params = dict(secret_params(graph_stub, tmp_path), token_cache_path="false")
    GraphClient(params).list("organization")
    GraphClient(params).list("organization")
    assert len(graph_stub.token_requests()) == 2
    assert not (tmp_path / "cache").exists()


def test_wrong_secret_names_the_aadsts_code(graph_stub, tmp_path):
    with pytest.raises(GraphAuthError) as exc:
        GraphClient(secret_params(graph_stub, tmp_path, secret="wrong")).list("organization")
    text = str(exc.value)
    assert "AADSTS7000215" in text and "client secret is wrong" in text
    assert "\n" not in text and "wrong" not in text.split("AADSTS7000215", maxsplit=1)[0]


def test_acquire_token_for_another_app_returns_claims(graph_stub, tmp_path):
    c = GraphClient(secret_params(graph_stub, tmp_path))
    claims = c.acquire_token_for("0d1e2f3a-0000-4000-8000-000000000002", "other-secret", GraphStub.TENANT)
    assert claims["tid"] == GraphStub.TENANT
    with pytest.raises(GraphAuthError) as exc:
        c.acquire_token_for("0d1e2f3a-0000-4000-8000-000000000002", "wrong", GraphStub.TENANT)
    assert exc.value.code == "7000215"


def test_certificate_auth_reads_pem_and_signs(graph_stub, tmp_path):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "automation")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    path = tmp_path / "automation.pem"
    path.write_bytes(pem)
    params = secret_params(graph_stub, tmp_path)
    params.pop("client_secret")
    params.update(certificate_path=str(path), certificate_password="pw")
    graph_stub.add("GET", r"^/v1.0/organization", (200, {}, {"value": []}))
    GraphClient(params).list("organization")
    token_body = graph_stub.token_requests()[0]["body"]
    assert "client_assertion=" in token_body and "client_secret" not in token_body
    # The same PEM given as content (for example from a vault) works too and takes precedence.
    content = dict(params, certificate=pem.decode(), certificate_path="/nonexistent.pem", token_cache_path="false")
    GraphClient(content).list("organization")
    assert len(graph_stub.token_requests()) == 2
    with pytest.raises(GraphConfigError) as exc:
        GraphClient(dict(params, certificate_password="bad", token_cache_path="false")).list("organization")
    assert "certificate_password" in str(exc.value)


def test_a_token_graph_refuses_is_renewed_once(graph_stub, tmp_path):
    graph_stub.add("GET", r"^/v1.0/organization", err(401, "InvalidAuthenticationToken"), (200, {}, {"value": [{"id": "org"}]}))
    params = secret_params(graph_stub, tmp_path)
    assert GraphClient(params).list("organization") == [{"id": "org"}]
    assert len(graph_stub.token_requests()) == 2
    # The renewed token is what the cache holds now: the next client asks no token.
    GraphClient(params).list("organization")
    assert len(graph_stub.token_requests()) == 2


def test_managed_identity_user_assigned_gets_a_token(graph_stub, monkeypatch):
    # msal's App Service flavour of managed identity reads these variables; the stub plays the endpoint.
    seen = {}

    def msi(entry):
        seen.update(entry)
        claims = {"tid": GraphStub.TENANT, "roles": ["Application.Read.All"]}
        return 200, {}, {"access_token": make_jwt(claims), "expires_on": str(int(time.time()) + 3600), "resource": graph_stub.url, "token_type": "Bearer"}

    graph_stub.add("GET", r"^/msi/token", msi)
    graph_stub.add("GET", r"^/v1.0/organization", (200, {}, {"value": [{"id": "org"}]}))
    monkeypatch.setenv("IDENTITY_ENDPOINT", graph_stub.url + "/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", "header-value")
    params = {
        "managed_identity": "user",
        "managed_identity_client_id": "0d1e2f3a-0000-4000-8000-000000000009",
        "graph_endpoint": graph_stub.url,
        "ca_path": graph_stub.ca_path,
    }
    c = GraphClient(params)
    assert c.list("organization") == [{"id": "org"}]
    assert c.tenant_id == GraphStub.TENANT
    assert "client_id=0d1e2f3a-0000-4000-8000-000000000009" in seen["path"]
    assert "resource=" in seen["path"]


def test_env_fallbacks_accept_both_spellings(monkeypatch):
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    from ansible_collections.procall.msteams.plugins.module_utils._graph_module import AUTH_ARGSPEC

    monkeypatch.setenv("AZURE_TENANT", "contoso.onmicrosoft.com")
    monkeypatch.setenv("AZURE_CLIENT_ID", "0d1e2f3a-0000-4000-8000-000000000001")
    monkeypatch.setenv("AZURE_SECRET", SECRET)
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    result = ArgumentSpecValidator(AUTH_ARGSPEC).validate({})
    params = result.validated_parameters
    assert (params["tenant_id"], params["client_secret"]) == ("contoso.onmicrosoft.com", SECRET)
    assert SECRET in result._no_log_values
    monkeypatch.setenv("AZURE_TENANT_ID", "fabrikam.onmicrosoft.com")
    assert ArgumentSpecValidator(AUTH_ARGSPEC).validate({}).validated_parameters["tenant_id"] == "fabrikam.onmicrosoft.com"


def test_access_token_is_used_as_is(graph_stub, stub_params):
    graph_stub.add("GET", r"^/v1.0/organization", (200, {}, {"value": []}))
    c = GraphClient(stub_params)
    c.list("organization")
    assert graph_stub.graph_requests()[0]["headers"]["Authorization"] == "Bearer " + stub_params["access_token"]
    assert graph_stub.token_requests() == []
    assert c.tenant_id == GraphStub.TENANT
