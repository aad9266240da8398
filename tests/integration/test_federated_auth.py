"""Workload identity federation end to end, in process: a Graph module signs in with a federated token file.

The test is the external issuer (an RSA key, PyJWT); the emulator trusts its key through the
federated identity credential it holds for the automation identity (tests/emulator/README.md).
"""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .graph_play import run_module

ISSUER = "https://oidc.openshift.example.test/"
SUBJECT = "system:serviceaccount:aap:automation-job"
AUDIENCE = "api://AzureADTokenExchange"


@pytest.fixture(scope="module")
def issuer_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def issue(key, path, **claims):
    now = int(time.time())
    body = dict({"iss": ISSUER, "sub": SUBJECT, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 3600}, **claims)
    token = jwt.encode(body, key, algorithm="RS256")
    path.write_text(token)
    return token


@pytest.fixture
def federated(graph_emulator, issuer_key, tmp_path):
    tenant = graph_emulator.add_tenant("contoso")
    ident = graph_emulator.add_automation_identity(tenant, roles=["Application.Read.All"], credential="federated")
    public = issuer_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    graph_emulator.add_federated_identity_credential(tenant, ident["client_id"], ISSUER, SUBJECT, issuer_public_key_pem=public)
    app = graph_emulator.admin(tenant).add_application({"displayName": "ProCall", "uniqueName": "procall-teams"})
    connection = {"login_endpoint": graph_emulator.url, "graph_endpoint": graph_emulator.url, "ca_path": graph_emulator.ca_path, "max_retry_wait": 60}
    return tenant, ident, app, connection, tmp_path / "azure-identity-token"


def test_a_module_signs_in_with_the_federated_token_file_from_the_environment(graph_emulator, federated, issuer_key):
    tenant, ident, app, connection, token_file = federated
    issue(issuer_key, token_file)
    # As the Azure workload identity webhook sets it up for a pod: three environment variables.
    env = {"AZURE_FEDERATED_TOKEN_FILE": str(token_file), "AZURE_CLIENT_ID": ident["client_id"], "AZURE_TENANT_ID": tenant}
    result = run_module("entra_app_info", dict(connection, unique_name="procall-teams"), env=env)
    assert not result.get("failed"), result
    assert result["app_id"] == app["appId"]
    assert graph_emulator.count(kind="token") >= 1


def test_an_explicit_option_wins_and_two_credential_kinds_are_refused(graph_emulator, federated, issuer_key):
    tenant, ident, app, connection, token_file = federated
    token = issue(issuer_key, token_file)
    args = dict(connection, tenant_id=tenant, client_id=ident["client_id"], unique_name="procall-teams")
    # A stale AZURE_CLIENT_SECRET in the environment does not shadow the federated_token_file option.
    result = run_module("entra_app_info", dict(args, federated_token_file=str(token_file)), env={"AZURE_CLIENT_SECRET": "stale-secret-value"})
    assert result.get("app_id") == app["appId"], result
    both = run_module("entra_app_info", dict(args, federated_token_file=str(token_file), client_secret="given-secret-value"))
    assert both["failed"] is True and "exactly one credential" in both["msg"] and "client_secret and federated_token_file" in both["msg"]
    assert "given-secret-value" not in both.output and token not in both.output


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"iss": "https://token.actions.githubusercontent.com"}, "AADSTS700211"),
        ({"sub": "system:serviceaccount:default:default"}, "AADSTS700213"),
        ({"aud": "api://AzureADTokenExchange/other"}, "AADSTS700212"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200, "nbf": int(time.time()) - 7200}, "AADSTS700024"),
    ],
    ids=["issuer", "subject", "audience", "expired"],
)
def test_each_wrong_claim_is_one_clear_error_without_the_assertion(graph_emulator, federated, issuer_key, claims, code):
    tenant, ident, _app, connection, token_file = federated
    token = issue(issuer_key, token_file, **claims)
    args = dict(connection, tenant_id=tenant, client_id=ident["client_id"], federated_token_file=str(token_file), unique_name="procall-teams")
    result = run_module("entra_app_info", args)
    assert result["failed"] is True, result
    assert code in result["msg"] and ident["client_id"] in result["msg"], result["msg"]
    assert token not in result.output and token.split(".")[2] not in result.output
