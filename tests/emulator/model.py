"""Directory objects of one tenant: creation, validation and the rules Graph applies to them.

Pure-ish helpers over a tenant dict (``state.Store.tenants[tid]``); the HTTP layer in
``app.py`` adds authentication, permissions, faults and the wire format.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import string
import uuid

from . import certs
from .state import iso, parse_iso, secret_hash


class GraphError(Exception):
    """An OData error: ``{"error": {"code", "message", "innerError"}}`` with this HTTP status."""

    def __init__(self, status: int, code: str, message: str, details: list | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details, self.headers = status, code, message, details, headers or {}


def not_found(key: str) -> GraphError:
    return GraphError(404, "Request_ResourceNotFound", f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.")


def bad_request(message: str, code: str = "Request_BadRequest") -> GraphError:
    return GraphError(400, code, message)


# --- body validation --------------------------------------------------------------------------
# A schema is a type, a tuple of types, a one-item list (collection of), or a dict (complex type).
# Graph rejects unknown properties and wrong types with 400 Request_BadRequest
# (reference/graph.md "Errors"); only the properties the emulator supports are listed.
OPT_STR = (str, type(None))
OPT_BOOL = (bool, type(None))
ANY = object  # a documented property the emulator stores as given (no rule of its own)
GUID = "guid"  # a string that must be a GUID (Edm.Guid in Graph's metadata)
OPT_GUID = "guid?"
URIS = {"redirectUris": [str]}
REQUIRED_RESOURCE_ACCESS = [{"resourceAppId": str, "resourceAccess": [{"id": GUID, "type": str}]}]
KEY_CREDENTIAL = {
    "customKeyIdentifier": OPT_STR,
    "displayName": OPT_STR,
    "endDateTime": OPT_STR,
    "key": str,
    "keyId": OPT_GUID,
    "startDateTime": OPT_STR,
    "type": str,
    "usage": str,
}
PASSWORD_CREDENTIAL = {"customKeyIdentifier": OPT_STR, "displayName": OPT_STR, "endDateTime": OPT_STR, "startDateTime": OPT_STR}
APP_ROLE = {
    "allowedMemberTypes": [str],
    "description": OPT_STR,
    "displayName": OPT_STR,
    "id": GUID,
    "isEnabled": bool,
    "origin": OPT_STR,
    "value": OPT_STR,
}
PERMISSION_SCOPE = {
    "adminConsentDescription": OPT_STR,
    "adminConsentDisplayName": OPT_STR,
    "id": GUID,
    "isEnabled": bool,
    "type": OPT_STR,
    "userConsentDescription": OPT_STR,
    "userConsentDisplayName": OPT_STR,
    "value": OPT_STR,
    "origin": OPT_STR,
}
# Writable properties of application (https://learn.microsoft.com/graph/api/resources/application).
APPLICATION_SCHEMA = {
    "addIns": ANY,
    "api": {
        "requestedAccessTokenVersion": (int, type(None)),
        "oauth2PermissionScopes": [PERMISSION_SCOPE],
        "acceptMappedClaims": OPT_BOOL,
        "knownClientApplications": [GUID],
        "preAuthorizedApplications": ANY,
    },
    "appRoles": [APP_ROLE],
    "authenticationBehaviors": ANY,
    "certification": ANY,
    "defaultRedirectUri": OPT_STR,
    "description": OPT_STR,
    "displayName": str,
    "groupMembershipClaims": OPT_STR,
    "identifierUris": [str],
    "info": {
        "logoUrl": OPT_STR,
        "marketingUrl": OPT_STR,
        "privacyStatementUrl": OPT_STR,
        "supportUrl": OPT_STR,
        "termsOfServiceUrl": OPT_STR,
    },
    "isDeviceOnlyAuthSupported": OPT_BOOL,
    "isFallbackPublicClient": OPT_BOOL,
    "keyCredentials": [KEY_CREDENTIAL],
    "nativeAuthenticationApisEnabled": OPT_STR,
    "notes": OPT_STR,
    "oauth2RequirePostResponse": OPT_BOOL,
    "optionalClaims": ANY,
    "parentalControlSettings": ANY,
    "publicClient": URIS,
    "requestSignatureVerification": ANY,
    "requiredResourceAccess": REQUIRED_RESOURCE_ACCESS,
    "samlMetadataUrl": OPT_STR,
    "serviceManagementReference": OPT_STR,
    "servicePrincipalLockConfiguration": ANY,
    "signInAudience": str,
    "spa": URIS,
    "tags": [str],
    "tokenEncryptionKeyId": OPT_GUID,
    "uniqueName": OPT_STR,
    "verifiedPublisher": ANY,
    "web": {
        "redirectUris": [str],
        "redirectUriSettings": ANY,
        "homePageUrl": OPT_STR,
        "logoutUrl": OPT_STR,
        "implicitGrantSettings": {"enableAccessTokenIssuance": OPT_BOOL, "enableIdTokenIssuance": OPT_BOOL},
    },
}
# POST /applications also takes passwordCredentials (Create application, example 2: "Create a new
# application and add a password secret"); PATCH does not (addPassword / removePassword).
CREATE_APPLICATION_SCHEMA = dict(APPLICATION_SCHEMA, passwordCredentials=[PASSWORD_CREDENTIAL])
SIGN_IN_AUDIENCES = ("AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount")
PERSONAL_AUDIENCES = ("AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount")
SERVICE_PRINCIPAL_SCHEMA = {
    "appId": str,
    "accountEnabled": OPT_BOOL,
    "appRoleAssignmentRequired": OPT_BOOL,
    "tags": [str],
    "notes": OPT_STR,
    "description": OPT_STR,
    "homepage": OPT_STR,
    "loginUrl": OPT_STR,
    "logoutUrl": OPT_STR,
    "notificationEmailAddresses": [str],
    "preferredSingleSignOnMode": OPT_STR,
    "replyUrls": [str],
}
ASSIGNMENT_SCHEMA = {"principalId": GUID, "resourceId": GUID, "appRoleId": GUID, "principalType": OPT_STR}
GRANT_SCHEMA = {"clientId": str, "consentType": str, "principalId": OPT_STR, "resourceId": str, "scope": OPT_STR}
PASSWORD_SCHEMA = {"passwordCredential": PASSWORD_CREDENTIAL}

# Every property Graph documents (and returns) per type: $select and $filter check names against
# these, not against the object at hand (an empty list still refuses an unknown property).
APPLICATION_PROPERTIES = (
    "id",
    "deletedDateTime",
    "addIns",
    "api",
    "appId",
    "applicationTemplateId",
    "appRoles",
    "certification",
    "createdByAppId",
    "createdDateTime",
    "defaultRedirectUri",
    "description",
    "disabledByMicrosoftStatus",
    "displayName",
    "groupMembershipClaims",
    "identifierUris",
    "info",
    "isDeviceOnlyAuthSupported",
    "isFallbackPublicClient",
    "keyCredentials",
    "nativeAuthenticationApisEnabled",
    "notes",
    "oauth2RequirePostResponse",
    "optionalClaims",
    "parentalControlSettings",
    "passwordCredentials",
    "publicClient",
    "publisherDomain",
    "requestSignatureVerification",
    "requiredResourceAccess",
    "samlMetadataUrl",
    "serviceManagementReference",
    "servicePrincipalLockConfiguration",
    "signInAudience",
    "spa",
    "tags",
    "tokenEncryptionKeyId",
    "uniqueName",
    "verifiedPublisher",
    "web",
)
SERVICE_PRINCIPAL_PROPERTIES = (
    "id",
    "deletedDateTime",
    "accountEnabled",
    "addIns",
    "alternativeNames",
    "appDescription",
    "appDisplayName",
    "appId",
    "applicationTemplateId",
    "appOwnerOrganizationId",
    "appRoleAssignmentRequired",
    "appRoles",
    "createdDateTime",
    "description",
    "disabledByMicrosoftStatus",
    "displayName",
    "homepage",
    "info",
    "keyCredentials",
    "loginUrl",
    "logoutUrl",
    "notes",
    "notificationEmailAddresses",
    "oauth2PermissionScopes",
    "passwordCredentials",
    "preferredSingleSignOnMode",
    "preferredTokenSigningKeyThumbprint",
    "replyUrls",
    "resourceSpecificApplicationPermissions",
    "samlSingleSignOnSettings",
    "servicePrincipalNames",
    "servicePrincipalType",
    "signInAudience",
    "tags",
    "tokenEncryptionKeyId",
    "verifiedPublisher",
)
GRANT_PROPERTIES = ("id", "clientId", "consentType", "principalId", "resourceId", "scope")
ASSIGNMENT_PROPERTIES = (
    "id",
    "deletedDateTime",
    "appRoleId",
    "createdDateTime",
    "principalDisplayName",
    "principalId",
    "principalType",
    "resourceDisplayName",
    "resourceId",
)
PASSWORD_CREDENTIAL_PROPERTIES = ("customKeyIdentifier", "displayName", "endDateTime", "hint", "keyId", "secretText", "startDateTime")
ORGANIZATION_PROPERTIES = (
    "id",
    "deletedDateTime",
    "businessPhones",
    "city",
    "country",
    "countryLetterCode",
    "createdDateTime",
    "displayName",
    "marketingNotificationEmails",
    "onPremisesLastSyncDateTime",
    "onPremisesSyncEnabled",
    "postalCode",
    "preferredLanguage",
    "privacyProfile",
    "securityComplianceNotificationMails",
    "securityComplianceNotificationPhones",
    "state",
    "street",
    "technicalNotificationMails",
    "tenantType",
    "verifiedDomains",
    "assignedPlans",
    "provisionedPlans",
)
POLICY_PROPERTIES = (
    "id",
    "deletedDateTime",
    "description",
    "displayName",
    "isEnabled",
    "applicationRestrictions",
    "servicePrincipalRestrictions",
    "restrictions",
    "isOrganizationDefault",
)
DIRECTORY_OBJECT_PROPERTIES = tuple(dict.fromkeys(APPLICATION_PROPERTIES + SERVICE_PRINCIPAL_PROPERTIES))
PROPERTIES = {
    "application": APPLICATION_PROPERTIES,
    "servicePrincipal": SERVICE_PRINCIPAL_PROPERTIES,
    "oAuth2PermissionGrant": GRANT_PROPERTIES,
    "appRoleAssignment": ASSIGNMENT_PROPERTIES,
    "organization": ORGANIZATION_PROPERTIES,
    "directoryObject": DIRECTORY_OBJECT_PROPERTIES,
    "appManagementPolicy": POLICY_PROPERTIES,
    "tenantAppManagementPolicy": POLICY_PROPERTIES,
}
# Edm.Guid-typed properties: a $filter compares them with an unquoted GUID literal; a quoted one is
# a type error (https://learn.microsoft.com/graph/filter-query-parameter: "Guids unquoted").
GUID_PROPERTIES = {"appRoleAssignment": ("appRoleId", "principalId", "resourceId")}


# Properties Graph returns but never takes in a request body (secrets only through addPassword).
READ_ONLY = {
    "id",
    "appId",
    "createdDateTime",
    "deletedDateTime",
    "publisherDomain",
    "passwordCredentials",
    "servicePrincipalType",
    "appOwnerOrganizationId",
    "createdByAppId",
    "applicationTemplateId",
    "disabledByMicrosoftStatus",
}

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(value) -> bool:
    return isinstance(value, str) and bool(GUID_RE.match(value))


def validate(body, schema, resource: str, path: str = ""):
    """Raise 400 Request_BadRequest for an unknown property or a value of the wrong type."""
    if isinstance(schema, dict):
        if not isinstance(body, dict):
            raise bad_request(f"Invalid value specified for property '{path or resource}' of resource '{resource}'.")
        for key, value in body.items():
            if key.startswith("@odata."):
                continue
            if not path and key in READ_ONLY and key not in schema:
                hint = " Use addPassword and removePassword." if key == "passwordCredentials" else ""
                raise bad_request(f"Property '{key}' is read-only and cannot be set.{hint}")
            if key not in schema:
                raise bad_request(f"Property '{key}' does not exist as a declared property or extension property.")
            validate(value, schema[key], resource, key)
    elif isinstance(schema, list):
        if not isinstance(body, list):
            raise bad_request(f"Invalid value specified for property '{path}' of resource '{resource}'.")
        for item in body:
            validate(item, schema[0], resource, path)
    elif schema is ANY:
        return
    elif schema in (GUID, OPT_GUID):
        if body is None and schema == OPT_GUID:
            return
        if not is_guid(body):
            raise bad_request(f"Invalid value specified for property '{path}' of resource '{resource}'.")
    else:
        types = schema if isinstance(schema, tuple) else (schema,)
        # bool is an int in Python; Graph does not take true for a number.
        if not isinstance(body, types) or (isinstance(body, bool) and bool not in types):
            raise bad_request(f"Invalid value specified for property '{path}' of resource '{resource}'.")


def new_id() -> str:
    return str(uuid.uuid4())


def assignment_id() -> str:
    # Real appRoleAssignment / grant ids are base64url strings, not GUIDs; clients must not parse them.
    return base64.urlsafe_b64encode(secrets.token_bytes(33)).decode().rstrip("=")


def secret_text() -> str:
    """A 40-character secret shaped like Entra's (``abc8Q~...``): the hint is its first 3 characters."""
    alphabet = string.ascii_letters + string.digits + "_-.~"
    return "".join(secrets.choice(alphabet) for _pos in range(3)) + "8Q~" + "".join(secrets.choice(alphabet) for _pos in range(34))


