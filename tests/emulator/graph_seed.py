"""The Microsoft Graph service principal every emulated tenant starts with.

Ids are the real ones (reference/graph.md "Ids"; the management roles, Organization.Read.All and
Directory.ReadWrite.All were checked against public copies of the Microsoft Graph permissions
reference and scripts that assign them; openid/profile/email/offline_access are the well-known
OIDC scope ids). Where no
source was found, a fixed GUID made up for the emulator is used and marked as such: clients must
resolve ids by name from this service principal (graph.md: "resolve ids at run time"), so a
made-up id cannot leak into a real tenant.
"""

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_DISPLAY_NAME = "Microsoft Graph"

# Application permissions (appRoles, "Role").
APP_ROLES = {
    "Presence.ReadWrite.All": "83cded22-8297-4ff6-a7fa-e97e9545a259",
    "Presence.Read.All": "a70e0c2d-e793-494c-94c4-118fa0a67f42",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "Application.ReadWrite.OwnedBy": "18a4783c-866b-4cc7-a460-3d5e5662c884",
    "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
    "DelegatedPermissionGrant.ReadWrite.All": "8e8e4742-1d95-4f68-9d56-6ee75648c72a",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
    "Organization.Read.All": "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    # EMULATOR-GENERATED id: the real AppRegistration.Create id was not found in the sources
    # searched. Resolve it by name, never hard-code it.
    "AppRegistration.Create": "6b6c3f7e-5f0a-4d0e-9a51-3c2b0e6d7a10",
}

# Delegated permissions (oauth2PermissionScopes, "Scope").
SCOPES = {
    "Presence.Read": "76bc735e-aecd-4a1d-8b4c-2b915deabb79",
    "Presence.Read.All": "9c7a330d-35b3-4aa1-963d-cb2b9f927841",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
    "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
}


def graph_service_principal(object_id: str, tenant_id: str, created: str) -> dict:
    return {
        "id": object_id,
        "appId": GRAPH_APP_ID,
        "displayName": GRAPH_DISPLAY_NAME,
        "appDisplayName": GRAPH_DISPLAY_NAME,
        "servicePrincipalType": "Application",
        "accountEnabled": True,
        "appOwnerOrganizationId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
        "appRoleAssignmentRequired": False,
        "servicePrincipalNames": [GRAPH_APP_ID, "https://graph.microsoft.com"],
        "tags": [],
        "createdDateTime": created,
        "appRoles": [
            {
                "allowedMemberTypes": ["Application"],
                "description": f"Allows the app to use {name} without a signed-in user.",
                "displayName": name,
                "id": role_id,
                "isEnabled": True,
                "origin": "Application",
                "value": name,
            }
            for name, role_id in APP_ROLES.items()
        ],
        "oauth2PermissionScopes": [
            {
                "adminConsentDescription": f"Allows the app to use {name} on behalf of the signed-in user.",
                "adminConsentDisplayName": name,
                "id": scope_id,
                "isEnabled": True,
                "type": "User" if name in ("User.Read", "Presence.Read", "openid", "profile", "email", "offline_access") else "Admin",
                "userConsentDescription": None,
                "userConsentDisplayName": None,
                "value": name,
            }
            for name, scope_id in SCOPES.items()
        ],
    }
