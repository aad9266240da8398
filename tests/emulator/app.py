"""The Flask application: Entra ID login host, Graph v1.0 and the ``/_emulator`` control API."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import time
import urllib.parse
import uuid

import jwt
from cryptography.hazmat.primitives import hashes
from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from . import certs, graph_seed, model, odata
from .model import GraphError, bad_request, not_found
from .state import iso, parse_iso, secret_hash

GRAPH_AUDIENCES = ("https://graph.microsoft.com", graph_seed.GRAPH_APP_ID)

# Application permissions per operation, from each call's page in the Graph API reference
# (https://learn.microsoft.com/graph/api/overview); any one of a set is enough.
# Application.ReadWrite.OwnedBy reads and lists every application, but writes only those it owns
# (https://learn.microsoft.com/graph/permissions-reference#applicationreadwriteownedby).
READ_APPS = {"Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All", "Directory.ReadWrite.All"}
WRITE_APPS = {"Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.ReadWrite.All"}
WRITE_ANY_APP = {"Application.ReadWrite.All", "Directory.ReadWrite.All"}
CREATE_APPS = WRITE_APPS | {"AppRegistration.Create"}
# POST /applications/{id}/owners/$ref: "Application.ReadWrite.OwnedBy and Directory.Read.All" or
# "Application.ReadWrite.All and Directory.Read.All"; "Application.ReadWrite.OwnedBy isn't
# sufficient to add another owner" (https://learn.microsoft.com/graph/api/application-post-owners).
ADD_OWNER = WRITE_ANY_APP
ADD_OWNER_ALSO = {"Directory.Read.All", "Directory.ReadWrite.All"}
ASSIGN_ROLES = {"AppRoleAssignment.ReadWrite.All"}
# AppRoleAssignment.ReadWrite.All alone gets 403 on appRoleAssignedTo: Application.Read.All (or
# more) is needed too (microsoft-graph-docs-contrib#3476, graph.md).
ASSIGN_ROLES_ALSO = {"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
READ_ASSIGNMENTS = ASSIGN_ROLES_ALSO | ASSIGN_ROLES | {"Application.ReadWrite.OwnedBy"}
READ_GRANTS = {"Directory.Read.All", "Directory.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All"}
WRITE_GRANTS = {"DelegatedPermissionGrant.ReadWrite.All"}
READ_ORG = {"Organization.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}
# GET /policies/defaultAppManagementPolicy and /policies/appManagementPolicies: Policy.Read.All;
# GET /applications/{id}/appManagementPolicies: Application.Read.All and Policy.Read.All
# (https://learn.microsoft.com/graph/api/tenantappmanagementpolicy-get, appmanagementpolicy-list-appliesto).
READ_POLICIES = {"Policy.Read.All", "Policy.ReadWrite.ApplicationConfiguration"}

# $filter: property -> (Edm type, is a collection); the rest of the documented properties answer
# Request_UnsupportedQuery, unknown names BadRequest.
FILTERS = {
    "applications": odata.FilterSpec(
        "application",
        model.APPLICATION_PROPERTIES,
        {
            "appId": ("Edm.String", False),
            "displayName": ("Edm.String", False),
            "id": ("Edm.String", False),
            "uniqueName": ("Edm.String", False),
            "identifierUris": ("Edm.String", True),
            "tags": ("Edm.String", True),
            "signInAudience": ("Edm.String", False),
            "publisherDomain": ("Edm.String", False),
            "description": ("Edm.String", False),
            "notes": ("Edm.String", False),
        },
    ),
    "servicePrincipals": odata.FilterSpec(
        "servicePrincipal",
        model.SERVICE_PRINCIPAL_PROPERTIES,
        {
            "appId": ("Edm.String", False),
            "displayName": ("Edm.String", False),
            "id": ("Edm.String", False),
            "servicePrincipalNames": ("Edm.String", True),
            "tags": ("Edm.String", True),
            "servicePrincipalType": ("Edm.String", False),
            "appOwnerOrganizationId": ("Edm.Guid", False),
        },
    ),
    "oauth2PermissionGrants": odata.FilterSpec(
        "oAuth2PermissionGrant",
        model.GRANT_PROPERTIES,
        {k: ("Edm.String", False) for k in ("clientId", "consentType", "resourceId", "principalId", "id")},
    ),
    "appRoleAssignments": odata.FilterSpec(
        "appRoleAssignment",
        model.ASSIGNMENT_PROPERTIES,
        {"principalId": ("Edm.Guid", False), "resourceId": ("Edm.Guid", False), "appRoleId": ("Edm.Guid", False)},
    ),
}
QUERY_OPTIONS = {"$filter", "$select", "$top", "$skiptoken", "$count", "$search", "$orderby", "$expand"}
SEARCHABLE = {"applications": ("displayName", "description"), "servicePrincipals": ("displayName", "description")}
SORTABLE = {"applications": ("displayName", "createdDateTime"), "servicePrincipals": ("displayName",)}
RESOURCE_OF = {
    "applications": "application",
    "servicePrincipals": "servicePrincipal",
    "oauth2PermissionGrants": "oAuth2PermissionGrant",
    "appRoleAssignments": "appRoleAssignment",
}
EXPANDABLE = {
    "application": ("owners", "appManagementPolicies"),
    "servicePrincipal": ("owners", "appRoleAssignedTo", "appRoleAssignments"),
}
# Navigation properties Graph documents but the emulator does not serve: refused, not ignored.
NOT_EMULATED_NAV = {
    "application": (
        "extensionProperties",
        "federatedIdentityCredentials",
        "homeRealmDiscoveryPolicies",
        "tokenIssuancePolicies",
        "tokenLifetimePolicies",
        "createdOnBehalfOf",
        "synchronization",
    ),
    "servicePrincipal": (
        "memberOf",
        "transitiveMemberOf",
        "ownedObjects",
        "createdObjects",
        "oauth2PermissionGrants",
        "delegatedPermissionClassifications",
        "endpoints",
        "claimsMappingPolicies",
        "homeRealmDiscoveryPolicies",
        "tokenIssuancePolicies",
        "tokenLifetimePolicies",
        "federatedIdentityCredentials",
        "appManagementPolicies",
    ),
}


class EntraError(Exception):
    def __init__(self, status: int, error: str, code: int, description: str):
        super().__init__(description)
        self.status, self.error, self.code, self.description = status, error, code, description


class Keys:
    """The token signing key (RS256), generated at start or kept in the state directory."""

    def __init__(self, private_pem: bytes, public_pem: bytes):
        from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

        self.private_pem, self.public_pem = private_pem, public_pem
        # Parse once: loading an RSA private key checks it, which costs ~100 ms per token otherwise.
        self.private_key = load_pem_private_key(private_pem, password=None)
        self.public_key = load_pem_public_key(public_pem)
        self.kid = base64.urlsafe_b64encode(secret_hash(public_pem.decode()).encode()[:16]).decode().rstrip("=")

    def jwk(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return jwk


def _kind(path: str) -> str:
    if path.startswith("/_emulator"):
        return "control"
    if path.startswith("/v1.0"):
        return "graph"
    if path.endswith("/oauth2/v2.0/token") or path.endswith("/managed-identity/token"):
        return "token"
    return "discovery"


def create_app(store, keys: Keys) -> Flask:
    app = Flask("graph_emulator")
    app.config["store"] = store

    # --- every request: faults in, log out ----------------------------------------------------
    @app.before_request
    def _before():
        g.start = time.perf_counter()
        g.request_id = str(uuid.uuid4())
        g.kind = _kind(request.path)
        g.caller = None
        g.tenant = None
        g.fault = None
        if g.kind == "control":
            return None
        with store.lock:
            latency = store.faults.latency_ms if g.kind in store.faults.latency_kinds else 0
            decision = store.faults.decide(g.kind, request.method)
        if latency:
            time.sleep(latency / 1000.0)
        if decision is None:
            return None
        what, info = decision
        g.fault = what
        if what == "drop":
            # Close the connection without an answer: the client sees a reset / EOF. werkzeug
            # then fails to write the response (BrokenPipe) and handles that quietly.
            sock = request.environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            return Response(b"", status=599)
        if what == "throttle":
            if g.kind == "token":
                return _entra_response(
                    EntraError(429, "temporarily_unavailable", 50196, "The server is busy; retry later."), {"Retry-After": str(info["retry_after"])}
                )
            return _graph_error_response(
                GraphError(
                    429, "TooManyRequests", "Too many requests. Retry after the time given in Retry-After.", headers={"Retry-After": str(info["retry_after"])}
                )
            )
        if what == "conflict":
            # Transient 409 on writes (graph.md "Updates to applications can answer 409 Conflict
            # transiently"); the code is the emulator's choice.
            return _graph_error_response(GraphError(409, "Request_Conflict", "Another operation changed this object at the same time. Retry the request."))
        status = info["status"]
        if g.kind == "token":
            return _entra_response(EntraError(status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again."))
        codes = {500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout"}
        return _graph_error_response(GraphError(status, codes.get(status, "UnknownError"), "The service is temporarily unavailable. Please retry."))

    @app.after_request
    def _after(response: Response):
        response.headers["request-id"] = g.request_id
        response.headers["client-request-id"] = request.headers.get("client-request-id", g.request_id)
        store.record(
            {
                "time": iso(store.now()),
                "method": request.method,
                "path": request.path,
                "query": request.query_string.decode(),
                "status": 0 if g.fault == "drop" else response.status_code,
                "caller": g.caller,
                "tenant": g.tenant,
                "duration_ms": round((time.perf_counter() - g.start) * 1000, 2),
                "kind": g.kind,
                "fault": g.fault,
            }
        )
        if request.method != "GET" and response.status_code < 400 and g.kind != "discovery":
            store.save()
        return response

    def _graph_error_response(err: GraphError) -> Response:
        body = {
            "error": {
                "code": err.code,
                "message": err.message,
                "innerError": {
                    "date": iso(store.now()),
                    "request-id": g.request_id,
                    "client-request-id": request.headers.get("client-request-id", g.request_id),
                },
            }
        }
        if err.details:
            body["error"]["details"] = err.details
        return Response(json.dumps(body), status=err.status, headers=err.headers, mimetype="application/json")

    def _entra_response(err: EntraError, headers: dict | None = None) -> Response:
        trace, correlation = str(uuid.uuid4()), request.headers.get("client-request-id") or str(uuid.uuid4())
        stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(store.now()))
        body = {
            "error": err.error,
            "error_description": f"AADSTS{err.code}: {err.description} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {stamp}",
            "error_codes": [err.code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"{request.host_url}error?code={err.code}",
        }
        return Response(json.dumps(body), status=err.status, headers=headers or {}, mimetype="application/json")

    @app.errorhandler(GraphError)
    def _on_graph_error(err: GraphError):
        return _graph_error_response(err)

    @app.errorhandler(Exception)
    def _on_unexpected(err: Exception):
        # Unknown URLs and emulator bugs still answer in Graph's error shape.
        if isinstance(err, HTTPException):
            status = err.code or 500
            return _graph_error_response(GraphError(status, "BadRequest" if status < 500 else "InternalServerError", err.description or str(err)))
        app.logger.exception("emulator error")
        return _graph_error_response(GraphError(500, "InternalServerError", f"Emulator error: {type(err).__name__}: {err}"))

    @app.errorhandler(EntraError)
    def _on_entra_error(err: EntraError):
        return _entra_response(err)

    def _json(obj, status=200) -> Response:
        return Response(json.dumps(obj), status=status, mimetype="application/json")

    # --- login host ---------------------------------------------------------------------------
    def _tenant_or_error(tenant_key: str) -> dict:
        tenant = store.find_tenant(tenant_key)
        if tenant is None:
            raise EntraError(
                400,
                "invalid_tenant",
                90002,
                f"Tenant '{tenant_key}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
            )
        g.tenant = tenant["id"]
        return tenant

    @app.get("/<tenant_key>/v2.0/.well-known/openid-configuration")
    def openid_configuration(tenant_key):
        tenant = _tenant_or_error(tenant_key)
        base = request.host_url.rstrip("/")
        tid = tenant["id"]
        return _json(
            {
                "token_endpoint": f"{base}/{tenant_key}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "jwks_uri": f"{base}/{tenant_key}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/{tid}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": f"{base}/oidc/userinfo",
                "authorization_endpoint": f"{base}/{tenant_key}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/{tenant_key}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/{tenant_key}/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "roles"],
                "tenant_region_scope": "EU",
                "cloud_instance_name": request.host,
                "msgraph_host": request.host,
            }
        )

    @app.get("/<tenant_key>/discovery/v2.0/keys")
    def jwks(tenant_key):
        _tenant_or_error(tenant_key)
        return _json({"keys": [keys.jwk()]})

    @app.get("/common/discovery/instance")
    def instance_discovery():
        host = request.host
        authority = request.args.get("authorization_endpoint", "")
        tenant = authority.split("/")[3] if authority.count("/") >= 3 else "common"
        return _json(
            {
                "tenant_discovery_endpoint": f"{request.host_url}{tenant}/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
            }
        )

    def _graph_resources() -> set:
        base = request.host_url.rstrip("/")
        port = request.host.rsplit(":", 1)[-1] if ":" in request.host else "443"
        return set(GRAPH_AUDIENCES) | {base, f"https://127.0.0.1:{port}", f"https://localhost:{port}"}

    @app.post("/<tenant_key>/oauth2/v2.0/token")
    def token(tenant_key):
        tenant = _tenant_or_error(tenant_key)
        form = request.form
        if form.get("grant_type") != "client_credentials":
            raise EntraError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type; only client_credentials is emulated.")
        client_id = form.get("client_id")
        basic_secret = None
        auth = request.headers.get("Authorization", "")
        if auth[:6].lower() == "basic ":
            # client_secret_basic (RFC 6749 2.3.1; listed in token_endpoint_auth_methods_supported):
            # form-urlencoded client id and secret in the Authorization header.
            try:
                user, _sep, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except ValueError as exc:
                raise EntraError(401, "invalid_client", 7000218, "The Authorization header is not valid client_secret_basic.") from exc
            basic_id, basic_secret = urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password)
            if client_id and client_id != basic_id:
                raise EntraError(401, "invalid_client", 700016, "client_id in the body and in the Authorization header differ.")
            client_id = basic_id
        if not client_id and form.get("client_assertion"):
            try:
                client_id = jwt.decode(form["client_assertion"], options={"verify_signature": False}).get("sub")
            except jwt.PyJWTError:
                client_id = None
        if not client_id:
            raise EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
        g.caller = client_id
        scope = (form.get("scope") or "").strip()
        if not scope:
            raise EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
        scopes = scope.split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            raise EntraError(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a scope value "
                "with /.default suffixed to the resource identifier (application ID URI).",
            )
        resource = scopes[0][: -len("/.default")]
        if resource.rstrip("/") not in _graph_resources():
            raise EntraError(
                400, "invalid_resource", 500011, f"The resource principal named {resource} was not found in the tenant named {tenant['displayName']}."
            )
        now = store.now()
        with store.lock:
            application = next((a for a in tenant["applications"].values() if a["appId"] == client_id), None)
            if application is None:
                raise EntraError(
                    400,
                    "unauthorized_client",
                    700016,
                    f"Application with identifier '{client_id}' was not found in the directory '{tenant['displayName']}'. This can happen if the application "
                    "has not been installed by the administrator of the tenant or consented to by any user in the tenant.",
                )
            if basic_secret is not None:
                _check_secret(tenant, application, basic_secret, now)
            elif form.get("client_secret") is not None:
                _check_secret(tenant, application, form["client_secret"], now)
            elif form.get("client_assertion") is not None:
                _check_assertion(tenant, application, form, now)
            else:
                raise EntraError(
                    401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
                )
            sp = model.service_principal_for(tenant, client_id)
            if sp is None:
                raise EntraError(
                    400, "invalid_client", 7000229, f"The client application {client_id} is missing service principal in the tenant {tenant['id']}."
                )
            roles = _roles_of(tenant, sp, now)
        access_token = _issue(tenant, sp, resource, roles, now, "2" if form.get("client_assertion") else "1")
        return _json({"token_type": "Bearer", "expires_in": store.token_lifetime, "ext_expires_in": store.token_lifetime, "access_token": access_token})

    def _issue(tenant, sp, resource, roles, now, appidacr) -> str:
        claims = {
            "aud": resource.rstrip("/"),
            "iss": f"https://sts.windows.net/{tenant['id']}/",
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now) + store.token_lifetime,
            "aio": str(uuid.uuid4()),
            "app_displayname": sp["displayName"],
            "appid": sp["appId"],
            "appidacr": appidacr,
            "azp": sp["appId"],
            "idp": f"https://sts.windows.net/{tenant['id']}/",
            "idtyp": "app",
            "oid": sp["id"],
            "sub": sp["id"],
            "tid": tenant["id"],
            "uti": uuid.uuid4().hex[:22],
            "ver": "1.0",
            # Emulator-only claim: the real-time expiry, used when token expiry follows the wall clock.
            "xms_emu_wall_exp": int(time.time()) + store.token_lifetime,
        }
        if roles:
            claims["roles"] = roles
        return jwt.encode(claims, keys.private_key, algorithm="RS256", headers={"kid": keys.kid, "x5t": keys.kid})

    @app.get("/<tenant_key>/managed-identity/token")
    def managed_identity_token(tenant_key):
        """Azure App Service's managed identity protocol (IDENTITY_ENDPOINT / IDENTITY_HEADER), as msal speaks it."""

        def mi_error(status, message):
            return _json({"statusCode": status, "message": message}, status)

        tenant = store.find_tenant(tenant_key)
        if tenant is None:
            return mi_error(404, f"Tenant '{tenant_key}' does not exist in the emulator.")
        g.tenant = tenant["id"]
        if request.headers.get("X-IDENTITY-HEADER") != store.identity_header:
            return mi_error(401, "The X-IDENTITY-HEADER is missing or wrong.")
        resource = request.args.get("resource", "")
        if resource.rstrip("/") not in _graph_resources():
            return mi_error(400, f"The resource '{resource}' is not known.")
        client_id = request.args.get("client_id")
        now = store.now()
        with store.lock:
            identities = [sp for sp in tenant["servicePrincipals"].values() if tenant["meta"].get(sp["id"], {}).get("managed_identity") in ("system", "user")]
            if client_id:
                sp = next((x for x in identities if x["appId"] == client_id and tenant["meta"][x["id"]]["managed_identity"] == "user"), None)
            else:
                sp = next((x for x in reversed(identities) if tenant["meta"][x["id"]]["managed_identity"] == "system"), None)
            if sp is None:
                return mi_error(400, "No managed identity found for the given client_id." if client_id else "No system-assigned managed identity.")
            g.caller = sp["appId"]
            roles = _roles_of(tenant, sp, now)
        token = _issue(tenant, sp, resource, roles, now, "2")
        expires_on = int(time.time()) + store.token_lifetime
        return _json({"access_token": token, "expires_on": str(expires_on), "resource": resource, "token_type": "Bearer", "client_id": sp["appId"]})

    def _check_secret(tenant, application, secret, now):
        digest = secret_hash(secret)
        for cred in application["passwordCredentials"]:
            if tenant["secrets"].get(cred["keyId"]) != digest:
                continue
            if tenant["meta"].get(cred["keyId"], {}).get("available_at", 0) > now:
                break  # not yet propagated to the token service: looks like a wrong secret (graph.md)
            if parse_iso(cred["endDateTime"]) <= now:
                raise EntraError(
                    401,
                    "invalid_client",
                    7000222,
                    f"The provided client secret keys for app '{application['appId']}' are expired. Visit the Azure portal to create new keys for your app.",
                )
            if parse_iso(cred["startDateTime"]) > now:
                break
            return
        raise EntraError(
            401,
            "invalid_client",
            7000215,
            f"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, "
            f"for a secret added to app '{application['appId']}'.",
        )

    def _check_assertion(tenant, application, form, now):
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            raise EntraError(400, "invalid_request", 50027, "Invalid client_assertion_type; expected urn:ietf:params:oauth:client-assertion-type:jwt-bearer.")
        assertion = form["client_assertion"]
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise EntraError(400, "invalid_request", 50027, "JWT token is invalid or malformed.") from exc
        if unverified.get("iss") != application["appId"]:
            # Signed by another issuer, not by the app's own certificate: workload identity federation.
            _check_federated_assertion(tenant, application, assertion, unverified)
            return
        wanted = []
        for name in ("x5t", "x5t#S256"):
            if isinstance(header.get(name), str):
                raw = header[name] + "=" * (-len(header[name]) % 4)
                try:
                    wanted.append((name, base64.urlsafe_b64decode(raw)))
                except ValueError as exc:
                    raise EntraError(400, "invalid_request", 50027, "JWT token is invalid or malformed.") from exc
        for cred in application["keyCredentials"]:
            cert = certs.certificate_from_key_credential(cred["key"])
            prints = {"x5t": cert.fingerprint(hashes.SHA1()), "x5t#S256": cert.fingerprint(hashes.SHA256())}  # noqa: S303 - x5t is SHA-1
            if not any(prints[name] == value for name, value in wanted):
                continue
            if parse_iso(cred["endDateTime"]) <= now:
                raise EntraError(401, "invalid_client", 700027, "The certificate used to sign the client assertion has expired.")
            try:
                # The client signs with its own wall clock, so exp/nbf are checked against real time,
                # not the emulated clock (README "Clock").
                claims = jwt.decode(
                    assertion,
                    cert.public_key(),
                    algorithms=["RS256", "PS256"],
                    options={"verify_aud": False, "require": ["exp", "iss", "sub"]},
                    leeway=300,
                )
            except jwt.ExpiredSignatureError as exc:
                raise EntraError(401, "invalid_client", 700024, "Client assertion is not within its valid time range.") from exc
            except jwt.PyJWTError as exc:
                raise EntraError(401, "invalid_client", 700027, "Client assertion contains an invalid signature.") from exc
            if claims.get("iss") != application["appId"] or claims.get("sub") != application["appId"]:
                raise EntraError(401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter.")
            if not str(claims.get("aud", "")).endswith("/oauth2/v2.0/token"):
                raise EntraError(401, "invalid_client", 700212, "No matching federated identity record found for presented assertion audience.")
            return
        raise EntraError(
            401,
            "invalid_client",
            700027,
            "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found.]",
        )

    def _check_federated_assertion(tenant, application, assertion, unverified):
        """An external issuer's token against the app's federatedIdentityCredentials.

        The checks follow Entra's: issuer, signature (with the key the control API gave for the
        issuer; without one only the claims are checked), time range, subject, audience.
        https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation
        https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
        The messages name issuer, subject and audience as Entra does, never the assertion itself.
        """
        issuer, subject = str(unverified.get("iss", "")), str(unverified.get("sub", ""))
        audience = unverified.get("aud")
        audiences = [str(a) for a in audience] if isinstance(audience, list) else [str(audience or "")]
        records = [r for r in model.federated_identity_credentials(tenant, application) if r["issuer"] == issuer]
        if not records:
            raise EntraError(
                400,
                "invalid_request",
                700211,
                f"No matching federated identity record found for presented assertion issuer '{issuer}'. "
                "Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
            )
        key = tenant.get("federation_issuer_keys", {}).get(issuer)
        options = {"verify_aud": False, "require": ["exp", "iss", "sub", "aud"]}
        if key is None:
            options.update(verify_signature=False, verify_exp=True, verify_nbf=True, verify_iat=True)
        try:
            # The issuer signs with its wall clock: exp/nbf are checked against real time (README "Clock").
            jwt.decode(assertion, key, algorithms=["RS256", "PS256", "ES256"], options=options, leeway=300)
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as exc:
            raise EntraError(
                400,
                "invalid_client",
                700024,
                f"Client assertion is not within its valid time range. Current time: {iso(time.time())}, "
                f"expiry time of assertion {iso(float(unverified.get('exp') or 0))}.",
            ) from exc
        except jwt.MissingRequiredClaimError as exc:
            raise EntraError(400, "invalid_request", 50027, f"JWT token is invalid or malformed: the {exc.claim} claim is missing.") from exc
        except jwt.PyJWTError as exc:
            raise EntraError(401, "invalid_client", 700027, "Client assertion contains an invalid signature.") from exc
        records = [r for r in records if r["subject"] == subject]
        if not records:
            raise EntraError(
                400,
                "invalid_request",
                700213,
                f"No matching federated identity record found for presented assertion subject '{subject}'. "
                "Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
            )
        if not any(a in r["audiences"] for r in records for a in audiences):
            raise EntraError(
                400,
                "invalid_request",
                700212,
                f"No matching federated identity record found for presented assertion audience '{', '.join(audiences)}'. "
                "Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
            )

    def _roles_of(tenant, sp, now) -> list:
        graph_sp = tenant["servicePrincipals"][tenant["graph_sp_id"]]
        by_id = {r["id"]: r["value"] for r in graph_sp["appRoles"]}
        roles = []
        for assignment in tenant["appRoleAssignments"].values():
            if assignment["principalId"] != sp["id"] or assignment["resourceId"] != graph_sp["id"]:
                continue
            if tenant["meta"].get(assignment["id"], {}).get("available_at", 0) > now:
                continue  # token propagation delay
            if assignment["appRoleId"] in by_id:
                roles.append(by_id[assignment["appRoleId"]])
        return sorted(set(roles))

    # --- Graph --------------------------------------------------------------------------------
    class Ctx:
        pass

    def _authenticate() -> Ctx:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
        try:
            claims = jwt.decode(
                header[7:].strip(),
                keys.public_key,
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_aud": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid signature or malformed token.") from exc
        if claims.get("aud") not in _graph_resources():
            raise GraphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
        expired = claims.get("xms_emu_wall_exp", 0) <= time.time() if store.token_expiry == "wall" else claims.get("exp", 0) <= store.now()
        if expired:
            raise GraphError(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        tenant = store.tenants.get(claims.get("tid"))
        if tenant is None:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid tenant.")
        ctx = Ctx()
        ctx.tenant = tenant
        ctx.claims = claims
        ctx.roles = set(claims.get("roles") or [])
        ctx.caller_sp = claims.get("oid")
        ctx.now = store.now()
        g.caller = claims.get("appid")
        g.tenant = tenant["id"]
        return ctx

    def _require(ctx, any_of: set, also: set | None = None):
        if not ctx.roles & any_of or (also and not ctx.roles & also):
            raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

    def _lagging(tenant, object_id, key_read: bool = False) -> bool:
        """Replication lag: a new object is invisible for N reads or T seconds (graph.md).

        Lists, filters and ``POST /servicePrincipals`` (NoBackingApplicationObject) always see the
        lag; reads by key only when the fault says so (``key_reads``; the realistic profile does
        not: a GET by id right after the create usually reaches the replica that wrote it).
        """
        meta = tenant["meta"].get(object_id)
        if not meta:
            return False
        if key_read and not meta.get("lag_keys", True):
            return False
        if meta.get("lag_reads", 0) > 0:
            meta["lag_reads"] -= 1
            return True
        return meta.get("lag_until", 0) > store.now()

    def _start_lag(tenant, object_id):
        lag = store.faults.replication_lag
        if not lag:
            return
        meta = tenant["meta"].setdefault(object_id, {})
        meta["lag_keys"] = lag.get("key_reads", True) is not False
        if lag.get("reads"):
            meta["lag_reads"] = int(lag["reads"])
        if lag.get("seconds"):
            meta["lag_until"] = store.now() + float(lag["seconds"])

    def _body() -> dict:
        if not request.data:
            return {}
        try:
            body = json.loads(request.data)
        except ValueError as exc:
            raise bad_request("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.") from exc
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        return body

    def _context_url(fragment: str) -> str:
        return f"{request.host_url}v1.0/$metadata#{fragment}"

    def _advanced() -> bool:
        """An advanced query: ``ConsistencyLevel: eventual`` and ``$count=true`` (aad-advanced-queries)."""
        return _eventual() and request.args.get("$count", "").lower() == "true"

    def _eventual() -> bool:
        return request.headers.get("ConsistencyLevel", "").lower() == "eventual"

    def _select_fields(resource: str) -> list | None:
        select = request.args.get("$select")
        if not select:
            return None
        fields = [f.strip() for f in select.split(",") if f.strip()]
        known = model.PROPERTIES.get(resource, ())
        for field in fields:
            # Checked against the documented properties of the type, so an empty list refuses too.
            if field not in known:
                raise GraphError(
                    400,
                    "BadRequest",
                    f"Parsing OData Select and Expand failed: Could not find a property named '{field}' on type 'microsoft.graph.{resource}'.",
                )
        return fields

    def _select(obj: dict, resource: str) -> dict:
        fields = _select_fields(resource)
        if fields is None:
            return obj
        out = {k: v for k, v in obj.items() if k.startswith("@odata.")}
        for field in fields:
            out[field] = obj.get(field)
        for name in [e.strip().split("(", 1)[0] for e in (request.args.get("$expand") or "").split(",") if e.strip()]:
            if name in obj:
                out[name] = obj[name]
        return out

    def _expand(ctx, obj: dict, resource: str) -> dict:
        expand = request.args.get("$expand")
        if not expand:
            return obj
        out = dict(obj)
        for name in [e.strip() for e in expand.split(",") if e.strip()]:
            name = name.split("(", 1)[0]
            if name in NOT_EMULATED_NAV.get(resource, ()):
                raise odata.unsupported(f"Expanding '{name}' is a Graph feature the emulator does not serve.")
            if name not in EXPANDABLE.get(resource, ()):
                raise GraphError(
                    400, "BadRequest", f"Parsing OData Select and Expand failed: Could not find a property named '{name}' on type 'microsoft.graph.{resource}'."
                )
            if name == "owners":
                out["owners"] = [o for o in (_directory_object(ctx.tenant, i) for i in ctx.tenant["owners"].get(obj["id"], [])) if o]
            elif name == "appManagementPolicies":
                out["appManagementPolicies"] = _assigned_policies(ctx.tenant, obj["id"])
            else:
                field = "resourceId" if name == "appRoleAssignedTo" else "principalId"
                out[name] = [a for a in ctx.tenant["appRoleAssignments"].values() if a[field] == obj["id"]]
        return out

    def _query(items: list, collection: str) -> list:
        """$filter, $search and $orderby over a collection, as Graph's directory applies them."""
        advanced = _advanced()
        expr = request.args.get("$filter")
        if expr:
            pred = odata.parse_filter(expr, FILTERS[collection], advanced)
            items = [i for i in items if pred(i)]
        search = request.args.get("$search")
        if search is not None:
            if collection not in SEARCHABLE:
                raise odata.unsupported(f"$search is not supported on {collection}.")
            if not _eventual():
                # aad-advanced-queries: $search only works with ConsistencyLevel: eventual.
                raise GraphError(
                    400,
                    "Request_UnsupportedQuery",
                    "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
                )
            pred = odata.parse_search(search, RESOURCE_OF[collection], SEARCHABLE[collection])
            items = [i for i in items if pred(i)]
        orderby = request.args.get("$orderby")
        if orderby:
            resource = RESOURCE_OF[collection]
            keys = odata.parse_orderby(orderby, resource, model.PROPERTIES[resource], ("displayName",), SORTABLE.get(collection, ()), advanced, bool(expr))
            for prop, descending in reversed(keys):
                items = sorted(items, key=lambda i, p=prop: (i.get(p) is None, str(i.get(p) or "").lower()), reverse=descending)
        return items

    def _filter(items: list, collection: str) -> list:
        return _query(items, collection)

    def _page_token(offset: int) -> str:
        """An opaque next-page token, valid only for the same query (Graph's are opaque too)."""
        token = "RFNwdAIAAQAAA" + base64.urlsafe_b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes).decode().rstrip("=")
        store.page_tokens[token] = {"offset": offset, "query": _query_fingerprint()}
        if len(store.page_tokens) > 20000:
            for old in list(store.page_tokens)[:10000]:
                del store.page_tokens[old]
        return token

    def _query_fingerprint() -> str:
        params = sorted((k, v) for k, v in request.args.items(multi=True) if k != "$skiptoken")
        return json.dumps([request.path, params, g.tenant])

    def _page(items: list, collection: str, resource: str, context: str, ctx=None) -> Response:
        top_raw = request.args.get("$top")
        try:
            top = int(top_raw) if top_raw is not None else 100
        except ValueError as exc:
            raise bad_request(f"Invalid page size specified: '{top_raw}'.") from exc
        if top < 1 or top > 999:
            raise bad_request(f"Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive.")
        # Server-driven paging: a page may hold fewer items than $top (the realistic profile's
        # page size), and the next link says where to go on.
        size = min(top, store.page_size)
        skip = 0
        token = request.args.get("$skiptoken")
        if token is not None:
            entry = store.page_tokens.get(token)
            if entry is None or entry["query"] != _query_fingerprint():
                raise GraphError(400, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
            skip = entry["offset"]
        if request.args.get("$count", "").lower() == "true" and not _eventual():
            # Directory objects count only as an advanced query (graph.md "Paging": ConsistencyLevel).
            raise bad_request("$count is not currently supported without the header 'ConsistencyLevel: eventual'.")
        _select_fields(resource)  # an unknown property is refused even when the page is empty
        page = []
        for item in items[skip : skip + size]:
            out = model.public_view(item)
            if ctx is not None:
                out = _expand(ctx, out, resource)
            if resource == "oAuth2PermissionGrant":
                # The documented list response carries each grant's @odata.id.
                out = dict({"@odata.id": f"{request.host_url}v2/{g.tenant}/oauth2PermissionGrants/{item['id']}"}, **out)
            page.append(_select(out, resource))
        body = {"@odata.context": _context_url(context)}
        if request.args.get("$count", "").lower() == "true" and token is None:
            body["@odata.count"] = len(items)  # on the first page only
        body["value"] = page
        if skip + size < len(items):
            params = [(k, v) for k, v in request.args.items(multi=True) if k != "$skiptoken"]
            params.append(("$skiptoken", _page_token(skip + size)))
            body["@odata.nextLink"] = f"{request.base_url}?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"
        return _json(body)

    def _count(items: list) -> Response:
        """``GET /{collection}/$count``: a plain-text number, only with ConsistencyLevel: eventual."""
        if not _eventual():
            raise bad_request("Count is not currently supported.")
        return Response(str(len(items)), status=200, mimetype="text/plain")

    def _entity(obj: dict, context: str, resource: str, status=200, ctx=None) -> Response:
        out = model.public_view(obj)
        if ctx is not None:
            out = _expand(ctx, out, resource)
        out = _select(out, resource)
        return _json(dict({"@odata.context": _context_url(context)}, **out), status)

    # applications ------------------------------------------------------------------------------
    def _owns(ctx, app_obj) -> bool:
        return ctx.caller_sp in ctx.tenant["owners"].get(app_obj["id"], [])

    def _object_id(key: str) -> str:
        """The id segment of ``/applications/{id}``: Graph answers 400 for one that is not a GUID."""
        object_id = key.lstrip("/")
        if not model.is_guid(object_id):
            raise bad_request(f"Invalid object identifier '{object_id}'.")
        return object_id.lower()

    def _find_app(tenant, key: str):
        match = re.fullmatch(r"\((appId|uniqueName)='((?:[^']|'')*)'\)", key)
        if match:
            # Alternate keys compare case-insensitively, as directory strings do.
            prop, value = match.group(1), match.group(2).replace("''", "'").lower()
            return next((a for a in tenant["applications"].values() if (a.get(prop) or "").lower() == value), None)
        return tenant["applications"].get(_object_id(key))

    def _app_for_read(ctx, key):
        app_obj = _find_app(ctx.tenant, key)
        if app_obj is None or _lagging(ctx.tenant, app_obj["id"], key_read=True):
            raise not_found(key.strip("/()"))
        return app_obj

    def _app_for_write(ctx, key):
        _require(ctx, WRITE_APPS)
        app_obj = _find_app(ctx.tenant, key)
        if app_obj is None:
            raise not_found(key.strip("/()"))
        if ctx.roles & WRITE_ANY_APP or _owns(ctx, app_obj):
            return app_obj
        # OwnedBy sees every app but writes only its own (permissions reference).
        raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

    def _creator_owner(ctx):
        # "Application.ReadWrite.OwnedBy: ... the calling app is added as an owner of the app it
        # creates" (permissions reference); likewise AppRegistration.Create (README "Owners").
        return None if ctx.roles & WRITE_ANY_APP else ctx.caller_sp

    def list_applications(ctx):
        _require(ctx, READ_APPS)
        items = [a for a in _query(list(ctx.tenant["applications"].values()), "applications") if not _lagging(ctx.tenant, a["id"])]
        return _page(items, "applications", "application", "applications", ctx)

    def count_applications(ctx):
        _require(ctx, READ_APPS)
        return _count([a for a in _query(list(ctx.tenant["applications"].values()), "applications") if not _lagging(ctx.tenant, a["id"])])

    def _created(ctx, obj, secrets_made):
        _start_lag(ctx.tenant, obj["id"])
        response = _entity(obj, "applications/$entity", "application", 201)
        if secrets_made:
            # The one response that shows the secrets made from passwordCredentials in the body.
            body = json.loads(response.get_data())
            by_key = {c["keyId"]: c for c in secrets_made}
            for cred in body.get("passwordCredentials") or []:
                cred["secretText"] = by_key.get(cred["keyId"], {}).get("secretText")
            response = _json(body, 201)
        return response

    def create_application(ctx):
        _require(ctx, CREATE_APPS)
        obj, secrets_made = model.create_application(ctx.tenant, _body(), ctx.now, _creator_owner(ctx), ctx.claims.get("appid"))
        return _created(ctx, obj, secrets_made)

    def get_application(ctx, key):
        _require(ctx, READ_APPS)
        return _entity(_app_for_read(ctx, key), "applications/$entity", "application", ctx=ctx)

    def patch_application(ctx, key):
        body = _body()
        unique = re.fullmatch(r"\(uniqueName='((?:[^']|'')*)'\)", key)
        if unique and _find_app(ctx.tenant, key) is None:
            _require(ctx, CREATE_APPS - {"AppRegistration.Create"})
            if "create-if-missing" not in request.headers.get("Prefer", "").lower():
                raise not_found(key.strip("/()"))
            unique_name = unique.group(1).replace("''", "'")
            if body.get("uniqueName", unique_name) != unique_name:
                raise bad_request("Property 'uniqueName' in the body does not match the key of the request.")
            if "passwordCredentials" in body:
                raise bad_request("Property 'passwordCredentials' is read-only and cannot be set. Use addPassword and removePassword.")
            obj, secrets_made = model.create_application(ctx.tenant, dict(body, uniqueName=unique_name), ctx.now, _creator_owner(ctx), ctx.claims.get("appid"))
            return _created(ctx, obj, secrets_made)
        app_obj = _app_for_write(ctx, key)
        model.update_application(ctx.tenant, app_obj, body, ctx.now)
        return Response(status=204)

    def delete_application(ctx, key):
        app_obj = _app_for_write(ctx, key)
        model.delete_application(ctx.tenant, app_obj["id"])
        return Response(status=204)

    def add_password(ctx, key):
        app_obj = _app_for_write(ctx, key)
        cred = model.add_password(ctx.tenant, app_obj, _body(), ctx.now, store.faults.token_propagation_delay)
        return _json(dict({"@odata.context": _context_url("microsoft.graph.passwordCredential")}, **cred))

    def add_federated_identity_credential(ctx, key):
        # POST /applications/{id}/federatedIdentityCredentials (Application.ReadWrite.All or owner).
        # Created this way the issuer's key is unknown: only the assertion's claims are checked.
        app_obj = _app_for_write(ctx, key)
        record = model.add_federated_identity_credential(ctx.tenant, app_obj, _body())
        context = _context_url(f"applications('{app_obj['id']}')/federatedIdentityCredentials/$entity")
        return _json(dict({"@odata.context": context}, **record), 201)

    def list_federated_identity_credentials(ctx, key):
        _require(ctx, READ_APPS)
        app_obj = _app_for_read(ctx, key)
        context = _context_url(f"applications('{app_obj['id']}')/federatedIdentityCredentials")
        return _json({"@odata.context": context, "value": list(model.federated_identity_credentials(ctx.tenant, app_obj))})

    def remove_password(ctx, key):
        app_obj = _app_for_write(ctx, key)
        model.remove_password(ctx.tenant, app_obj, _body())
        return Response(status=204)

    # app management policies -------------------------------------------------------------------
    def _assigned_policies(tenant, app_object_id) -> list:
        policy_id = tenant.setdefault("app_policy_assignments", {}).get(app_object_id)
        policy = tenant.setdefault("app_management_policies", {}).get(policy_id) if policy_id else None
        return [dict(policy, **{"@odata.type": "#microsoft.graph.appManagementPolicy"})] if policy else []

    def get_default_policy(ctx):
        _require(ctx, READ_POLICIES)
        policy = ctx.tenant.setdefault("default_app_management_policy", model.default_app_management_policy())
        body = dict({"@odata.context": _context_url("policies/defaultAppManagementPolicy/$entity")}, **_select(policy, "tenantAppManagementPolicy"))
        return _json(body)

    def list_policies(ctx):
        _require(ctx, READ_POLICIES)
        items = list(ctx.tenant.setdefault("app_management_policies", {}).values())
        return _page(items, "appManagementPolicies", "appManagementPolicy", "policies/appManagementPolicies")

    def get_policy(ctx, policy_id):
        _require(ctx, READ_POLICIES)
        policy = ctx.tenant.setdefault("app_management_policies", {}).get(policy_id)
        if policy is None:
            raise not_found(policy_id)
        return _entity(policy, "policies/appManagementPolicies/$entity", "appManagementPolicy")

    def list_app_policies(ctx, key):
        _require(ctx, READ_APPS)
        _require(ctx, READ_POLICIES)
        app_obj = _app_for_read(ctx, key)
        return _page(_assigned_policies(ctx.tenant, app_obj["id"]), "appManagementPolicies", "appManagementPolicy", "appManagementPolicies")

    def _directory_object(tenant, object_id) -> dict | None:
        sp = tenant["servicePrincipals"].get(object_id)
        if sp is not None:
            return dict({"@odata.type": "#microsoft.graph.servicePrincipal"}, **model.public_view(sp))
        app_obj = tenant["applications"].get(object_id)
        if app_obj is not None:
            return dict({"@odata.type": "#microsoft.graph.application"}, **model.public_view(app_obj))
        return None

    def list_owners(ctx, key):
        _require(ctx, READ_APPS)
        app_obj = _app_for_read(ctx, key)
        owners = [_directory_object(ctx.tenant, o) for o in ctx.tenant["owners"].get(app_obj["id"], [])]
        return _page([o for o in owners if o], "owners", "directoryObject", "directoryObjects")

    def add_owner(ctx, key):
        app_obj = _app_for_write(ctx, key)
        # Owners/$ref needs Directory.Read.All on top, and OwnedBy is never enough (application-post-owners).
        _require(ctx, ADD_OWNER, ADD_OWNER_ALSO)
        body = _body()
        validate_ref = body.get("@odata.id")
        if not isinstance(validate_ref, str) or len(body) != 1:
            raise bad_request("The request body must hold exactly one '@odata.id' reference.")
        owner_id = validate_ref.rstrip("/").rsplit("/", 1)[-1]
        if _directory_object(ctx.tenant, owner_id) is None:
            raise not_found(owner_id)
        owners = ctx.tenant["owners"].setdefault(app_obj["id"], [])
        if owner_id in owners:
            raise bad_request("One or more added object references already exist for the following modified properties: 'owners'.")
        owners.append(owner_id)
        return Response(status=204)

    def remove_owner(ctx, key, owner_id):
        app_obj = _app_for_write(ctx, key)
        owners = ctx.tenant["owners"].setdefault(app_obj["id"], [])
        if owner_id not in owners:
            raise not_found(owner_id)
        owners.remove(owner_id)
        return Response(status=204)

    # service principals ------------------------------------------------------------------------
    def _find_sp(tenant, key):
        match = re.fullmatch(r"\(appId='((?:[^']|'')*)'\)", key)
        if match:
            wanted = match.group(1).replace("''", "'").lower()
            return next((sp for sp in tenant["servicePrincipals"].values() if sp["appId"].lower() == wanted), None)
        return tenant["servicePrincipals"].get(_object_id(key))

    def _sp_for_read(ctx, key):
        sp = _find_sp(ctx.tenant, key)
        if sp is None or _lagging(ctx.tenant, sp["id"], key_read=True):
            raise not_found(key.strip("/()"))
        return sp

    def list_service_principals(ctx):
        # OwnedBy reads every service principal, as it reads every application (permissions reference).
        _require(ctx, READ_APPS)
        items = [s for s in _query(list(ctx.tenant["servicePrincipals"].values()), "servicePrincipals") if not _lagging(ctx.tenant, s["id"])]
        return _page(items, "servicePrincipals", "servicePrincipal", "servicePrincipals", ctx)

    def count_service_principals(ctx):
        _require(ctx, READ_APPS)
        return _count([s for s in _query(list(ctx.tenant["servicePrincipals"].values()), "servicePrincipals") if not _lagging(ctx.tenant, s["id"])])

    def create_service_principal(ctx):
        _require(ctx, WRITE_APPS)
        body = _body()
        model.validate(body, model.SERVICE_PRINCIPAL_SCHEMA, "ServicePrincipal")
        app_id = body.get("appId")
        if not app_id:
            raise bad_request("Property 'appId' is required.")
        app_obj = next((a for a in ctx.tenant["applications"].values() if a["appId"] == app_id), None)
        if app_obj is None or _lagging(ctx.tenant, app_obj["id"]):
            # Graph's shape: 400 Request_BadRequest with NoBackingApplicationObject in details;
            # the code also appears in the message so clients that match either find it.
            raise GraphError(
                400,
                "Request_BadRequest",
                f"NoBackingApplicationObject: The appId '{app_id}' of the service principal does not reference a valid application object.",
                details=[{"code": "NoBackingApplicationObject", "target": "appId"}],
            )
        if not ctx.roles & WRITE_ANY_APP and not _owns(ctx, app_obj):
            raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        sp = model.create_service_principal(ctx.tenant, app_obj, body, ctx.now)
        owner = _creator_owner(ctx)
        ctx.tenant["owners"][sp["id"]] = [owner] if owner else []
        _start_lag(ctx.tenant, sp["id"])
        return _entity(sp, "servicePrincipals/$entity", "servicePrincipal", 201)

    def get_service_principal(ctx, key):
        _require(ctx, READ_APPS)
        return _entity(_sp_for_read(ctx, key), "servicePrincipals/$entity", "servicePrincipal", ctx=ctx)

    def delete_service_principal(ctx, key):
        _require(ctx, WRITE_APPS)
        sp = _find_sp(ctx.tenant, key)
        if sp is None:
            raise not_found(key.strip("/()"))
        if sp["id"] == ctx.tenant["graph_sp_id"]:
            raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        if not ctx.roles & WRITE_ANY_APP and ctx.caller_sp not in ctx.tenant["owners"].get(sp["id"], []):
            raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        model.delete_service_principal(ctx.tenant, sp["id"])
        ctx.tenant["owners"].pop(sp["id"], None)
        return Response(status=204)

    def list_assignments(ctx, key, side):
        _require(ctx, READ_ASSIGNMENTS)
        sp = _sp_for_read(ctx, key)
        field = "resourceId" if side == "appRoleAssignedTo" else "principalId"
        items = [a for a in ctx.tenant["appRoleAssignments"].values() if a[field] == sp["id"]]
        items = [a for a in _filter(items, "appRoleAssignments") if not _lagging(ctx.tenant, a["id"])]
        return _page(items, "appRoleAssignments", "appRoleAssignment", f"servicePrincipals('{sp['id']}')/{side}")

    def create_assignment(ctx, key, side):
        _require(ctx, ASSIGN_ROLES, ASSIGN_ROLES_ALSO)
        sp = _sp_for_read(ctx, key)
        body = _body()
        field = "resourceId" if side == "appRoleAssignedTo" else "principalId"
        if body.get(field) and body[field] != sp["id"]:
            raise bad_request(f"Property '{field}' must be the id of the service principal in the request URL.")
        body.setdefault(field, sp["id"])
        assignment = model.create_assignment(ctx.tenant, body, ctx.now, store.faults.token_propagation_delay)
        _start_lag(ctx.tenant, assignment["id"])
        return _entity(assignment, f"servicePrincipals('{sp['id']}')/{side}/$entity", "appRoleAssignment", 201)

    def delete_assignment(ctx, key, side, assignment_id):
        _require(ctx, ASSIGN_ROLES, ASSIGN_ROLES_ALSO)
        sp = _sp_for_read(ctx, key)
        field = "resourceId" if side == "appRoleAssignedTo" else "principalId"
        assignment = ctx.tenant["appRoleAssignments"].get(assignment_id)
        if assignment is None or assignment[field] != sp["id"]:
            raise not_found(assignment_id)
        del ctx.tenant["appRoleAssignments"][assignment_id]
        return Response(status=204)

    # delegated grants ---------------------------------------------------------------------------
    def list_grants(ctx):
        _require(ctx, READ_GRANTS)
        items = [x for x in _query(list(ctx.tenant["oauth2PermissionGrants"].values()), "oauth2PermissionGrants") if not _lagging(ctx.tenant, x["id"])]
        return _page(items, "oauth2PermissionGrants", "oAuth2PermissionGrant", "oauth2PermissionGrants")

    def get_grant(ctx, grant_id):
        _require(ctx, READ_GRANTS)
        grant = ctx.tenant["oauth2PermissionGrants"].get(grant_id)
        if grant is None or _lagging(ctx.tenant, grant_id, key_read=True):
            raise not_found(grant_id)
        return _entity(grant, "oauth2PermissionGrants/$entity", "oAuth2PermissionGrant")

    def create_grant(ctx):
        _require(ctx, WRITE_GRANTS)
        grant = model.create_grant(ctx.tenant, _body())
        _start_lag(ctx.tenant, grant["id"])
        return _entity(grant, "oauth2PermissionGrants/$entity", "oAuth2PermissionGrant", 201)

    def patch_grant(ctx, grant_id):
        _require(ctx, WRITE_GRANTS)
        grant = ctx.tenant["oauth2PermissionGrants"].get(grant_id)
        if grant is None:
            raise not_found(grant_id)
        body = _body()
        model.validate(body, {"scope": str}, "OAuth2PermissionGrant")
        if "scope" in body:
            grant["scope"] = body["scope"]
        return Response(status=204)

    def delete_grant(ctx, grant_id):
        _require(ctx, WRITE_GRANTS)
        if ctx.tenant["oauth2PermissionGrants"].pop(grant_id, None) is None:
            raise not_found(grant_id)
        return Response(status=204)

    def organization(ctx):
        _require(ctx, READ_ORG)
        tenant = ctx.tenant
        org = {
            "id": tenant["id"],
            "displayName": tenant["displayName"],
            "verifiedDomains": [
                {"name": tenant["domain"], "isDefault": True, "isInitial": True, "type": "Managed", "capabilities": "Email, OfficeCommunicationsOnline"}
            ],
        }
        return _json({"@odata.context": _context_url("organization"), "value": [_select(org, "organization")]})

    key_re = r"(/[^/()]+|\((?:appId|uniqueName)='(?:[^']|'')*'\))"
    sp_key = r"(/[^/()]+|\(appId='(?:[^']|'')*'\))"
    routes = [
        ("GET", r"/applications", list_applications),
        ("GET", r"/applications/\$count", count_applications),
        ("GET", rf"/applications{key_re}/appManagementPolicies", list_app_policies),
        ("GET", r"/policies/defaultAppManagementPolicy", get_default_policy),
        ("GET", r"/policies/appManagementPolicies", list_policies),
        ("GET", r"/policies/appManagementPolicies/([^/]+)", get_policy),
        ("POST", r"/applications", create_application),
        ("POST", rf"/applications{key_re}/addPassword", add_password),
        ("POST", rf"/applications{key_re}/removePassword", remove_password),
        ("POST", rf"/applications{key_re}/federatedIdentityCredentials", add_federated_identity_credential),
        ("GET", rf"/applications{key_re}/federatedIdentityCredentials", list_federated_identity_credentials),
        ("GET", rf"/applications{key_re}/owners", list_owners),
        ("POST", rf"/applications{key_re}/owners/\$ref", add_owner),
        ("DELETE", rf"/applications{key_re}/owners/([^/]+)/\$ref", remove_owner),
        ("GET", rf"/applications{key_re}", get_application),
        ("PATCH", rf"/applications{key_re}", patch_application),
        ("DELETE", rf"/applications{key_re}", delete_application),
        ("GET", r"/servicePrincipals", list_service_principals),
        ("GET", r"/servicePrincipals/\$count", count_service_principals),
        ("POST", r"/servicePrincipals", create_service_principal),
        ("GET", rf"/servicePrincipals{sp_key}/(appRoleAssignedTo|appRoleAssignments)", list_assignments),
        ("POST", rf"/servicePrincipals{sp_key}/(appRoleAssignedTo|appRoleAssignments)", create_assignment),
        ("DELETE", rf"/servicePrincipals{sp_key}/(appRoleAssignedTo|appRoleAssignments)/([^/]+)", delete_assignment),
        ("GET", rf"/servicePrincipals{sp_key}", get_service_principal),
        ("DELETE", rf"/servicePrincipals{sp_key}", delete_service_principal),
        ("GET", r"/oauth2PermissionGrants", list_grants),
        ("POST", r"/oauth2PermissionGrants", create_grant),
        ("GET", r"/oauth2PermissionGrants/([^/]+)", get_grant),
        ("PATCH", r"/oauth2PermissionGrants/([^/]+)", patch_grant),
        ("DELETE", r"/oauth2PermissionGrants/([^/]+)", delete_grant),
        ("GET", r"/organization", organization),
    ]
    compiled = [(method, re.compile(pattern + r"/?"), handler) for method, pattern, handler in routes]

    @app.route("/v1.0/<path:rest>", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    def graph(rest):
        path = request.path[len("/v1.0") :]
        matched = [(m, p, h) for m, p, h in compiled if p.fullmatch(path)]
        if not matched:
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{path.strip('/').split('/')[0]}'.")
        handler = next(((p, h) for m, p, h in matched if m == request.method), None)
        if handler is None:
            raise GraphError(405, "Request_BadRequest", f"The HTTP method '{request.method}' is not supported for this resource.")
        ctx = _authenticate()
        for name in request.args:
            if name.startswith("$") and name not in QUERY_OPTIONS:
                if name == "$skip":
                    # Directory objects page with $skiptoken only.
                    raise bad_request("'$skip' is not supported by the service.")
                raise GraphError(400, "BadRequest", f"The query parameter '{name}' is not supported.")
        pattern, func = handler
        with store.lock:
            ctx.now = store.now()
            args = [a.lstrip("/") if a.startswith("/") else a for a in pattern.fullmatch(path).groups()]
            return func(ctx, *args)

    # --- control API (tests/emulator/README.md) -----------------------------------------------
    from . import control

    control.register(app, store, _json)
    return app


def decode_unverified(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})
