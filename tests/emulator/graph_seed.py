"""The Microsoft Graph service principal every emulated tenant starts with, at a realistic size.

The real Graph service principal carries several hundred app roles and delegated scopes, many of
them with the same name as a role and a scope but different ids (Presence.Read.All,
Application.Read.All, ...). Name resolution must work on a table of that size, with ids that are
not in any hard-coded order, so this module builds:

- ``APP_ROLES`` / ``SCOPES``: every permission the collection and its docs name, with Microsoft's
  real id (Microsoft Graph permissions reference, https://learn.microsoft.com/graph/permissions-reference;
  the ids were checked against public scripts that assign them). One exception is marked below.
- a deterministic bulk of further roles and scopes, named the way Graph names them
  (``<Resource>.<Read|ReadWrite|...>[.All]``) with ids derived by ``uuid5`` from the name, so every
  run and every tenant has the same table; only the *order* differs per tenant (shuffled by the
  tenant id), as clients must never rely on positions.

Clients must resolve ids by name from this service principal (Microsoft: "resolve ids at run
time"); a generated id therefore cannot leak into a real tenant.
"""

from __future__ import annotations

import random
import uuid

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_DISPLAY_NAME = "Microsoft Graph"
GRAPH_OWNER_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

# Application permissions (appRoles, "Role") named by the collection, its docs and its tests.
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
    "Policy.Read.All": "246dd0d5-5bd0-4def-940b-0421030a5b68",
    "Policy.ReadWrite.ApplicationConfiguration": "be74164b-cff1-491c-8741-e671cb536e13",
    "Mail.Read": "810c84a8-4a9e-49e6-bf7d-12d183f40d01",
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
    "Application.Read.All": "c79f8feb-a9db-4090-85f9-90d820caa0eb",
    "Application.ReadWrite.All": "bdfbf15f-ee85-4955-8675-146e8e5296b5",
    "AppRoleAssignment.ReadWrite.All": "84bccea3-f856-4a8a-967b-dbe0a3d53a64",
    "DelegatedPermissionGrant.ReadWrite.All": "41ce6ca6-6826-4807-84f1-1c82854f7ee5",
    "Directory.Read.All": "06da0dbc-49e2-44d2-8312-53f166ab848a",
    "Policy.Read.All": "572fea84-0151-49b2-9301-11cb16974376",
    "Mail.Read": "570282fd-fa5c-430d-a7fd-fc8dc98a9dca",
    "Files.Read": "10465720-29dd-4523-a11a-6a75c743c9d9",
}
USER_CONSENTABLE = {"User.Read", "Presence.Read", "Presence.Read.All", "openid", "profile", "email", "offline_access", "Mail.Read", "Files.Read"}

# The bulk: resources and verbs as Graph uses them. Deterministic; about 300 roles and 400 scopes.
_RESOURCES = (
    "AccessReview",
    "AdministrativeUnit",
    "Agreement",
    "APIConnectors",
    "AppCatalog",
    "AuditLog",
    "AuthenticationContext",
    "Bookings",
    "BrowserSiteLists",
    "Calendars",
    "CallRecords",
    "Channel",
    "ChannelMember",
    "ChannelMessage",
    "ChannelSettings",
    "Chat",
    "ChatMember",
    "ChatMessage",
    "CloudPC",
    "ConsentRequest",
    "Contacts",
    "CrossTenantInformation",
    "CustomSecAttributeAssignment",
    "Device",
    "DeviceManagementApps",
    "DeviceManagementConfiguration",
    "DeviceManagementManagedDevices",
    "DeviceManagementRBAC",
    "DeviceManagementServiceConfig",
    "Domain",
    "EduAssignments",
    "EduRoster",
    "EntitlementManagement",
    "EventListener",
    "ExternalConnection",
    "ExternalItem",
    "Files",
    "Group",
    "GroupMember",
    "IdentityProvider",
    "IdentityRiskEvent",
    "IdentityRiskyUser",
    "IdentityUserFlow",
    "InformationProtectionPolicy",
    "LearningContent",
    "LicenseAssignment",
    "Mail",
    "MailboxSettings",
    "Member",
    "Notes",
    "OnlineMeetings",
    "OnPremisesPublishingProfiles",
    "OrgContact",
    "People",
    "Place",
    "Printer",
    "PrintJob",
    "PrivilegedAccess",
    "ProgramControl",
    "RecordsManagement",
    "Reports",
    "RoleManagement",
    "Schedule",
    "SecurityActions",
    "SecurityAlert",
    "SecurityEvents",
    "SecurityIncident",
    "ServiceHealth",
    "ServiceMessage",
    "ServicePrincipalEndpoint",
    "ShortNotes",
    "Sites",
    "SubjectRightsRequest",
    "Synchronization",
    "Tasks",
    "Team",
    "TeamMember",
    "TeamsActivity",
    "TeamsApp",
    "TeamsTab",
    "TeamTemplates",
    "TermStore",
    "ThreatAssessment",
    "ThreatHunting",
    "ThreatIndicators",
    "TrustFrameworkKeySet",
    "User",
    "UserAuthenticationMethod",
    "UserNotification",
    "UserShiftPreferences",
    "VirtualEvent",
    "WindowsUpdates",
    "WorkforceIntegration",
)
_ROLE_VERBS = (".Read.All", ".ReadWrite.All", ".ReadBasic.All")
_SCOPE_VERBS = (".Read", ".ReadWrite", ".Read.All", ".ReadWrite.All", ".ReadBasic.All")
_NAMESPACE = uuid.UUID("6f1c2d6e-0b7a-4c1e-9a43-1f0e5d1c7b20")


