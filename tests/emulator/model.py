"""Directory objects of one tenant: creation, validation and the rules Graph applies to them.

Pure-ish helpers over a tenant dict (``state.Store.tenants[tid]``); the HTTP layer in
``app.py`` adds authentication, permissions, faults and the wire format.
"""

from __future__ import annotations

import base64
import copy
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
URIS = {"redirectUris": [str]}
REQUIRED_RESOURCE_ACCESS = [{"resourceAppId": str, "resourceAccess": [{"id": str, "type": str}]}]
KEY_CREDENTIAL = {
    "customKeyIdentifier": OPT_STR,
    "displayName": OPT_STR,
    "endDateTime": OPT_STR,
    "key": str,
    "keyId": OPT_STR,
    "startDateTime": OPT_STR,
    "type": str,
    "usage": str,
}
APP_ROLE = {
    "allowedMemberTypes": [str],
    "description": OPT_STR,
    "displayName": OPT_STR,
    "id": str,
    "isEnabled": bool,
    "origin": OPT_STR,
    "value": OPT_STR,
}
PERMISSION_SCOPE = {
    "adminConsentDescription": OPT_STR,
    "adminConsentDisplayName": OPT_STR,
    "id": str,
    "isEnabled": bool,
    "type": OPT_STR,
    "userConsentDescription": OPT_STR,
    "userConsentDisplayName": OPT_STR,
    "value": OPT_STR,
    "origin": OPT_STR,
}
APPLICATION_SCHEMA = {
    "displayName": str,
    "uniqueName": OPT_STR,
    "description": OPT_STR,
    "notes": OPT_STR,
    "signInAudience": str,
    "tags": [str],
    "identifierUris": [str],
    "isFallbackPublicClient": OPT_BOOL,
    "requiredResourceAccess": REQUIRED_RESOURCE_ACCESS,
    "publicClient": URIS,
    "spa": URIS,
    "web": {
        "redirectUris": [str],
        "homePageUrl": OPT_STR,
        "logoutUrl": OPT_STR,
        "implicitGrantSettings": {"enableAccessTokenIssuance": OPT_BOOL, "enableIdTokenIssuance": OPT_BOOL},
    },
    "keyCredentials": [KEY_CREDENTIAL],
    "appRoles": [APP_ROLE],
    "api": {
        "requestedAccessTokenVersion": (int, type(None)),
        "oauth2PermissionScopes": [PERMISSION_SCOPE],
        "acceptMappedClaims": OPT_BOOL,
        "knownClientApplications": [str],
    },
    "info": {
        "logoUrl": OPT_STR,
        "marketingUrl": OPT_STR,
        "privacyStatementUrl": OPT_STR,
        "supportUrl": OPT_STR,
        "termsOfServiceUrl": OPT_STR,
    },
    "serviceManagementReference": OPT_STR,
}
SIGN_IN_AUDIENCES = ("AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount")
PERSONAL_AUDIENCES = ("AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount")
SERVICE_PRINCIPAL_SCHEMA = {
    "appId": str,
    "accountEnabled": OPT_BOOL,
    "appRoleAssignmentRequired": OPT_BOOL,
    "tags": [str],
    "notes": OPT_STR,
    "description": OPT_STR,
}
ASSIGNMENT_SCHEMA = {"principalId": str, "resourceId": str, "appRoleId": str, "principalType": OPT_STR}
GRANT_SCHEMA = {"clientId": str, "consentType": str, "principalId": OPT_STR, "resourceId": str, "scope": OPT_STR}
PASSWORD_SCHEMA = {"passwordCredential": {"displayName": OPT_STR, "endDateTime": OPT_STR, "startDateTime": OPT_STR, "customKeyIdentifier": OPT_STR}}


# Properties Graph returns but never takes in a request body (secrets only through addPassword).
READ_ONLY = {"id", "appId", "createdDateTime", "deletedDateTime", "publisherDomain", "passwordCredentials", "servicePrincipalType", "appOwnerOrganizationId"}


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


def unique_name_taken(tenant: dict, unique_name: str | None, except_id: str | None = None) -> bool:
    if not unique_name:
        return False
    return any(a.get("uniqueName") == unique_name and a["id"] != except_id for a in tenant["applications"].values())


def create_application(tenant: dict, body: dict, now: float, owner_id: str | None = None) -> dict:
    validate(body, APPLICATION_SCHEMA, "Application")
    if not body.get("displayName"):
        raise bad_request("Property 'displayName' is required when creating an application.")
    if unique_name_taken(tenant, body.get("uniqueName")):
        raise bad_request("Another object with the same value for property uniqueName already exists.", "Request_MultipleObjectsWithSameKeyValue")
    app = {
        "id": new_id(),
        "appId": new_id(),
        "displayName": None,
        "uniqueName": None,
        "description": None,
        "notes": None,
        "signInAudience": "AzureADMyOrg",
        "createdDateTime": iso(now),
        "deletedDateTime": None,
        "publisherDomain": tenant["domain"],
        "tags": [],
        "identifierUris": [],
        "isFallbackPublicClient": False,
        "requiredResourceAccess": [],
        "passwordCredentials": [],
        "keyCredentials": [],
        "appRoles": [],
        "api": {"requestedAccessTokenVersion": None, "oauth2PermissionScopes": [], "acceptMappedClaims": None, "knownClientApplications": []},
        "info": {"logoUrl": None, "marketingUrl": None, "privacyStatementUrl": None, "supportUrl": None, "termsOfServiceUrl": None},
        "publicClient": {"redirectUris": []},
        "spa": {"redirectUris": []},
        "web": {
            "redirectUris": [],
            "homePageUrl": None,
            "logoutUrl": None,
            "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": False},
        },
        "serviceManagementReference": None,
    }
    _merge(app, body)
    check_application(app)
    _normalise_key_credentials(app, now)
    tenant["applications"][app["id"]] = app
    tenant["owners"][app["id"]] = [owner_id] if owner_id else []
    return app


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
    if "keyCredentials" in body:
        _normalise_key_credentials(updated, now)
    app.clear()
    app.update(updated)


def add_password(tenant: dict, app: dict, body: dict, now: float, propagation_delay: float) -> dict:
    validate(body or {}, PASSWORD_SCHEMA, "PasswordCredential")
    spec = (body or {}).get("passwordCredential") or {}
    policy = tenant["policy"]
    if not policy.get("password_addition", True):
        raise bad_request("Password credential addition is not allowed as per assigned policy.", "CredentialTypeNotAllowedAsPerAppPolicy")
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
    max_days = policy.get("password_max_lifetime_days")
    if max_days and end - start > max_days * 86400 + 60:
        raise bad_request(
            f"Credential lifetime exceeds the max value allowed as per assigned policy ({max_days} days).", "CredentialInvalidLifetimeAsPerAppPolicy"
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
        "appId": app["appId"],
        "displayName": app["displayName"],
        "appDisplayName": app["displayName"],
        "servicePrincipalType": "Application",
        "accountEnabled": True,
        "appOwnerOrganizationId": tenant["id"],
        "appRoleAssignmentRequired": False,
        "servicePrincipalNames": [app["appId"]] + list(app.get("identifierUris") or []),
        "tags": [],
        "notes": None,
        "description": None,
        "createdDateTime": iso(now),
        "appRoles": copy.deepcopy(app.get("appRoles") or []),
        "oauth2PermissionScopes": copy.deepcopy((app.get("api") or {}).get("oauth2PermissionScopes") or []),
    }
    for key in ("accountEnabled", "appRoleAssignmentRequired", "tags", "notes", "description"):
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
