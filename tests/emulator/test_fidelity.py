"""Fidelity: for every Graph endpoint the collection calls, the request from the endpoint's page in
Microsoft's API reference and the shape of the documented response (written by us from the
documented examples; https://learn.microsoft.com/graph/api/<page>). A key the documentation shows
that the emulator does not send, or another status, fails here, so drift shows.

Documented examples are often "truncated": the emulator may send more keys, never fewer.
"""

from __future__ import annotations

import pytest

from .conftest import MANAGE, World
from .graph_seed import APP_ROLES, GRAPH_APP_ID

GRAPH = GRAPH_APP_ID

# Keys of the documented response examples.
APPLICATION_EXAMPLE = {
    "@odata.context",
    "id",
    "deletedDateTime",
    "isFallbackPublicClient",
    "appId",
    "applicationTemplateId",
    "identifierUris",
    "createdDateTime",
    "displayName",
    "isDeviceOnlyAuthSupported",
    "groupMembershipClaims",
    "optionalClaims",
    "addIns",
    "publisherDomain",
    "samlMetadataUrl",
    "signInAudience",
    "tags",
    "tokenEncryptionKeyId",
    "api",
    "appRoles",
    "publicClient",
    "info",
    "keyCredentials",
    "parentalControlSettings",
    "passwordCredentials",
    "requiredResourceAccess",
    "web",
}
API_EXAMPLE = {"requestedAccessTokenVersion", "acceptMappedClaims", "knownClientApplications", "oauth2PermissionScopes", "preAuthorizedApplications"}
WEB_EXAMPLE = {"redirectUris", "homePageUrl", "logoutUrl", "implicitGrantSettings"}
PASSWORD_EXAMPLE = {"@odata.context", "customKeyIdentifier", "displayName", "endDateTime", "hint", "keyId", "secretText", "startDateTime"}
SERVICE_PRINCIPAL_EXAMPLE = {
    "@odata.context",
    "id",
    "deletedDateTime",
    "accountEnabled",
    "appDisplayName",
    "appId",
    "applicationTemplateId",
    "appOwnerOrganizationId",
    "appRoleAssignmentRequired",
    "displayName",
    "homepage",
    "loginUrl",
    "logoutUrl",
    "notificationEmailAddresses",
    "preferredSingleSignOnMode",
    "preferredTokenSigningKeyThumbprint",
    "replyUrls",
    "servicePrincipalNames",
    "servicePrincipalType",
    "tags",
    "tokenEncryptionKeyId",
    "addIns",
    "appRoles",
    "info",
    "keyCredentials",
    "oauth2PermissionScopes",
    "passwordCredentials",
}
ASSIGNMENT_EXAMPLE = {
    "@odata.context",
    "id",
    "deletedDateTime",
    "appRoleId",
    "createdDateTime",
    "principalDisplayName",
    "principalId",
    "principalType",
    "resourceDisplayName",
    "resourceId",
}
GRANT_EXAMPLE = {"@odata.context", "clientId", "consentType", "id", "principalId", "resourceId", "scope"}
GRANT_LIST_ITEM = {"@odata.id", "clientId", "consentType", "id", "principalId", "resourceId", "scope"}
ORGANIZATION_ITEM = {"id", "displayName", "verifiedDomains"}
DEFAULT_POLICY_EXAMPLE = {"@odata.context", "id", "displayName", "description", "isEnabled", "applicationRestrictions", "servicePrincipalRestrictions"}
TOKEN_EXAMPLE = {"token_type", "expires_in", "ext_expires_in", "access_token"}


@pytest.fixture
def world(graph_emulator):
    return World(graph_emulator, roles=[*MANAGE, "Policy.Read.All", "Organization.Read.All"])


def _app(world, **body):
    response = world.call("POST", "/applications", json=dict({"displayName": "Display name"}, **body))
    assert response.status_code == 201, response.text
    return response.json()


def _has(keys: set, obj: dict, page: str):
    missing = sorted(keys - set(obj))
    assert not missing, f"{page}: documented keys missing: {missing}"


