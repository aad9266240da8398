"""The login host: real msal flows (secret, certificate), token claims, Entra error shapes."""

from __future__ import annotations

import jwt
import msal
import pytest
import requests

from .client import CAHttpClient
from .conftest import World


def _msal_app(emulator, tenant, client_id, credential):
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=f"{emulator.url}/{tenant}",
        instance_discovery=False,
        http_client=CAHttpClient(emulator.ca_path),
    )


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_msal_gets_a_token_with_a_client_secret(graph_emulator):
    tenant = graph_emulator.add_tenant("contoso")
    ident = graph_emulator.add_automation_identity(tenant, roles=["Application.Read.All", "Presence.ReadWrite.All"])
    result = _msal_app(graph_emulator, tenant, ident["client_id"], ident["client_secret"]).acquire_token_for_client(scopes=[f"{graph_emulator.url}/.default"])
    assert "access_token" in result, result
    claims = _claims(result["access_token"])
    assert claims["tid"] == tenant
    assert claims["appid"] == ident["client_id"]
    assert claims["aud"] == graph_emulator.url
    assert claims["roles"] == ["Application.Read.All", "Presence.ReadWrite.All"]
    assert claims["exp"] - claims["iat"] == 3599
    assert graph_emulator.count(kind="token") == 1


def test_msal_gets_a_token_with_a_certificate(graph_emulator):
    tenant = graph_emulator.add_tenant("contoso")
    ident = graph_emulator.add_automation_identity(tenant, roles=["Application.Read.All"], credential="certificate")
    assert "client_secret" not in ident
    credential = {"private_key": ident["private_key_pem"], "thumbprint": ident["thumbprint"]}
    result = _msal_app(graph_emulator, tenant, ident["client_id"], credential).acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    claims = _claims(result["access_token"])
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["appidacr"] == "2"
    # The token works on the Graph side too.
    response = graph_emulator.graph("GET", "/applications", result["access_token"])
    assert response.status_code == 200, response.text
    with open(ident["certificate_path"]) as handle:
        assert "PRIVATE KEY" in handle.read()


def test_a_certificate_not_registered_on_the_app_is_refused(graph_emulator):
    tenant = graph_emulator.add_tenant("contoso")
    ident = graph_emulator.add_automation_identity(tenant, credential="certificate")
    other = graph_emulator.add_automation_identity(tenant, credential="certificate")
    credential = {"private_key": other["private_key_pem"], "thumbprint": other["thumbprint"]}
    result = _msal_app(graph_emulator, tenant, ident["client_id"], credential).acquire_token_for_client(scopes=[f"{graph_emulator.url}/.default"])
    assert result["error"] == "invalid_client"
    assert result["error_description"].startswith("AADSTS700027")


def test_token_signature_verifies_against_the_published_keys(graph_emulator):
    world = World(graph_emulator)
    keys = requests.get(f"{graph_emulator.url}/{world.tenant_id}/discovery/v2.0/keys", verify=graph_emulator.ca_path, timeout=10).json()
    key = jwt.PyJWK(keys["keys"][0])
    claims = jwt.decode(world.token, key.key, algorithms=["RS256"], audience=graph_emulator.url)
    assert claims["tid"] == world.tenant_id


def test_openid_configuration_and_instance_discovery(graph_emulator):
    tenant = graph_emulator.add_tenant("contoso")
    config = requests.get(f"{graph_emulator.url}/{tenant}/v2.0/.well-known/openid-configuration", verify=graph_emulator.ca_path, timeout=10).json()
    assert config["token_endpoint"] == f"{graph_emulator.url}/{tenant}/oauth2/v2.0/token"
    assert config["issuer"].endswith(f"/{tenant}/v2.0")
    by_domain = requests.get(f"{graph_emulator.url}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration", verify=graph_emulator.ca_path, timeout=10)
    assert by_domain.status_code == 200
    discovery = requests.get(
        f"{graph_emulator.url}/common/discovery/instance",
        params={"api-version": "1.1", "authorization_endpoint": f"{graph_emulator.url}/{tenant}/oauth2/v2.0/authorize"},
        verify=graph_emulator.ca_path,
        timeout=10,
    ).json()
    assert discovery["tenant_discovery_endpoint"] == f"{graph_emulator.url}/{tenant}/v2.0/.well-known/openid-configuration"


def _error(response, status, code, error):
    body = response.json()
    assert response.status_code == status, body
    assert body["error"] == error
    assert body["error_description"].startswith(f"AADSTS{code}:")
    assert body["error_codes"] == [code]
    assert body["trace_id"] and body["correlation_id"]


def test_unknown_tenant_is_aadsts90002(graph_emulator):
    response = graph_emulator.token("00000000-1111-2222-3333-444444444444", "x", "y")
    _error(response, 400, 90002, "invalid_tenant")


def test_unknown_tenant_fails_msal_at_construction(graph_emulator):
    with pytest.raises(ValueError):
        _msal_app(graph_emulator, "nosuchtenant.onmicrosoft.com", "x", "y")


def test_unknown_client_is_aadsts700016(graph_emulator):
    tenant = graph_emulator.add_tenant("contoso")
    _error(graph_emulator.token(tenant, "11111111-2222-3333-4444-555555555555", "whatever"), 400, 700016, "unauthorized_client")


def test_wrong_secret_is_aadsts7000215(graph_emulator):
    tenant = graph_emulator.add_tenant("contoso")
    ident = graph_emulator.add_automation_identity(tenant)
    _error(graph_emulator.token(tenant, ident["client_id"], ident["client_secret"] + "x"), 401, 7000215, "invalid_client")


def test_expired_secret_is_aadsts7000222_per_the_clock(graph_emulator):
    tenant = graph_emulator.add_tenant("contoso")
    ident = graph_emulator.add_automation_identity(tenant)
    assert graph_emulator.token(tenant, ident["client_id"], ident["client_secret"]).status_code == 200
    graph_emulator.clock.advance(days=731)
    _error(graph_emulator.token(tenant, ident["client_id"], ident["client_secret"]), 401, 7000222, "invalid_client")


def test_scope_must_be_a_default_scope(graph_emulator):
    tenant = graph_emulator.add_tenant("contoso")
    ident = graph_emulator.add_automation_identity(tenant)
    response = requests.post(
        f"{graph_emulator.url}/{tenant}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": ident["client_id"], "client_secret": ident["client_secret"], "scope": "User.Read"},
        verify=graph_emulator.ca_path,
        timeout=10,
    )
    _error(response, 400, 1002012, "invalid_scope")


def test_app_without_service_principal_gets_no_token(graph_emulator):
    world = World(graph_emulator)
    app = world.call("POST", "/applications", json={"displayName": "no sp"}).json()
    secret = world.call("POST", f"/applications/{app['id']}/addPassword", json={}).json()["secretText"]
    _error(graph_emulator.token(world.tenant_id, app["appId"], secret), 400, 7000229, "invalid_client")
