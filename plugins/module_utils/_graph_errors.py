# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The errors of the Graph stack and the one place that words them (and a missing permission).

For internal collection use only: the interface may change without notice.

Every failed Graph call, token request or option check ends as one of these exceptions, whose
``str()`` is one sentence for the user: what could not be done, what Graph or the token service
answered (code and request-id), the permission that was missing and what to do. No exception
text ever holds a secret or the value of an option that could be one.
"""

from __future__ import annotations

import re

# AADSTS codes the token service answers with, and what they mean for the user
# (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes).
AADSTS_MEANINGS = {
    "7000215": "the client secret is wrong (or too new to be accepted yet): check client_secret",
    "7000222": "the client secret has expired: create a new one and set client_secret",
    "700016": "no application with this client_id exists in the tenant: check client_id and tenant_id",
    "90002": "the tenant does not exist: check tenant_id (a GUID or a verified domain) and cloud",
    "900023": "the tenant id is malformed: check tenant_id",
    "700027": "the certificate is not registered on the application or the assertion is invalid: check certificate",
    "700024": "the client assertion is outside its validity window: check the controller's clock, or that federated_token_file is kept fresh",
    # Workload identity federation: the token in federated_token_file against the app's federatedIdentityCredentials.
    "70021": "no federated identity credential of the application matches the federated token: compare its issuer, subject and audience",
    "700211": "no federated identity credential of the application has the federated token's issuer: add one with that issuer",
    "700212": "the federated token's audience is not the credential's: issue it for api://AzureADTokenExchange",
    "700213": "no federated identity credential of the application has the federated token's subject: add one with that subject",
    "7000112": "the application is disabled in the tenant",
    "7000229": "the application has no service principal in the tenant (admin consent missing)",
    "500011": "the resource (Microsoft Graph) is not known in this tenant: check cloud / graph_endpoint",
    "50049": "the authority is unknown: check login_endpoint and cloud",
}

# Admin consent to Microsoft Graph application permissions needs one of these permissions, or
# a user in this directory role (https://learn.microsoft.com/en-us/graph/permissions-grant-via-msgraph).
CONSENT_ROLE_HINT = (
    "Or run this task with a token of a user holding the directory role Privileged Role Administrator "
    "(Cloud Application Administrator cannot consent to Microsoft Graph application permissions such as Presence.ReadWrite.All)"
)
GRANT_PERMISSION = "DelegatedPermissionGrant.ReadWrite.All"
ASSIGNMENT_PERMISSION = "AppRoleAssignment.ReadWrite.All"

# (methods, path pattern, least privileged application permission, hint): first match wins.
# https://learn.microsoft.com/en-us/graph/permissions-reference
_PERMISSION_RULES = [
    (("POST",), re.compile(r"^/servicePrincipals/[^/]+/appRoleAssignedTo"), ASSIGNMENT_PERMISSION + " together with Application.Read.All", CONSENT_ROLE_HINT),
    (("GET",), re.compile(r"^/servicePrincipals/[^/]+/appRoleAssign"), "Application.Read.All", None),
    (("DELETE",), re.compile(r"^/servicePrincipals/[^/]+/appRoleAssign"), ASSIGNMENT_PERMISSION, CONSENT_ROLE_HINT),
    (("POST", "PATCH", "DELETE"), re.compile(r"^/oauth2PermissionGrants"), GRANT_PERMISSION, CONSENT_ROLE_HINT),
    (("GET",), re.compile(r"^/oauth2PermissionGrants"), "Directory.Read.All", None),
    (("POST",), re.compile(r"^/applications/?$"), "AppRegistration.Create (or Application.ReadWrite.OwnedBy / Application.ReadWrite.All)", None),
    (
        ("POST", "DELETE"),
        re.compile(r"^/applications[^?]*/owners"),
        "Application.ReadWrite.All together with Directory.Read.All (Application.ReadWrite.OwnedBy cannot add other owners)",
        None,
    ),
    (
        ("POST", "PATCH", "DELETE", "PUT"),
        re.compile(r"^/(applications|servicePrincipals)"),
        "Application.ReadWrite.OwnedBy (for apps it owns) or Application.ReadWrite.All",
        None,
    ),
    (("GET",), re.compile(r"^/(applications|servicePrincipals)"), "Application.Read.All", None),
    (("GET",), re.compile(r"^/organization"), "Organization.Read.All", None),
]


def _graph_path(path):
    return "/" + path.split("/v1.0/", 1)[-1].lstrip("/") if "/v1.0/" in path else path


def required_permission(method, path):
    """The least privileged Graph application permission a call needs, or None."""
    rule = _rule(method, path)
    return rule[2] if rule else None


def _rule(method, path):
    path = _graph_path(path)
    for rule in _PERMISSION_RULES:
        if method.upper() in rule[0] and rule[1].search(path):
            return rule
    return None


def missing_permission_sentence(permissions, roles=None):
    """The one wording of "the automation identity lacks a permission" (403 and pre-checks alike)."""
    text = "The automation identity needs the Microsoft Graph application permission %s with admin consent" % " and ".join(permissions)
    if roles is not None:
        text += " (its token carries: %s)" % (", ".join(sorted(roles)) or "no application permissions")
    return text + "."


def _sentence_end(text):
    return text.rstrip().rstrip(".") + "."


class GraphError(Exception):
    """A Graph call (or the auth before it) failed; ``str()`` is one sentence for the user.

    ``needs`` names the missing permission(s) when the caller knows them (a pre-check of the
    token's roles); otherwise a 403 is looked up in the permission table by method and path.
    """

    def __init__(self, status=None, code=None, message=None, request_id=None, action=None, method=None, path=None, hint=None, roles=None, needs=None):
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.action = action or "call Microsoft Graph"
        self.method = method
        self.path = path
        self.hint = hint
        self.roles = roles
        self.needs = list(needs) if needs else None
        super().__init__(self.sentence())

    def _rule(self):
        if self.status == 403 and self.method and self.path:
            return _rule(self.method, self.path)
        return None

    @property
    def permission(self):
        if self.needs:
            return " and ".join(self.needs)
        rule = self._rule()
        return rule[2] if rule else None

    def sentence(self):
        text = "Could not %s" % self.action
        if self.status is not None:
            detail = ("Graph answered %s %s" % (self.status, self.code or "")).rstrip()
            if self.request_id:
                detail += " (request-id %s)" % self.request_id
            text += ": " + detail
        if self.message:
            text += ": " + first_line(self.message).rstrip(".")
        text += "."
        rule = self._rule()
        if self.needs or rule:
            text += " " + missing_permission_sentence(self.needs or [rule[2]], self.roles)
            if rule and rule[3] and not self.hint:
                text += " " + _sentence_end(rule[3])
        if self.hint:
            text += " " + _sentence_end(self.hint)
        return text

    def to_dict(self):
        return {"status": self.status, "code": self.code, "request_id": self.request_id, "permission": self.permission}


class GraphAuthError(GraphError):
    """The token service refused to issue a token (AADSTS code in ``code``)."""

    def __init__(self, code=None, message=None, action="get a token for Microsoft Graph", hint=None, error=None):
        self.error = error
        super().__init__(status=None, code=code, message=message, action=action, hint=hint)

    def sentence(self):
        text = "Could not %s" % self.action
        if self.code:
            meaning = AADSTS_MEANINGS.get(self.code)
            text += ": the token service answered AADSTS%s" % self.code
            if meaning:
                text += " (%s)" % meaning
        elif self.error:
            text += ": the token service answered %s" % self.error
        if self.message:
            text += ": " + first_line(self.message).rstrip(".")
        text += "."
        if self.hint:
            text += " " + _sentence_end(self.hint)
        return text


class GraphConfigError(GraphError):
    """The options are unusable; raised before any request is made. Never holds an option's value."""

    def __init__(self, message):
        super().__init__(message=message, action="use the Microsoft Graph connection options")

    def sentence(self):
        return _sentence_end(self.message)


class RetriesExhausted(Exception):
    """The transport gave up within max_retry_wait: the last answer (or connection error) and the time waited.

    Raised from inside the HTTP session (also under msal), turned into a GraphError by the client,
    which knows the action.
    """

    def __init__(self, method, url, waited, max_wait, response=None, error=None):
        self.method = method
        self.url = url
        self.waited = waited
        self.max_wait = max_wait
        self.response = response
        self.error = error
        super().__init__("%s %s: gave up after waiting %.0f s" % (method, url.split("?", 1)[0], waited))

    def hint(self):
        return (
            "Gave up on %s %s after waiting %.0f s in retries (max_retry_wait=%g); nothing was left half done, so the task can "
            "simply be run again (or raise max_retry_wait)" % (self.method, _graph_path(self.url.split("?", 1)[0]), self.waited, self.max_wait)
        )


def first_line(text):
    """The first line of a service message (the token service puts trace ids on later lines)."""
    text = (text or "").strip()
    return text.splitlines()[0] if text else text


def short(exc):
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."


def exception_text(exc, depth=3):
    """The text of an exception and of the ones it was raised from (msal re-raises discovery errors)."""
    parts = []
    while exc is not None and depth > 0:
        parts.append(str(exc))
        exc = exc.__cause__ or exc.__context__
        depth -= 1
    return " ".join(parts)


def parse_aadsts(text):
    match = re.search(r"AADSTS(\d+)", text or "")
    return match.group(1) if match else None


def discovery_error(exc, tenant_id, action):
    """msal's tenant discovery failed: name the AADSTS code when the login host sent one."""
    code = parse_aadsts(exception_text(exc))
    if code:
        return GraphAuthError(code=code, action=action)
    return GraphAuthError(
        action=action,
        message="the login host does not know tenant %s (its OpenID configuration could not be read)" % (tenant_id,),
        hint="Check tenant_id, cloud and login_endpoint",
    )


def _host(url):
    return url.split("://", 1)[-1].split("/", 1)[0]


def tls_error(exc, url, action):
    return GraphError(
        action=action,
        message="the TLS certificate of %s could not be verified (%s)" % (_host(url), short(exc)),
        hint="Set ca_path (or AZURE_CA_BUNDLE) to the PEM bundle of the CA that issued it; REQUESTS_CA_BUNDLE alone is not used for this connection",
    )


def connection_error(exc, url, action):
    return GraphError(
        action=action,
        message="%s could not be reached (%s)" % (_host(url), short(exc)),
        hint="Check graph_endpoint / login_endpoint, the network and the HTTPS_PROXY / NO_PROXY variables, or raise timeout",
    )


def error_body(response):
    """The ``error`` object of a Graph error answer, or {}."""
    try:
        error = (response.json() or {}).get("error") or {}
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def error_codes(response):
    """Every error code of a Graph error body: ``code``, ``details[].code``, ``innerError.code``.

    Graph reports NoBackingApplicationObject as 400 Request_BadRequest with the specific code in
    ``details`` (https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-serviceprincipals).
    """
    error = error_body(response)
    codes = {error.get("code")}
    for detail in error.get("details") or []:
        if isinstance(detail, dict):
            codes.add(detail.get("code"))
    inner = error.get("innerError") or error.get("innererror") or {}
    if isinstance(inner, dict):
        codes.add(inner.get("code"))
    if "NoBackingApplicationObject" in str(error.get("message") or ""):
        codes.add("NoBackingApplicationObject")
    codes.discard(None)
    return codes


def error_from_response(response, action, method, path, roles=None, hint=None):
    """A Graph error answer as one GraphError (code, message, request-id, missing permission)."""
    error = error_body(response)
    code = error.get("code")
    message = error.get("message")
    if not error:
        message = (getattr(response, "text", "") or "")[:200] or None
    inner = error.get("innerError") or error.get("innererror") or {}
    request_id = (
        (inner.get("request-id") if isinstance(inner, dict) else None) or response.headers.get("request-id") or response.headers.get("client-request-id")
    )
    status = response.status_code
    return GraphError(status, code, message, request_id, action, method=method, path=path, roles=roles if status == 403 else None, hint=hint)