def test_application_post_applications(world):
    # application-post-applications: POST /applications {"displayName": "Display name"} -> 201
    created = world.call("POST", "/applications", json={"displayName": "Display name"})
    assert created.status_code == 201
    body = created.json()
    _has(APPLICATION_EXAMPLE, body, "application-post-applications")
    _has(API_EXAMPLE, body["api"], "application-post-applications api")
    _has(WEB_EXAMPLE, body["web"], "application-post-applications web")
    assert body["@odata.context"].endswith("/v1.0/$metadata#applications/$entity")
    assert body["parentalControlSettings"] == {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"}
    assert body["web"]["implicitGrantSettings"] == {"enableIdTokenIssuance": False, "enableAccessTokenIssuance": False}


def test_application_post_applications_with_password_credentials(world):
    # application-post-applications, example 2: passwordCredentials [{"displayName"}] -> 201 with the secret.
    body = _app(world, displayName="My application", passwordCredentials=[{"displayName": "Password friendly name"}])
    [cred] = body["passwordCredentials"]
    _has({"customKeyIdentifier", "displayName", "endDateTime", "hint", "keyId", "secretText", "startDateTime"}, cred, "example 2")


def test_application_get_and_alternate_key(world):
    # application-get: GET /applications/{id} and /applications(appId='{appId}') -> 200
    app = _app(world)
    for path in (f"/applications/{app['id']}", f"/applications(appId='{app['appId']}')"):
        got = world.call("GET", path)
        assert got.status_code == 200
        _has(APPLICATION_EXAMPLE, got.json(), "application-get")
    selected = world.call("GET", f"/applications/{app['id']}", params={"$select": "appId,displayName"}).json()
    assert set(selected) == {"@odata.context", "appId", "displayName"}


def test_application_list_with_filter(world):
    # application-list: GET /applications?$filter=displayName eq '...'&$count=true + ConsistencyLevel
    _app(world)
    listed = world.call("GET", "/applications", params={"$filter": "displayName eq 'Display name'", "$count": "true"}, headers={"ConsistencyLevel": "eventual"})
    assert listed.status_code == 200
    body = listed.json()
    assert set(body) >= {"@odata.context", "@odata.count", "value"} and body["@odata.count"] == 1
    _has(APPLICATION_EXAMPLE - {"@odata.context"}, body["value"][0], "application-list")


def test_application_upsert(world):
    # application-upsert: PATCH /applications(uniqueName='{uniqueName}') + Prefer: create-if-missing
    path = "/applications(uniqueName='app-65278')"
    created = world.call("PATCH", path, json={"displayName": "Display name"}, headers={"Prefer": "create-if-missing"})
    assert created.status_code == 201
    _has(APPLICATION_EXAMPLE, created.json(), "application-upsert (created)")
    assert created.json()["uniqueName"] == "app-65278"
    again = world.call("PATCH", path, json={"displayName": "Display name"}, headers={"Prefer": "create-if-missing"})
    assert again.status_code == 204 and again.content == b""


def test_application_update_and_delete(world):
    # application-update: PATCH /applications/{id} -> 204; application-delete: DELETE -> 204
    app = _app(world)
    patched = world.call("PATCH", f"/applications/{app['id']}", json={"displayName": "New display name"})
    assert patched.status_code == 204 and patched.content == b""
    deleted = world.call("DELETE", f"/applications/{app['id']}")
    assert deleted.status_code == 204


def test_application_addpassword_and_removepassword(world):
    # application-addpassword: {"passwordCredential": {"displayName": "Password friendly name"}} -> 200
    app = _app(world)
    added = world.call("POST", f"/applications/{app['id']}/addPassword", json={"passwordCredential": {"displayName": "Password friendly name"}})
    assert added.status_code == 200
    body = added.json()
    _has(PASSWORD_EXAMPLE, body, "application-addpassword")
    assert body["@odata.context"].endswith("/v1.0/$metadata#microsoft.graph.passwordCredential")
    assert body["hint"] == body["secretText"][:3]
    # application-removepassword: {"keyId": "..."} -> 204
    removed = world.call("POST", f"/applications/{app['id']}/removePassword", json={"keyId": body["keyId"]})
    assert removed.status_code == 204


def test_application_owners(world):
    # application-list-owners -> 200 value[]; application-post-owners {"@odata.id": ".../directoryObjects/{id}"} -> 204
    app = _app(world)
    other = world.emulator.add_automation_identity(world.tenant_id, roles=[])
    added = world.call(
        "POST",
        f"/applications/{app['id']}/owners/$ref",
        json={"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{other['service_principal_id']}"},
    )
    assert added.status_code == 204
    listed = world.call("GET", f"/applications/{app['id']}/owners").json()
    assert set(listed) >= {"@odata.context", "value"}
    assert listed["value"][0]["@odata.type"] == "#microsoft.graph.servicePrincipal" and listed["value"][0]["id"] == other["service_principal_id"]


def test_serviceprincipal_post_and_list(world):
    # serviceprincipal-post-serviceprincipals: {"appId": "..."} -> 201
    app = _app(world)
    created = world.call("POST", "/servicePrincipals", json={"appId": app["appId"]})
    assert created.status_code == 201
    _has(SERVICE_PRINCIPAL_EXAMPLE, created.json(), "serviceprincipal-post-serviceprincipals")
    # serviceprincipal-list with $filter=appId eq '...'
    listed = world.call("GET", "/servicePrincipals", params={"$filter": f"appId eq '{app['appId']}'"}).json()
    _has(SERVICE_PRINCIPAL_EXAMPLE - {"@odata.context"}, listed["value"][0], "serviceprincipal-list")
    # The Graph SP, as graph.md's lookup asks for it.
    graph = world.call("GET", "/servicePrincipals", params={"$filter": f"appId eq '{GRAPH}'", "$select": "id,appRoles,oauth2PermissionScopes"}).json()["value"][
        0
    ]
    assert set(graph) == {"id", "appRoles", "oauth2PermissionScopes"}
    _has({"allowedMemberTypes", "description", "displayName", "id", "isEnabled", "origin", "value"}, graph["appRoles"][0], "appRole")
    _has(
        {"adminConsentDescription", "adminConsentDisplayName", "id", "isEnabled", "type", "userConsentDescription", "userConsentDisplayName", "value"},
        graph["oauth2PermissionScopes"][0],
        "permissionScope",
    )


def test_serviceprincipal_post_approleassignedto_and_list(world):
    # serviceprincipal-post-approleassignedto: {"principalId", "resourceId", "appRoleId"} -> 201
    app = _app(world)
    sp = world.call("POST", "/servicePrincipals", json={"appId": app["appId"]}).json()
    graph = world.graph_sp()
    created = world.call(
        "POST",
        f"/servicePrincipals/{graph['id']}/appRoleAssignedTo",
        json={"principalId": sp["id"], "resourceId": graph["id"], "appRoleId": APP_ROLES["Presence.ReadWrite.All"]},
    )
    assert created.status_code == 201
    _has(ASSIGNMENT_EXAMPLE, created.json(), "serviceprincipal-post-approleassignedto")
    # serviceprincipal-list-approleassignments -> 200 value[]
    listed = world.call("GET", f"/servicePrincipals/{sp['id']}/appRoleAssignments").json()
    _has(ASSIGNMENT_EXAMPLE - {"@odata.context"}, listed["value"][0], "serviceprincipal-list-approleassignments")


def test_oauth2permissiongrant_post_list_update(world):
    # oauth2permissiongrant-post: {"clientId", "consentType": "AllPrincipals", "resourceId", "scope"} -> 201
    app = _app(world)
    sp = world.call("POST", "/servicePrincipals", json={"appId": app["appId"]}).json()
    graph = world.graph_sp()
    created = world.call(
        "POST",
        "/oauth2PermissionGrants",
        json={"clientId": sp["id"], "consentType": "AllPrincipals", "resourceId": graph["id"], "scope": "User.Read Group.Read.All"},
    )
    assert created.status_code == 201
    _has(GRANT_EXAMPLE, created.json(), "oauth2permissiongrant-post")
    # oauth2permissiongrant-list, with $filter=clientId eq '...' and consentType eq 'AllPrincipals'
    listed = world.call("GET", "/oauth2PermissionGrants", params={"$filter": f"clientId eq '{sp['id']}' and consentType eq 'AllPrincipals'"}).json()
    _has(GRANT_LIST_ITEM, listed["value"][0], "oauth2permissiongrant-list")
    # oauth2permissiongrant-update: {"scope": "..."} -> 204
    assert world.call("PATCH", f"/oauth2PermissionGrants/{created.json()['id']}", json={"scope": "User.Read.All"}).status_code == 204


def test_organization_get(world):
    # organization-get: GET /organization -> value[] with id, displayName, verifiedDomains
    body = world.call("GET", "/organization").json()
    _has(ORGANIZATION_ITEM, body["value"][0], "organization-get")


def test_tenantappmanagementpolicy_get(world):
    # tenantappmanagementpolicy-get: GET /policies/defaultAppManagementPolicy -> 200
    body = world.call("GET", "/policies/defaultAppManagementPolicy").json()
    _has(DEFAULT_POLICY_EXAMPLE, body, "tenantappmanagementpolicy-get")
    assert body["@odata.context"].endswith("/v1.0/$metadata#policies/defaultAppManagementPolicy/$entity")
    assert body["id"] == "00000000-0000-0000-0000-000000000000"
    assert set(body["applicationRestrictions"]) >= {"passwordCredentials", "keyCredentials"}


def test_application_list_appmanagementpolicies(world):
    # application-list-appmanagementpolicies: GET /applications/{id}/appManagementPolicies -> value[]
    app = _app(world)
    world.emulator.admin(world.tenant_id).add_app_management_policy(applies_to=[app["id"]], password_max_lifetime_days=90)
    body = world.call("GET", f"/applications/{app['id']}/appManagementPolicies").json()
    _has({"id", "displayName", "description", "isEnabled", "restrictions"}, body["value"][0], "application-list-appmanagementpolicies")
    [cap] = body["value"][0]["restrictions"]["passwordCredentials"]
    _has({"restrictionType", "maxLifetime", "restrictForAppsCreatedAfterDateTime", "state"}, cap, "passwordCredentialConfiguration")


def test_token_endpoint_client_credentials(world):
    # Microsoft identity platform, client credentials flow: a successful response.
    response = world.emulator.token(world.tenant_id, world.identity["client_id"], world.identity["client_secret"])
    assert response.status_code == 200
    _has(TOKEN_EXAMPLE, response.json(), "v2-oauth2-client-creds-grant-flow")
    failed = world.emulator.token(world.tenant_id, world.identity["client_id"], "wrong")
    _has({"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id"}, failed.json(), "error response")


def test_error_shape(world):
    # Microsoft Graph error responses: {"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}
    body = world.call("GET", "/applications/00000000-0000-0000-0000-000000000001").json()
    assert set(body) == {"error"} and set(body["error"]) >= {"code", "message", "innerError"}
    assert set(body["error"]["innerError"]) >= {"date", "request-id", "client-request-id"}
