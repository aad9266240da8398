"""Issue 14 / issue 9 findings on the Graph stack, each against a scripted HTTPS stub or pure functions."""

from __future__ import annotations

import os
import time

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.procall.msteams.plugins.module_utils import _token_cache
from ansible_collections.procall.msteams.plugins.module_utils._app_lookup import find_application
from ansible_collections.procall.msteams.plugins.module_utils._graph_client import GraphClient
from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import GraphAuthError, GraphConfigError, GraphError
from ansible_collections.procall.msteams.plugins.module_utils._graph_module import AUTH_ARGSPEC
from ansible_collections.procall.msteams.plugins.module_utils._graph_settings import GraphSettings, cloud_from_environment

from .graph_stub import DROP, GraphStub

SECRET = "s3cr3t-Value~that.must_never-leak"
CLIENT = "0d1e2f3a-0000-4000-8000-000000000001"


class Recorder:
    def __init__(self):
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)

    def spread(self):
        """The full backoff of each retry (no jitter), so the waits are exact."""
        return 1.0


def secret_params(stub, tmp_path, **overrides):
    params = {
        "tenant_id": GraphStub.TENANT,
        "client_id": CLIENT,
        "client_secret": SECRET,
        "login_endpoint": stub.url,
        "graph_endpoint": stub.url,
        "ca_path": stub.ca_path,
        "token_cache_path": str(tmp_path / "cache"),
    }
    params.update(overrides)
    return params


def unavailable(status=503):
    return status, {}, {"error": "temporarily_unavailable", "error_description": "AADSTS50000: the service is busy."}


def test_a_503_from_the_token_endpoint_is_retried_like_any_call(graph_stub, tmp_path):
    graph_stub.token_faults = [unavailable(), DROP]
    graph_stub.add("GET", r"^/v1.0/organization", (200, {}, {"value": [{"id": "org"}]}))
    rec = Recorder()
    c = GraphClient(secret_params(graph_stub, tmp_path), sleep=rec.sleep, spread=rec.spread)
    assert c.list("organization") == [{"id": "org"}]
    assert len(graph_stub.token_requests()) == 3 and rec.sleeps == [1.0, 2.0]
    notes = c.retry_report()["graph_retries"]
    assert notes[0].startswith("POST /") and "/oauth2/v2.0/token: 503, waited 1 s" in notes[0], notes
    assert "connection failed" in notes[1] and SECRET not in repr(notes)


def test_a_token_endpoint_that_keeps_failing_ends_in_one_sentence_not_msal_http_error(graph_stub, tmp_path):
    graph_stub.token_faults = [unavailable()] * 50
    rec = Recorder()
    c = GraphClient(secret_params(graph_stub, tmp_path, max_retry_wait=3), sleep=rec.sleep, spread=rec.spread)
    with pytest.raises(GraphError) as exc:
        c.list("organization")
    text = str(exc.value)
    assert "HTTP Error" not in text and "token service kept failing" in text and "503" in text
    assert "/oauth2/v2.0/token" in text and "run again" in text and sum(rec.sleeps) == 3
    assert SECRET not in text


def test_a_new_secret_is_verified_although_the_token_endpoint_answered_503(graph_stub, tmp_path):
    c = GraphClient(secret_params(graph_stub, tmp_path), sleep=Recorder().sleep)
    c.token_claims()
    graph_stub.token_faults = [unavailable()]
    claims = c.acquire_token_for("0d1e2f3a-0000-4000-8000-000000000002", "new-secret", GraphStub.TENANT)
    assert claims["tid"] == GraphStub.TENANT


def test_a_tls_verification_failure_fails_at_once(graph_stub, tmp_path):
    other_ca = tmp_path / "other"
    other_ca.mkdir()
    from .graph_stub import make_ca_and_cert

    wrong_ca, _chain = make_ca_and_cert(other_ca)
    rec = Recorder()
    c = GraphClient(secret_params(graph_stub, tmp_path, ca_path=wrong_ca), sleep=rec.sleep, spread=rec.spread)
    started = time.monotonic()
    with pytest.raises(GraphError) as exc:
        c.list("organization")
    assert "Set ca_path" in str(exc.value)
    assert rec.sleeps == [] and c.budget.retries == 0 and time.monotonic() - started < 5


@pytest.mark.parametrize(
    "option, value, needle",
    [
        ("timeout", -1, "timeout must be more than 0"),
        ("timeout", 0, "timeout must be more than 0"),
        ("timeout", 1e9, "at most 3600"),
        ("max_retry_wait", -1, "max_retry_wait must be at least 0"),
        ("max_retry_wait", float("nan"), "max_retry_wait"),
    ],
)
def test_numeric_options_out_of_range_are_clear_errors(option, value, needle):
    with pytest.raises(GraphConfigError) as exc:
        GraphSettings({"tenant_id": GraphStub.TENANT, "client_id": CLIENT, "client_secret": SECRET, option: value})
    assert needle in str(exc.value)


def test_malformed_ids_are_named_never_echoed():
    for params, option in (
        ({"tenant_id": SECRET, "client_id": CLIENT}, "tenant_id"),
        ({"tenant_id": GraphStub.TENANT, "client_id": SECRET}, "client_id"),
    ):
        with pytest.raises(GraphConfigError) as exc:
            GraphSettings(dict(params, client_secret="x"))
        assert option in str(exc.value) and SECRET not in str(exc.value)