def _merge(target: dict, patch: dict):
    """Graph PATCH: complex properties merge one level; collections (lists) are replaced whole."""
    for key, value in patch.items():
        if key.startswith("@odata."):
            continue
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _normalise_key_credentials(app: dict, now: float):
    creds = []
    for cred in app.get("keyCredentials") or []:
        cred = dict(cred)
        try:
            cert = certs.certificate_from_key_credential(cred["key"])
        except Exception as exc:  # noqa: BLE001 - any parse failure is a bad request
            raise bad_request("Invalid value specified for property 'key' of resource 'KeyCredential'.") from exc
        cred.setdefault("keyId", None)
        cred["keyId"] = cred["keyId"] or new_id()
        cred["customKeyIdentifier"] = cred.get("customKeyIdentifier") or certs.thumbprint_of(cert).hex().upper()
        cred["startDateTime"] = cred.get("startDateTime") or iso(cert.not_valid_before_utc.timestamp())
        cred["endDateTime"] = cred.get("endDateTime") or iso(cert.not_valid_after_utc.timestamp())
        cred.setdefault("displayName", cert.subject.rfc4514_string())
        creds.append(cred)
    app["keyCredentials"] = creds


def check_application(app: dict):
    rra = app.get("requiredResourceAccess") or []
    # graph.md "Limits": at most 50 APIs and 400 permissions in requiredResourceAccess.
    if len(rra) > 50 or sum(len(r["resourceAccess"]) for r in rra) > 400:
        raise bad_request("requiredResourceAccess may name at most 50 resources and 400 permissions in total.")
    if app.get("signInAudience") not in SIGN_IN_AUDIENCES:
        raise bad_request(f"Invalid value specified for property 'signInAudience' of resource 'Application'. Valid values: {', '.join(SIGN_IN_AUDIENCES)}.")
    for rra in app.get("requiredResourceAccess") or []:
        for access in rra["resourceAccess"]:
            if access["type"] not in ("Scope", "Role"):
                raise bad_request("Invalid value specified for property 'type' of resource 'ResourceAccess'.")
    if app.get("signInAudience") in PERSONAL_AUDIENCES and (app.get("api") or {}).get("requestedAccessTokenVersion") != 2:
        # Personal Microsoft accounts only get v2.0 tokens: the application manifest reference
        # (https://learn.microsoft.com/entra/identity-platform/reference-app-manifest#accesstokenacceptedversion-attribute)
        # requires requestedAccessTokenVersion 2 for these audiences; Graph refuses the change.
        raise GraphError(
            400,
            "Request_BadRequest",
            "Property api.requestedAccessTokenVersion is invalid.",
            details=[{"code": "InvalidValue", "target": "api.requestedAccessTokenVersion"}],
        )
    for collection, label in (("appRoles", "appRoles"), ("oauth2PermissionScopes", "api.oauth2PermissionScopes")):
        items = app.get(collection) if collection == "appRoles" else (app.get("api") or {}).get(collection)
        ids = [i["id"] for i in items or []]
        if len(ids) != len(set(i.lower() for i in ids)):
            raise bad_request(f"Property '{label}' holds two entries with the same id.")