def _generated_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


def _table(kind: str, named: dict, verbs) -> dict:
    table = dict(named)
    for resource in _RESOURCES:
        for verb in verbs:
            table.setdefault(resource + verb, _generated_id(kind, resource + verb))
    return table


ALL_APP_ROLES = _table("Role", APP_ROLES, _ROLE_VERBS)
ALL_SCOPES = _table("Scope", SCOPES, _SCOPE_VERBS)


def _role(name: str, role_id: str) -> dict:
    return {
        "allowedMemberTypes": ["Application"],
        "description": f"Allows the app to use {name} without a signed-in user.",
        "displayName": name,
        "id": role_id,
        "isEnabled": True,
        "origin": "Application",
        "value": name,
    }


def _scope(name: str, scope_id: str) -> dict:
    return {
        "adminConsentDescription": f"Allows the app to use {name} on behalf of the signed-in user.",
        "adminConsentDisplayName": name,
        "id": scope_id,
        "isEnabled": True,
        "type": "User" if name in USER_CONSENTABLE or name.endswith((".Read", ".ReadWrite")) else "Admin",
        "userConsentDescription": f"Allows the app to use {name} on your behalf.",
        "userConsentDisplayName": name,
        "value": name,
    }


def graph_service_principal(object_id: str, tenant_id: str, created: str) -> dict:
    """The Graph SP of one tenant: the same roles and scopes everywhere, in a per-tenant order."""
    shuffle = random.Random(tenant_id)
    roles = [_role(n, i) for n, i in ALL_APP_ROLES.items()]
    scopes = [_scope(n, i) for n, i in ALL_SCOPES.items()]
    shuffle.shuffle(roles)
    shuffle.shuffle(scopes)
    sp = {
        "id": object_id,
        "deletedDateTime": None,
        "addIns": [],
        "alternativeNames": [],
        "appDescription": None,
        "applicationTemplateId": None,
        "description": None,
        "disabledByMicrosoftStatus": None,
        "homepage": None,
        "info": {"logoUrl": None, "marketingUrl": None, "privacyStatementUrl": None, "supportUrl": None, "termsOfServiceUrl": None},
        "keyCredentials": [],
        "loginUrl": None,
        "logoutUrl": None,
        "notes": None,
        "notificationEmailAddresses": [],
        "passwordCredentials": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": [],
        "resourceSpecificApplicationPermissions": [],
        "samlSingleSignOnSettings": None,
        "signInAudience": "AzureADMultipleOrgs",
        "tokenEncryptionKeyId": None,
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
        "appId": GRAPH_APP_ID,
        "displayName": GRAPH_DISPLAY_NAME,
        "appDisplayName": GRAPH_DISPLAY_NAME,
        "servicePrincipalType": "Application",
        "accountEnabled": True,
        "appOwnerOrganizationId": GRAPH_OWNER_TENANT,
        "appRoleAssignmentRequired": False,
        "servicePrincipalNames": [GRAPH_APP_ID, "https://canary.graph.microsoft.com", "https://graph.microsoft.com", "https://ags.windows.net"],
        "tags": [],
        "createdDateTime": created,
        "appRoles": roles,
        "oauth2PermissionScopes": scopes,
    }
    return sp
