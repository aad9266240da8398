"""Workload identity federation on the login host: an external issuer's token as client assertion.

The tests are the issuer: they sign an OIDC token with their own RSA key and give the emulator
its public key with the federated identity credential (README "Workload identity federation").
"""

from __future__ import annotations

import time

import jwt
import msal
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .client import CAHttpClient

ISSUER = "https://oidc.example-cluster.test/"
SUBJECT = "system:serviceaccount:awx:automation-job"
AUDIENCE = "api://AzureADTokenExchange"


@pytest.fixture(scope="module")
def issuer_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def oidc_token(key, iss=ISSUER, sub=SUBJECT, aud=AUDIENCE, lifetime=3600, issued=None) -> str:
    now = int(time.time()) if issued is None else issued
    return jwt.encode({"iss": iss, "sub": sub, "aud": aud, "iat": now, "nbf": now, "exp": now + lifetime}, key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def federated(graph_emulator, issuer_key):
    tenant = graph_emulator.add_tenant("contoso")
    ident = graph_emulator.add_automation_identity(tenant, roles=["Application.Read.All"], credential="federated")
    graph_emulator.add_federated_identity_credential(tenant, ident["client_id"], ISSUER, SUBJECT, issuer_public_key_pem=public_pem(issuer_key))
    return graph_emulator, tenant, ident


def token_request(emulator, tenant, client_id, assertion):
    return emulator.session.post(
        f"{emulator.url}/{tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "scope": f"{emulator.url}/.default",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        verify=emulator.ca_path,
        timeout=30,
    )


def test_msal_gets_a_token_with_a_federated_assertion_read_per_request(federated, issuer_key):
    emulator, tenant, ident = federated
    assert "client_secret" not in ident
    calls = []

    def assertion():
        calls.append(1)
        return oidc_token(issuer_key)

    app = msal.ConfidentialClientApplication(
        ident["client_id"],
        client_credential={"client_assertion": assertion},
        authority=f"{emulator.url}/{tenant}",
        instance_discovery=False,
        http_client=CAHttpClient(emulator.ca_path),
    )
    result = app.acquire_token_for_client(scopes=[f"{emulator.url}/.default"])
    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["appid"] == ident["client_id"] and claims["tid"] == tenant and claims["roles"] == ["Application.Read.All"]
    assert emulator.graph("GET", "/applications", result["access_token"]).status_code == 200
    app.remove_tokens_for_client()
    assert "access_token" in app.acquire_token_for_client(scopes=[f"{emulator.url}/.default"])
    assert len(calls) == 2  # msal calls the callable for each token request: a rotated file is re-read


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"iss": "https://other-issuer.test/"}, "AADSTS700211"),
        ({"sub": "system:serviceaccount:default:other"}, "AADSTS700213"),
        ({"aud": "api://SomethingElse"}, "AADSTS700212"),
        ({"issued": int(time.time()) - 7200}, "AADSTS700024"),
    ],
    ids=["issuer", "subject", "audience", "expired"],
)
def test_each_wrong_claim_has_its_aadsts_error(federated, issuer_key, claims, code):
    emulator, tenant, ident = federated
    assertion = oidc_token(issuer_key, **claims)
    response = token_request(emulator, tenant, ident["client_id"], assertion)
    assert response.status_code in (400, 401), response.text
    body = response.json()
    assert body["error_description"].startswith(code + ":"), body
    assert int(code[6:]) in body["error_codes"]
    assert assertion not in response.text and assertion.split(".")[2] not in response.text


def test_an_assertion_signed_by_another_key_is_refused(federated):
    emulator, tenant, ident = federated
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = token_request(emulator, tenant, ident["client_id"], oidc_token(stranger))
    assert response.status_code == 401 and response.json()["error_description"].startswith("AADSTS700027:"), response.text


def test_graph_creates_and_lists_federated_identity_credentials(graph_emulator, issuer_key):
    tenant = graph_emulator.add_tenant("contoso")
    admin = graph_emulator.add_automation_identity(tenant, roles=["Application.ReadWrite.All"])
    target = graph_emulator.add_automation_identity(tenant, credential="federated", display_name="workload")
    token = graph_emulator.token(tenant, admin["client_id"], admin["client_secret"]).json()["access_token"]
    body = {"name": "awx", "issuer": ISSUER, "subject": SUBJECT, "audiences": [AUDIENCE]}
    created = graph_emulator.graph("POST", f"/applications/{target['object_id']}/federatedIdentityCredentials", token, json=body)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in body} == body
    again = graph_emulator.graph("POST", f"/applications/{target['object_id']}/federatedIdentityCredentials", token, json=body)
    assert again.status_code == 400
    listed = graph_emulator.graph("GET", f"/applications/{target['object_id']}/federatedIdentityCredentials", token)
    assert [r["name"] for r in listed.json()["value"]] == ["awx"]
    # Created through Graph the issuer's key is unknown: the claims alone decide (README).
    response = token_request(graph_emulator, tenant, target["client_id"], oidc_token(issuer_key))
    assert response.status_code == 200, response.text