def check_identifier_uris(tenant: dict, app: dict):
    """identifierUris are unique in the tenant (Graph: "Another object with the same value for
    property identifierUris already exists.")."""
    mine = {u.lower() for u in app.get("identifierUris") or []}
    for other in tenant["applications"].values():
        if other["id"] != app["id"] and mine & {u.lower() for u in other.get("identifierUris") or []}:
            raise GraphError(
                400,
                "Request_BadRequest",
                "Another object with the same value for property identifierUris already exists.",
                details=[{"code": "ObjectConflict", "target": "identifierUris"}],
            )


def check_enabled_entitlements(before: dict, after: dict):
    """An enabled app role or scope cannot be removed or changed: disable it first (Graph answers
    400 CannotDeleteOrUpdateEnabledEntitlement; https://learn.microsoft.com/entra/identity-platform/howto-add-app-roles-in-apps)."""

    def entries(app, collection):
        items = app.get("appRoles") if collection == "appRoles" else (app.get("api") or {}).get("oauth2PermissionScopes")
        return {i["id"].lower(): i for i in items or []}

    for collection in ("appRoles", "oauth2PermissionScopes"):
        old, new = entries(before, collection), entries(after, collection)
        for key, entry in old.items():
            if not entry.get("isEnabled"):
                continue
            replacement = new.get(key)
            # Disabling is the one change allowed on an enabled entry.
            if replacement is None or {k: v for k, v in replacement.items() if k != "isEnabled"} != {k: v for k, v in entry.items() if k != "isEnabled"}:
                raise bad_request("Permission (scope or role) cannot be deleted or updated unless disabled first.", "CannotDeleteOrUpdateEnabledEntitlement")


