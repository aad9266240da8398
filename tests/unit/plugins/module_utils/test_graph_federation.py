"""Workload identity federation on the client side: the option, its env fallback, one credential kind."""

from __future__ import annotations

import pytest
from ansible_collections.procall.msteams.plugins.module_utils._graph_auth import GraphAuth
from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import GraphConfigError
from ansible_collections.procall.msteams.plugins.module_utils._graph_settings import GraphSettings, credential_kinds, keep_explicit_credential

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXd4OmpvYiJ9.c2lnbmF0dXJlLXZhbHVl"


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "azure-identity-token"
    path.write_text(JWT + "\n")
    return path


def settings(**params):
    return GraphSettings(dict({"tenant_id": TENANT, "client_id": CLIENT}, **params))


def test_a_federated_token_file_is_the_federated_kind_without_a_file_cache(token_file):
    s = settings(federated_token_file=str(token_file), token_cache_path="/somewhere")
    assert s.auth == "federated" and s.token_cache_path is None
    assert s.read_federated_token() == JWT


def test_the_token_file_is_read_again_for_each_request(token_file):
    s = settings(federated_token_file=str(token_file))
    first = s.read_federated_token()
    token_file.write_text(JWT.replace("c2ln", "bmV3"))
    assert s.read_federated_token() != first


def test_msal_gets_a_callable_assertion_not_the_token(token_file, monkeypatch):
    seen = {}
    auth = GraphAuth(settings(federated_token_file=str(token_file)), session=None)
    monkeypatch.setattr(auth, "_confidential_app", lambda client_id, credential, authority, cache: seen.update(credential=credential))
    auth._build_app()
    assertion = seen["credential"]["client_assertion"]
    assert callable(assertion) and assertion() == JWT


@pytest.mark.parametrize("missing", ["tenant_id", "client_id"])
def test_federation_needs_tenant_and_client_id(token_file, missing):
    params = {"tenant_id": TENANT, "client_id": CLIENT, "federated_token_file": str(token_file)}
    params[missing] = None
    with pytest.raises(GraphConfigError, match=missing):
        GraphSettings(params)


def test_an_unreadable_token_file_is_named_its_content_never(tmp_path):
    s = settings(federated_token_file=str(tmp_path / "absent"))
    with pytest.raises(GraphConfigError, match="federated_token_file .*absent cannot be read"):
        s.read_federated_token()
    garbage = tmp_path / "garbage"
    garbage.write_text("not-a-jwt-but-maybe-a-secret")
    with pytest.raises(GraphConfigError) as exc:
        settings(federated_token_file=str(garbage)).read_federated_token()
    assert "holds no JWT" in str(exc.value) and "maybe-a-secret" not in str(exc.value)


def test_kinds_in_precedence_order():
    assert credential_kinds({"managed_identity": "none"}) == []
    assert credential_kinds({"client_secret": "s", "federated_token_file": "/t", "certificate_password": "p"}) == ["client_secret", "federated_token_file"]
    assert credential_kinds({"certificate_path": "/c", "managed_identity": "system"}) == ["managed_identity", "certificate"]


def test_two_explicit_kinds_are_an_error_naming_both_never_a_value():
    with pytest.raises(GraphConfigError) as exc:
        keep_explicit_credential({"client_secret": "s3cr3t-value", "federated_token_file": "/t"}, {})
    text = str(exc.value)
    assert "exactly one credential" in text and "client_secret and federated_token_file" in text and "s3cr3t-value" not in text


def test_an_explicit_kind_wins_over_environment_credentials(token_file):
    # AZURE_CLIENT_SECRET from the environment, federated_token_file given as option: federation.
    merged = {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": "from-env", "federated_token_file": str(token_file), "managed_identity": "none"}
    kept = keep_explicit_credential({"federated_token_file": str(token_file)}, merged)
    assert kept["client_secret"] is None and GraphSettings(kept).auth == "federated"
    # And the other way round: an explicit secret wins over AZURE_FEDERATED_TOKEN_FILE.
    kept = keep_explicit_credential({"client_secret": "given"}, dict(merged, client_secret="given"))
    assert kept["federated_token_file"] is None and GraphSettings(kept).auth == "client_secret"


def test_environment_only_credentials_follow_the_precedence(token_file):
    merged = {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": "from-env", "federated_token_file": str(token_file)}
    assert keep_explicit_credential({}, merged) == merged
    assert GraphSettings(merged).auth == "client_secret"