def test_an_object_id_that_would_change_the_url_is_refused_before_any_request(graph_stub, stub_params):
    c = GraphClient(stub_params)
    with pytest.raises(GraphConfigError) as exc:
        find_application(c, object_id="?$top=1")
    assert "object_id" in str(exc.value) and "GUID" in str(exc.value) and "$top" not in str(exc.value)
    assert graph_stub.graph_requests() == []


def test_a_token_cache_path_that_cannot_be_created_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    params = {"tenant_id": GraphStub.TENANT, "client_id": CLIENT, "client_secret": SECRET, "token_cache_path": str(blocker / "cache")}
    with pytest.raises(GraphConfigError) as exc:
        GraphClient(params)
    assert "token_cache_path" in str(exc.value) and "cannot be created" in str(exc.value)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a directory to another user")
def test_a_token_cache_of_another_user_is_a_clear_error(tmp_path):
    other = tmp_path / "other-user"
    other.mkdir()
    os.chown(other, 4242, 4242)
    params = {"tenant_id": GraphStub.TENANT, "client_id": CLIENT, "client_secret": SECRET, "token_cache_path": str(other)}
    with pytest.raises(GraphConfigError) as exc:
        GraphClient(params)
    assert "belongs to another user" in str(exc.value)


def test_a_symlinked_lock_is_refused(graph_stub, tmp_path):
    params = secret_params(graph_stub, tmp_path)
    c = GraphClient(params)
    c.token_claims()
    [cache] = [f for f in os.listdir(tmp_path / "cache") if f.endswith(".cache")]
    lock = tmp_path / "cache" / (cache + ".lock")
    lock.unlink()
    os.symlink(tmp_path / "elsewhere", lock)
    with pytest.raises(GraphConfigError) as exc:
        GraphClient(params).token_claims()
    assert "symlink" in str(exc.value)
    assert not (tmp_path / "elsewhere").exists()


def test_files_of_retired_credentials_are_pruned(graph_stub, tmp_path):
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    stale = cache_dir / ("0" * 32 + ".cache")
    stale.write_bytes(b"old")
    (cache_dir / ("0" * 32 + ".cache.lock")).write_bytes(b"")
    recent = cache_dir / ("1" * 32 + ".cache")
    recent.write_bytes(b"in use")
    old = time.time() - _token_cache.PRUNE_AFTER_SECONDS - 60
    for path in (stale, cache_dir / ("0" * 32 + ".cache.lock")):
        os.utime(path, (old, old))
    GraphClient(secret_params(graph_stub, tmp_path)).token_claims()
    names = sorted(os.listdir(cache_dir))
    assert stale.name not in names and stale.name + ".lock" not in names
    assert recent.name in names and len([n for n in names if n.endswith(".cache")]) == 2


def test_empty_cloud_from_awx_means_unset_and_azure_cloud_environment_maps():
    assert cloud_from_environment({"AZURE_CLOUD": ""}) is None
    assert cloud_from_environment({"AZURE_CLOUD": "", "AZURE_CLOUD_ENVIRONMENT": "AzureUSGovernment"}) == "usgovernment"
    assert cloud_from_environment({"AZURE_CLOUD_ENVIRONMENT": "AzureChinaCloud"}) == "china"
    assert cloud_from_environment({"AZURE_CLOUD_ENVIRONMENT": "AzureCloud"}) == "public"
    assert cloud_from_environment({"AZURE_CLOUD": "china", "AZURE_CLOUD_ENVIRONMENT": "AzureCloud"}) == "china"


def test_the_env_an_awx_azure_credential_injects_validates(monkeypatch):
    # AWX's "Microsoft Azure Resource Manager" credential (service principal fields) plus our own
    # credential type's empty cloud field.
    env = {
        "AZURE_SUBSCRIPTION_ID": "",
        "AZURE_CLIENT_ID": CLIENT,
        "AZURE_SECRET": SECRET,
        "AZURE_TENANT": GraphStub.TENANT,
        "AZURE_CLOUD_ENVIRONMENT": "AzureChinaCloud",
        "AZURE_AD_USER": "",
        "AZURE_PASSWORD": "",
        "AZURE_CLOUD": "",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD": "",
    }
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_ACCESS_TOKEN", "AZURE_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = ArgumentSpecValidator(AUTH_ARGSPEC).validate({})
    assert not result.error_messages, result.error_messages
    params = result.validated_parameters
    assert params["cloud"] == "china" and params["certificate_password"] is None
    assert GraphSettings(params).login_endpoint == "https://login.chinacloudapi.cn"
    monkeypatch.setenv("AZURE_CLOUD_ENVIRONMENT", "")
    assert ArgumentSpecValidator(AUTH_ARGSPEC).validate({}).validated_parameters["cloud"] == "public"


def test_a_401_from_the_token_endpoint_is_not_retried(graph_stub, tmp_path):
    rec = Recorder()
    with pytest.raises(GraphAuthError):
        GraphClient(secret_params(graph_stub, tmp_path, client_secret="wrong"), sleep=rec.sleep, spread=rec.spread).token_claims()
    assert rec.sleeps == [] and len(graph_stub.token_requests()) == 1