def unique_name_taken(tenant: dict, unique_name: str | None, except_id: str | None = None) -> bool:
    if not unique_name:
        return False
    return any((a.get("uniqueName") or "").lower() == unique_name.lower() and a["id"] != except_id for a in tenant["applications"].values())


def new_application(tenant: dict, now: float, created_by_app_id: str | None = None) -> dict:
    """An application with every documented property at its default (Create application's response)."""
    return {
        "id": new_id(),
        "deletedDateTime": None,
        "addIns": [],
        "api": {
            "acceptMappedClaims": None,
            "knownClientApplications": [],
            "oauth2PermissionScopes": [],
            "preAuthorizedApplications": [],
            "requestedAccessTokenVersion": None,
        },
        "appId": new_id(),
        "applicationTemplateId": None,
        "appRoles": [],
        "certification": None,
        "createdByAppId": created_by_app_id,
        "createdDateTime": iso(now),
        "defaultRedirectUri": None,
        "description": None,
        "disabledByMicrosoftStatus": None,
        "displayName": None,
        "groupMembershipClaims": None,
        "identifierUris": [],
        "info": {"logoUrl": None, "marketingUrl": None, "privacyStatementUrl": None, "supportUrl": None, "termsOfServiceUrl": None},
        "isDeviceOnlyAuthSupported": None,
        "isFallbackPublicClient": None,
        "keyCredentials": [],
        "nativeAuthenticationApisEnabled": None,
        "notes": None,
        "oauth2RequirePostResponse": False,
        "optionalClaims": None,
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": [],
        "publicClient": {"redirectUris": []},
        "publisherDomain": tenant["domain"],
        "requestSignatureVerification": None,
        "requiredResourceAccess": [],
        "samlMetadataUrl": None,
        "serviceManagementReference": None,
        "servicePrincipalLockConfiguration": None,
        "signInAudience": "AzureADMyOrg",
        "spa": {"redirectUris": []},
        "tags": [],
        "tokenEncryptionKeyId": None,
        "uniqueName": None,
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
        "web": {
            "homePageUrl": None,
            "logoutUrl": None,
            "redirectUris": [],
            "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": False},
            "redirectUriSettings": [],
        },
    }


def create_application(tenant: dict, body: dict, now: float, owner_id: str | None = None, created_by_app_id: str | None = None) -> tuple[dict, list]:
    """The new app and the secrets made for ``passwordCredentials`` in the body (their ``secretText``
    is returned once, in the create response)."""
    validate(body, CREATE_APPLICATION_SCHEMA, "Application")
    if not body.get("displayName"):
        raise bad_request("Property 'displayName' is required when creating an application.")
    if unique_name_taken(tenant, body.get("uniqueName")):
        raise bad_request("Another object with the same value for property uniqueName already exists.", "Request_MultipleObjectsWithSameKeyValue")
    app = new_application(tenant, now, created_by_app_id)
    passwords = body.get("passwordCredentials") or []
    _merge(app, {k: v for k, v in body.items() if k != "passwordCredentials"})
    if app["signInAudience"] in PERSONAL_AUDIENCES and "requestedAccessTokenVersion" not in (body.get("api") or {}):
        # Created for personal accounts: Graph sets v2 tokens (Create application's response example).
        app["api"]["requestedAccessTokenVersion"] = 2
    check_application(app)
    check_identifier_uris(tenant, app)
    _normalise_key_credentials(app, now)
    secrets_made = []
    for spec in passwords:
        secrets_made.append(_new_password(tenant, app, spec, now, 0.0))
    tenant["applications"][app["id"]] = app
    tenant["owners"][app["id"]] = [owner_id] if owner_id else []
    return app, secrets_made


def update_application(tenant: dict, app: dict, body: dict, now: float):
    validate(body, APPLICATION_SCHEMA, "Application")
    if "uniqueName" in body and app.get("uniqueName") and body["uniqueName"] != app["uniqueName"]:
        # uniqueName is immutable once set (Graph docs: "can only be set on create").
        raise bad_request("Property 'uniqueName' is read-only once set and cannot be changed.")
    if unique_name_taken(tenant, body.get("uniqueName"), app["id"]):
        raise bad_request("Another object with the same value for property uniqueName already exists.", "Request_MultipleObjectsWithSameKeyValue")
    updated = copy.deepcopy(app)
    _merge(updated, body)
    check_application(updated)
    check_identifier_uris(tenant, updated)
    check_enabled_entitlements(app, updated)
    if "keyCredentials" in body:
        _normalise_key_credentials(updated, now)
    app.clear()
    app.update(updated)


# --- app management policies -------------------------------------------------------------------
# https://learn.microsoft.com/graph/api/resources/tenantappmanagementpolicy and .../appmanagementpolicy
DEFAULT_POLICY_ID = "00000000-0000-0000-0000-000000000000"


def default_app_management_policy() -> dict:
    """The tenant default policy as ``GET /policies/defaultAppManagementPolicy`` documents it (disabled, empty)."""
    return {
        "id": DEFAULT_POLICY_ID,
        "deletedDateTime": None,
        "displayName": "Default app management tenant policy",
        "description": "Default tenant policy that enforces app management restrictions on applications and service principals. "
        "To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
        "isEnabled": False,
        "applicationRestrictions": {"passwordCredentials": [], "keyCredentials": [], "identifierUris": None},
        "servicePrincipalRestrictions": {"passwordCredentials": [], "keyCredentials": []},
    }


def new_app_management_policy(display_name: str, password_credentials: list) -> dict:
    return {
        "id": new_id(),
        "deletedDateTime": None,
        "displayName": display_name,
        "description": "Made by the emulator's control API.",
        "isEnabled": True,
        "restrictions": {"passwordCredentials": password_credentials, "keyCredentials": []},
    }


def password_restrictions(max_lifetime_days=None, password_addition=True) -> list:
    out = []
    if password_addition is False:
        out.append(
            {"restrictionType": "passwordAddition", "state": "enabled", "maxLifetime": None, "restrictForAppsCreatedAfterDateTime": "2019-10-19T10:37:00Z"}
        )
    if max_lifetime_days:
        out.append(
            {
                "restrictionType": "passwordLifetime",
                "state": "enabled",
                "maxLifetime": f"P{int(max_lifetime_days)}D",
                "restrictForAppsCreatedAfterDateTime": "2014-10-19T10:37:00Z",
            }
        )
    return out


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def duration_seconds(value: str) -> float | None:
    match = _DURATION.match(value or "")
    if not match or not any(match.groups()):
        return None
    y, mo, w, d, h, mi, sec = (float(g) if g else 0.0 for g in match.groups())
    return (((y * 365 + mo * 30 + w * 7 + d) * 24 + h) * 60 + mi) * 60 + sec


def effective_password_restrictions(tenant: dict, app: dict) -> tuple[str, list]:
    """(policy id, enabled passwordCredentials restrictions that apply to this app).

    An app with an assigned appManagementPolicy follows that policy instead of the tenant default
    ("The application or service principal adopts this policy over the tenant-wide
    tenantAppManagementPolicy setting"); a restriction applies to apps created after its
    ``restrictForAppsCreatedAfterDateTime``.
    """
    assigned = tenant.setdefault("app_policy_assignments", {}).get(app["id"])
    policy = tenant.setdefault("app_management_policies", {}).get(assigned) if assigned else None
    if policy is not None:
        if not policy.get("isEnabled", True):
            return policy["id"], []
        items = (policy.get("restrictions") or {}).get("passwordCredentials") or []
    else:
        policy = tenant.setdefault("default_app_management_policy", default_app_management_policy())
        if not policy.get("isEnabled"):
            return policy["id"], []
        items = (policy.get("applicationRestrictions") or {}).get("passwordCredentials") or []
    created = parse_iso(app["createdDateTime"])
    active = []
    for item in items:
        if item.get("state", "enabled") != "enabled":
            continue
        after = item.get("restrictForAppsCreatedAfterDateTime")
        if after and created < parse_iso(after):
            continue
        active.append(item)
    return policy["id"], active


def policy_summary(tenant: dict) -> dict:
    """The tenant default policy as the control API's ``set_policy`` speaks it."""
    policy = tenant.get("default_app_management_policy") or default_app_management_policy()
    items = (policy.get("applicationRestrictions") or {}).get("passwordCredentials") or [] if policy.get("isEnabled") else []
    days = None
    for item in items:
        if item.get("restrictionType") == "passwordLifetime" and item.get("state", "enabled") == "enabled":
            seconds = duration_seconds(item.get("maxLifetime"))
            days = int(seconds // 86400) if seconds else days
    addition = not any(i.get("restrictionType") == "passwordAddition" and i.get("state", "enabled") == "enabled" for i in items)
    return {"password_max_lifetime_days": days, "password_addition": addition}


def set_default_policy(tenant: dict, max_lifetime_days=None, password_addition=True):
    policy = tenant.setdefault("default_app_management_policy", default_app_management_policy())
    restrictions = password_restrictions(max_lifetime_days, password_addition)
    policy["applicationRestrictions"]["passwordCredentials"] = restrictions
    policy["isEnabled"] = bool(restrictions)


def _new_password(tenant: dict, app: dict, spec: dict, now: float, propagation_delay: float, enforce_policy: bool = True) -> dict:
    policy_id, restrictions = effective_password_restrictions(tenant, app) if enforce_policy else (None, [])
    if any(r.get("restrictionType") == "passwordAddition" for r in restrictions):
        # Wording as tenants report it; the code is what clients branch on.
        message = f"Password credential addition is not allowed as per assigned policy '{policy_id}'."
        raise GraphError(
            400,
            "CredentialTypeNotAllowedAsPerAppPolicy",
            message,
            details=[{"code": "InvalidCredentialType", "message": message, "target": "PasswordCredential"}],
        )
    if app.get("signInAudience") in PERSONAL_AUDIENCES and len(app["passwordCredentials"]) >= 2:
        # graph.md "Limits": personal-account audiences allow only 2 secrets.
        raise bad_request("The number of password credentials exceeds the allowed limit of 2 for this application's signInAudience.", "TooManyAppPasswords")
    try:
        start = parse_iso(spec["startDateTime"]) if spec.get("startDateTime") else now
        end = parse_iso(spec["endDateTime"]) if spec.get("endDateTime") else start + 2 * 365 * 86400
    except ValueError as exc:
        raise bad_request("Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.") from exc
    if end <= start:
        raise bad_request("Key credential end date is invalid: it must be after the start date.", "KeyCredentialsInvalidEndDate")
    for item in restrictions:
        if item.get("restrictionType") != "passwordLifetime":
            continue
        limit = duration_seconds(item.get("maxLifetime"))
        if limit is not None and end - start > limit + 60:
            # Graph's error names the policy, not the days (microsoft-365-agents-toolkit#10998 shows the body).
            message = f"Credential lifetime exceeds the max value allowed as per assigned policy '{policy_id}'."
            raise GraphError(
                400, "CredentialInvalidLifetimeAsPerAppPolicy", message, details=[{"code": "InvalidKeyEndDate", "message": message, "target": "EndDate"}]
            )
    text = secret_text()
    cred = {
        "customKeyIdentifier": spec.get("customKeyIdentifier"),
        "displayName": spec.get("displayName"),
        "endDateTime": iso(end),
        "hint": text[:3],
        "keyId": new_id(),
        "secretText": None,
        "startDateTime": iso(start),
    }
    app["passwordCredentials"].append(cred)
    tenant["secrets"][cred["keyId"]] = secret_hash(text)
    tenant["meta"].setdefault(cred["keyId"], {})["available_at"] = now + propagation_delay
    return dict(cred, secretText=text)


def add_password(tenant: dict, app: dict, body: dict, now: float, propagation_delay: float, enforce_policy: bool = True) -> dict:
    validate(body or {}, PASSWORD_SCHEMA, "PasswordCredential")
    return _new_password(tenant, app, (body or {}).get("passwordCredential") or {}, now, propagation_delay, enforce_policy)


def remove_password(tenant: dict, app: dict, body: dict):
    validate(body or {}, {"keyId": str}, "RemovePassword")
    key_id = (body or {}).get("keyId")
    if not key_id:
        raise bad_request("Property 'keyId' is required.")
    before = len(app["passwordCredentials"])
    app["passwordCredentials"] = [c for c in app["passwordCredentials"] if c["keyId"] != key_id]
    if len(app["passwordCredentials"]) == before:
        raise bad_request(f"No password credential with keyId '{key_id}' exists on the application.", "Request_BadRequest")
    tenant["secrets"].pop(key_id, None)


# https://learn.microsoft.com/en-us/graph/api/resources/federatedidentitycredential
FEDERATED_CREDENTIAL_SCHEMA = {"name": str, "issuer": str, "subject": str, "audiences": [str], "description": OPT_STR}
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"


def add_federated_identity_credential(tenant: dict, app: dict, body: dict) -> dict:
    """A federatedIdentityCredential of ``app`` (held beside the app, keyed by its object id)."""
    spec = {k: v for k, v in (body or {}).items() if k in FEDERATED_CREDENTIAL_SCHEMA}
    validate(spec, FEDERATED_CREDENTIAL_SCHEMA, "FederatedIdentityCredential")
    for prop in ("name", "issuer", "subject"):
        if not spec.get(prop):
            raise bad_request(f"Property '{prop}' is required.")
    audiences = spec.get("audiences") or [FEDERATED_AUDIENCE]
    if len(audiences) != 1:
        raise bad_request("Property 'audiences' must hold exactly one value.")
    records = tenant.setdefault("federated_identity_credentials", {}).setdefault(app["id"], [])
    if any(r["name"] == spec["name"] for r in records):
        raise bad_request(f"FederatedIdentityCredential with name {spec['name']} already exists.")
    record = {
        "id": new_id(),
        "name": spec["name"],
        "issuer": spec["issuer"],
        "subject": spec["subject"],
        "audiences": audiences,
        "description": spec.get("description"),
    }
    records.append(record)
    return record


def federated_identity_credentials(tenant: dict, app: dict) -> list:
    return tenant.get("federated_identity_credentials", {}).get(app["id"], [])


def service_principal_for(tenant: dict, app_id: str) -> dict | None:
    return next((sp for sp in tenant["servicePrincipals"].values() if sp["appId"] == app_id), None)


def create_service_principal(tenant: dict, app: dict, body: dict, now: float) -> dict:
    if service_principal_for(tenant, app["appId"]):
        raise GraphError(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            f"The service principal cannot be created, updated, or restored because the service principal name {app['appId']} is already in use.",
        )
    sp = {
        "id": new_id(),
        "deletedDateTime": None,
        "accountEnabled": True,
        "addIns": [],
        "alternativeNames": [],
        "appDescription": app.get("description"),
        "appDisplayName": app["displayName"],
        "appId": app["appId"],
        "applicationTemplateId": None,
        "appOwnerOrganizationId": tenant["id"],
        "appRoleAssignmentRequired": False,
        "appRoles": copy.deepcopy(app.get("appRoles") or []),
        "createdDateTime": iso(now),
        "description": None,
        "disabledByMicrosoftStatus": None,
        "displayName": app["displayName"],
        "homepage": (app.get("web") or {}).get("homePageUrl"),
        "info": copy.deepcopy(
            app.get("info") or {"logoUrl": None, "marketingUrl": None, "privacyStatementUrl": None, "supportUrl": None, "termsOfServiceUrl": None}
        ),
        "keyCredentials": [],
        "loginUrl": None,
        "logoutUrl": (app.get("web") or {}).get("logoutUrl"),
        "notes": None,
        "notificationEmailAddresses": [],
        "oauth2PermissionScopes": copy.deepcopy((app.get("api") or {}).get("oauth2PermissionScopes") or []),
        "passwordCredentials": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": list((app.get("web") or {}).get("redirectUris") or []) + list((app.get("publicClient") or {}).get("redirectUris") or []),
        "resourceSpecificApplicationPermissions": [],
        "samlSingleSignOnSettings": None,
        "servicePrincipalNames": [app["appId"]] + list(app.get("identifierUris") or []),
        "servicePrincipalType": "Application",
        "signInAudience": app.get("signInAudience") or "AzureADMyOrg",
        "tags": [],
        "tokenEncryptionKeyId": None,
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
    }
    for key in SERVICE_PRINCIPAL_SCHEMA:
        if key == "appId":
            continue
        if key in body:
            sp[key] = copy.deepcopy(body[key])
    tenant["servicePrincipals"][sp["id"]] = sp
    return sp


def delete_service_principal(tenant: dict, sp_id: str):
    tenant["servicePrincipals"].pop(sp_id, None)
    for key, assignment in list(tenant["appRoleAssignments"].items()):
        if sp_id in (assignment["principalId"], assignment["resourceId"]):
            del tenant["appRoleAssignments"][key]
    for key, grant in list(tenant["oauth2PermissionGrants"].items()):
        if sp_id in (grant["clientId"], grant["resourceId"]):
            del tenant["oauth2PermissionGrants"][key]
    for owners in tenant["owners"].values():
        if sp_id in owners:
            owners.remove(sp_id)


def delete_application(tenant: dict, app_id: str):
    """Deleting an app also deletes its service principal in the home tenant (as Entra does)."""
    app = tenant["applications"].pop(app_id)
    tenant["owners"].pop(app_id, None)
    tenant.get("federated_identity_credentials", {}).pop(app_id, None)
    for cred in app["passwordCredentials"]:
        tenant["secrets"].pop(cred["keyId"], None)
    sp = service_principal_for(tenant, app["appId"])
    if sp:
        delete_service_principal(tenant, sp["id"])


def create_assignment(tenant: dict, body: dict, now: float, propagation_delay: float) -> dict:
    validate(body, ASSIGNMENT_SCHEMA, "AppRoleAssignment")
    for key in ("principalId", "resourceId", "appRoleId"):
        if not body.get(key):
            raise bad_request(f"Property '{key}' is required.")
    principal = tenant["servicePrincipals"].get(body["principalId"])
    resource = tenant["servicePrincipals"].get(body["resourceId"])
    if principal is None:
        raise not_found(body["principalId"])
    if resource is None:
        raise not_found(body["resourceId"])
    role = next((r for r in resource.get("appRoles", []) if r["id"] == body["appRoleId"]), None)
    if role is None:
        raise bad_request(f"Permission being assigned was not found on application '{resource['appId']}'.")
    for existing in tenant["appRoleAssignments"].values():
        if (existing["principalId"], existing["resourceId"], existing["appRoleId"]) == (principal["id"], resource["id"], role["id"]):
            # Graph answers a duplicate assignment with 400 Request_BadRequest "Permission being
            # assigned already exists on the object." (tests/emulator/README.md "Choices").
            raise bad_request("Permission being assigned already exists on the object.")
    assignment = {
        "id": assignment_id(),
        "appRoleId": role["id"],
        "createdDateTime": iso(now),
        "deletedDateTime": None,
        "principalDisplayName": principal["displayName"],
        "principalId": principal["id"],
        "principalType": "ServicePrincipal",
        "resourceDisplayName": resource["displayName"],
        "resourceId": resource["id"],
    }
    tenant["appRoleAssignments"][assignment["id"]] = assignment
    tenant["meta"].setdefault(assignment["id"], {})["available_at"] = now + propagation_delay
    return assignment


def create_grant(tenant: dict, body: dict) -> dict:
    validate(body, GRANT_SCHEMA, "OAuth2PermissionGrant")
    for key in ("clientId", "consentType", "resourceId"):
        if not body.get(key):
            raise bad_request(f"Property '{key}' is required.")
    if body["consentType"] not in ("AllPrincipals", "Principal"):
        raise bad_request("Invalid value specified for property 'consentType' of resource 'OAuth2PermissionGrant'.")
    if body["consentType"] == "Principal" and not body.get("principalId"):
        raise bad_request("Property 'principalId' is required when consentType is 'Principal'.")
    if body["consentType"] == "AllPrincipals" and body.get("principalId"):
        raise bad_request("Property 'principalId' must be null when consentType is 'AllPrincipals'.")
    for key in ("clientId", "resourceId"):
        if body[key] not in tenant["servicePrincipals"]:
            raise not_found(body[key])
    principal = body.get("principalId")
    for existing in tenant["oauth2PermissionGrants"].values():
        if (existing["clientId"], existing["consentType"], existing["principalId"], existing["resourceId"]) == (
            body["clientId"],
            body["consentType"],
            principal,
            body["resourceId"],
        ):
            # 409 as terraform-provider-azuread#690 reports it (README "Choices").
            raise GraphError(409, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists.")
    grant = {
        "id": assignment_id(),
        "clientId": body["clientId"],
        "consentType": body["consentType"],
        "principalId": principal,
        "resourceId": body["resourceId"],
        "scope": body.get("scope") or "",
    }
    tenant["oauth2PermissionGrants"][grant["id"]] = grant
    return grant


def public_view(obj: dict) -> dict:
    """What Graph returns: never a secret or a certificate's key material."""
    out = copy.deepcopy(obj)
    for cred in out.get("passwordCredentials") or []:
        cred["secretText"] = None
    for cred in out.get("keyCredentials") or []:
        cred["key"] = None
    return out
