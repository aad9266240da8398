# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Microsoft Graph client: auth (msal), one request path, retries, paging, errors.

For internal collection use only: the interface may change without notice.

Every Graph call of every module goes through :class:`GraphClient` so retries, the bounded
wait, paging, TLS settings and error sentences are the same everywhere (docs/dev/contracts.md).
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import hashlib
import json
import os
import re
import time
import uuid
from datetime import datetime, timezone

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import MaxRetryError
    from urllib3.util.retry import Retry

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as _e:  # pragma: no cover - exercised by the sanity import test
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = _e
    Retry = object  # lets the subclass below be defined; never instantiated without requests

try:
    import msal

    HAS_MSAL = True
    MSAL_IMPORT_ERROR = None
except ImportError as _e:  # pragma: no cover
    HAS_MSAL = False
    MSAL_IMPORT_ERROR = _e

try:
    from cryptography.fernet import Fernet, InvalidToken
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - msal depends on cryptography
    HAS_CRYPTOGRAPHY = False

try:
    import fcntl

    HAS_FCNTL = True
except ImportError:  # pragma: no cover - Windows controllers are not supported by Ansible
    HAS_FCNTL = False


GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"

# reference/graph.md "Clouds".
CLOUDS = {
    "public": ("https://login.microsoftonline.com", "https://graph.microsoft.com"),
    "usgovernment": ("https://login.microsoftonline.us", "https://graph.microsoft.us"),
    "usgovernment_dod": ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
    "china": ("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
}
MICROSOFT_LOGIN_HOSTS = {"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn", "login.windows.net"}

DEFAULT_TOKEN_CACHE_DIR = os.path.join("~", ".ansible", "procall_msteams", "token_cache")
DISABLED_VALUES = ("", "false", "no", "off", "none", "0", "disabled")

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")

# AADSTS codes the token service answers with, and what they mean for the user (reference/graph.md).
AADSTS_MEANINGS = {
    "7000215": "the client secret is wrong (or too new to be accepted yet): check client_secret",
    "7000222": "the client secret has expired: create a new one and set client_secret",
    "700016": "no application with this client_id exists in the tenant: check client_id and tenant_id",
    "90002": "the tenant does not exist: check tenant_id (a GUID or a verified domain) and cloud",
    "900023": "the tenant id is malformed: check tenant_id",
    "700027": "the certificate is not registered on the application or the assertion is invalid: check certificate",
    "700024": "the client assertion is outside its validity window: check the controller's clock",
    "7000112": "the application is disabled in the tenant",
    "7000229": "the application has no service principal in the tenant (admin consent missing)",
    "500011": "the resource (Microsoft Graph) is not known in this tenant: check cloud / graph_endpoint",
    "50049": "the authority is unknown: check login_endpoint and cloud",
}

# Least privileged application permission first, as graph.md lists them.
_PERMISSION_RULES = [
    (("POST",), re.compile(r"^/servicePrincipals/[^/]+/appRoleAssignedTo"), "AppRoleAssignment.ReadWrite.All together with Application.Read.All"),
    (("GET",), re.compile(r"^/servicePrincipals/[^/]+/appRoleAssign"), "Application.Read.All"),
    (("DELETE",), re.compile(r"^/servicePrincipals/[^/]+/appRoleAssign"), "AppRoleAssignment.ReadWrite.All"),
    (("POST", "PATCH", "DELETE"), re.compile(r"^/oauth2PermissionGrants"), "DelegatedPermissionGrant.ReadWrite.All"),
    (("GET",), re.compile(r"^/oauth2PermissionGrants"), "Directory.Read.All"),
    (("POST",), re.compile(r"^/applications/?$"), "AppRegistration.Create (or Application.ReadWrite.OwnedBy / Application.ReadWrite.All)"),
    (("POST", "DELETE"), re.compile(r"^/applications[^?]*/owners"), "Application.ReadWrite.All (Application.ReadWrite.OwnedBy cannot add other owners)"),
    (
        ("POST", "PATCH", "DELETE", "PUT"),
        re.compile(r"^/(applications|servicePrincipals)"),
        "Application.ReadWrite.OwnedBy (for apps it owns) or Application.ReadWrite.All",
    ),
    (("GET",), re.compile(r"^/(applications|servicePrincipals)"), "Application.Read.All"),
    (("GET",), re.compile(r"^/organization"), "Organization.Read.All"),
]


def required_permission(method, path):
    """The least privileged Graph application permission a call needs (reference/graph.md), or None."""
    path = "/" + path.split("/v1.0/", 1)[-1].lstrip("/") if "/v1.0/" in path else path
    for methods, pattern, permission in _PERMISSION_RULES:
        if method.upper() in methods and pattern.search(path):
            return permission
    return None


class GraphError(Exception):
    """A Graph call (or the auth before it) failed; ``str()`` is one sentence for the user."""

    def __init__(self, status=None, code=None, message=None, request_id=None, action=None, method=None, path=None, hint=None, roles=None):
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.action = action or "call Microsoft Graph"
        self.method = method
        self.path = path
        self.hint = hint
        self.roles = roles
        super().__init__(self.sentence())

    @property
    def permission(self):
        if self.status == 403 and self.method and self.path:
            return required_permission(self.method, self.path)
        return None

    def sentence(self):
        parts = ["Could not %s" % self.action]
        if self.status is not None:
            detail = "Graph answered %s %s" % (self.status, self.code or "")
            detail = detail.rstrip()
            if self.request_id:
                detail += " (request-id %s)" % self.request_id
            parts.append(": " + detail)
            if self.message:
                parts.append(": " + self.message.rstrip("."))
        elif self.message:
            parts.append(": " + self.message.rstrip("."))
        text = "".join(parts) + "."
        permission = self.permission
        if permission:
            text += " The automation identity needs the Microsoft Graph application permission %s with admin consent" % permission
            if self.roles is not None:
                text += " (its token carries: %s)" % (", ".join(sorted(self.roles)) or "no application permissions")
            text += "."
        if self.hint:
            text += " " + self.hint.rstrip(".") + "."
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
            text += ": " + _first_line(self.message).rstrip(".")
        text += "."
        if self.hint:
            text += " " + self.hint.rstrip(".") + "."
        return text


class GraphConfigError(GraphError):
    """The options are unusable; raised before any request is made."""

    def __init__(self, message):
        super().__init__(message=message, action="use the Microsoft Graph connection options")

    def sentence(self):
        return self.message.rstrip(".") + "."


def _first_line(text):
    text = (text or "").strip()
    # The token service puts trace and correlation ids on later lines; the first is the reason.
    return text.splitlines()[0] if text else text


def _exception_text(exc, depth=3):
    """The text of an exception and of the ones it was raised from (msal re-raises discovery errors)."""
    parts = []
    while exc is not None and depth > 0:
        parts.append(str(exc))
        exc = exc.__cause__ or exc.__context__
        depth -= 1
    return " ".join(parts)


def _discovery_error(exc, tenant_id, action):
    """msal's tenant discovery failed: name the AADSTS code when the login host sent one."""
    code = parse_aadsts(_exception_text(exc))
    if code:
        return GraphAuthError(code=code, action=action)
    return GraphAuthError(
        action=action,
        message="the login host does not know tenant %r (its OpenID configuration could not be read)" % (tenant_id,),
        hint="Check tenant_id, cloud and login_endpoint",
    )


def parse_aadsts(text):
    match = re.search(r"AADSTS(\d+)", text or "")
    return match.group(1) if match else None


def decode_jwt_claims(token):
    """The claims of a JWT without verifying it: only to read ``tid``/``roles``/``oid`` of our own token."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        return json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (IndexError, ValueError, TypeError, AttributeError):
        return {}


def validate_tenant_id(value):
    if not value or not (GUID_RE.match(value) or DOMAIN_RE.match(value)):
        raise GraphConfigError(
            "tenant_id %r is neither a GUID nor a domain name: set tenant_id (or AZURE_TENANT_ID) to the Directory (tenant) ID "
            "shown in the Entra admin center" % (value,)
        )


def validate_client_id(value, option="client_id"):
    if not value or not GUID_RE.match(value):
        raise GraphConfigError(
            "%s %r is not a GUID: set %s (or AZURE_CLIENT_ID) to the Application (client) ID of the automation identity" % (option, value, option)
        )


def _strip_slash(url):
    return url.rstrip("/") if url else url


class GraphSettings:
    """Connection settings resolved from module params (pure; validated before any request)."""

    def __init__(self, params):
        p = dict(params)
        self.cloud = p.get("cloud") or "public"
        if self.cloud not in CLOUDS:
            raise GraphConfigError("cloud %r is unknown: use one of %s" % (self.cloud, ", ".join(CLOUDS)))
        login, graph = CLOUDS[self.cloud]
        self.login_endpoint = _strip_slash(p.get("login_endpoint") or login)
        self.graph_endpoint = _strip_slash(p.get("graph_endpoint") or graph)
        for option in ("login_endpoint", "graph_endpoint"):
            value = getattr(self, option)
            if not value.startswith("https://"):
                # msal refuses http:// authorities (reference/tooling.md); Graph is HTTPS only.
                raise GraphConfigError("%s %r must be an https:// URL" % (option, value))
        self.tenant_id = p.get("tenant_id")
        self.client_id = p.get("client_id")
        self.client_secret = p.get("client_secret")
        self.certificate = p.get("certificate")
        self.certificate_path = p.get("certificate_path")
        self.certificate_password = p.get("certificate_password")
        self.managed_identity = p.get("managed_identity") or "none"
        self.managed_identity_client_id = p.get("managed_identity_client_id")
        self.access_token = p.get("access_token")
        self.ca_path = p.get("ca_path")
        self.validate_certs = p.get("validate_certs", True) is not False
        self.timeout = float(p.get("timeout") or 30)
        self.max_retry_wait = float(p.get("max_retry_wait") if p.get("max_retry_wait") is not None else 120)
        cache = p.get("token_cache_path")
        if cache is None:
            cache = DEFAULT_TOKEN_CACHE_DIR
        self.token_cache_path = None if str(cache).strip().lower() in DISABLED_VALUES else os.path.expanduser(str(cache))

        # Precedence (env fallbacks make options appear that the user did not write, so they
        # cannot be mutually exclusive in the argspec): token, managed identity, certificate, secret.
        if self.access_token:
            self.auth = "access_token"
        elif self.managed_identity != "none":
            self.auth = "managed_identity"
            if self.managed_identity == "user":
                validate_client_id(self.managed_identity_client_id, "managed_identity_client_id")
        elif self.certificate or self.certificate_path:
            self.auth = "certificate"
        elif self.client_secret:
            self.auth = "client_secret"
        else:
            raise GraphConfigError(
                "No credential for Microsoft Graph: set client_secret, certificate_path or certificate, managed_identity, "
                "or access_token (or the AZURE_CLIENT_SECRET / AZURE_ACCESS_TOKEN environment variables)"
            )
        if self.auth in ("client_secret", "certificate"):
            validate_tenant_id(self.tenant_id)
            validate_client_id(self.client_id)
        elif self.tenant_id:
            validate_tenant_id(self.tenant_id)
        if self.ca_path and not os.path.isfile(os.path.expanduser(self.ca_path)):
            raise GraphConfigError(
                "ca_path %r is not a readable file: point it at a PEM bundle of the CA that issued the Graph/login certificates" % self.ca_path
            )
        self.ca_path = os.path.expanduser(self.ca_path) if self.ca_path else None

    @property
    def verify(self):
        if not self.validate_certs:
            return False
        return self.ca_path or True

    @property
    def authority(self):
        return "%s/%s" % (self.login_endpoint, self.tenant_id)

    @property
    def scope(self):
        return "%s/.default" % self.graph_endpoint

    @property
    def instance_discovery(self):
        # msal asks login.microsoftonline.com which hosts are valid; a non-Microsoft host (the
        # emulator, a proxy) must skip that or msal calls out to the public cloud (graph.md "msal").
        host = self.login_endpoint.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
        return host in MICROSOFT_LOGIN_HOSTS

    def load_certificate(self):
        """``(private_key_pem, thumbprint_hex, certificate_pem)`` from the PEM content or file."""
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        if self.certificate:
            data = self.certificate.encode("utf-8") if isinstance(self.certificate, str) else self.certificate
            source = "certificate"
        else:
            path = os.path.expanduser(self.certificate_path)
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                raise GraphConfigError(
                    "certificate_path %r cannot be read (%s): point it at a PEM file holding the certificate and its private key" % (path, exc.strerror)
                ) from None
            source = "certificate_path %r" % path
        password = self.certificate_password.encode("utf-8") if self.certificate_password else None
        try:
            key = serialization.load_pem_private_key(_pem_block(data, b"PRIVATE KEY"), password=password)
        except (ValueError, TypeError) as exc:
            raise GraphConfigError(
                "%s holds no usable private key (%s): give a PEM with the certificate and its private key, and certificate_password if the key is encrypted"
                % (source, str(exc).split("\n", maxsplit=1)[0])
            ) from None
        try:
            cert = x509.load_pem_x509_certificate(_pem_block(data, b"CERTIFICATE"))
        except ValueError:
            raise GraphConfigError("%s holds no PEM certificate: give a PEM with the certificate and its private key" % source) from None
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode("ascii")
        thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - the thumbprint Entra registers is SHA-1
        cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        return key_pem, thumbprint, cert_pem


def _pem_block(data, kind):
    match = re.search(rb"-----BEGIN ([A-Z ]*)" + kind + rb"-----.*?-----END \1" + kind + rb"-----", data, re.S)
    if not match:
        raise ValueError("no %s block" % kind.decode())
    return match.group(0)


class RetryBudget:
    """Shared by every retry of one client: bounds the total time spent waiting (max_retry_wait)."""

    def __init__(self, max_wait, sleep=time.sleep, warn=None):
        self.max_wait = max_wait
        self.waited = 0.0
        self._sleep = sleep
        self._warn = warn
        self.retries = 0

    @property
    def remaining(self):
        return max(0.0, self.max_wait - self.waited)

    def wait(self, seconds, reason):
        seconds = max(0.0, float(seconds))
        self.waited += seconds
        self.retries += 1
        if self._warn:
            self._warn("%s; retried after %.1f s (%.1f s of max_retry_wait=%g used)" % (reason, seconds, self.waited, self.max_wait))
        if seconds:
            self._sleep(seconds)


class GraphRetry(Retry):
    """urllib3 ``Retry`` with Graph's rules and a total wait bound shared across requests.

    Status codes (reference/graph.md "Behaviour to design for"):
    - 429: throttled, Graph did not process the request: retry every method, after ``Retry-After``.
    - 500, 502, 503, 504: transient service errors: retry, with exponential backoff (or Retry-After).
    - 409: updates to applications answer Conflict transiently while replicas converge: retry.
    POST is retried on 429 only: after a 5xx or 409 a POST may already have created the object,
    and creating again makes a duplicate (the caller re-reads before it retries a create).
    """

    STATUSES = (409, 429, 500, 502, 503, 504)

    def __init__(self, *args, budget=None, **kwargs):
        self.budget = budget
        self._planned_wait = 0.0
        self._reason = ""
        super().__init__(*args, **kwargs)

    @classmethod
    def for_budget(cls, budget, attempts=10):
        return cls(
            total=attempts,
            connect=3,
            read=2,
            redirect=0,
            status=attempts,
            status_forcelist=cls.STATUSES,
            allowed_methods=frozenset(["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE", "POST"]),
            backoff_factor=1.0,
            backoff_max=30,
            raise_on_status=False,  # the client translates the final error into one sentence
            raise_on_redirect=False,
            respect_retry_after_header=True,
            budget=budget,
        )

    def new(self, **kw):
        new = super().new(**kw)
        new.budget = self.budget
        return new

    def is_retry(self, method, status_code, has_retry_after=False):
        if method and method.upper() == "POST" and status_code != 429:
            return False
        if self.budget is not None and self.budget.remaining <= 0:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if error is not None and method and method.upper() == "POST" and self._is_read_error(error):
            # The request reached Graph and may have been processed: never resend a create blindly.
            raise error.with_traceback(_stacktrace)
        new = super().increment(method=method, url=url, response=response, error=error, _pool=_pool, _stacktrace=_stacktrace)
        wait = None
        if response is not None:
            wait = new.get_retry_after(response)
        if wait is None:
            wait = new.get_backoff_time()
            if not wait and new.history:
                wait = min(self.backoff_max, self.backoff_factor or 0.5)
        path = (url or "").split("?", 1)[0]
        status = response.status if response is not None else type(error).__name__
        new._reason = "Graph answered %s to %s %s" % (status, method, path)
        if self.budget is not None and wait > self.budget.remaining:
            # Retry-After longer than what max_retry_wait allows: give up now and report it.
            raise MaxRetryError(_pool, url, error or Exception("retry wait %.1f s exceeds max_retry_wait" % wait))
        new._planned_wait = wait
        return new

    def sleep(self, response=None):
        if self.budget is not None:
            self.budget.wait(self._planned_wait, self._reason)
        else:  # pragma: no cover
            time.sleep(self._planned_wait)


if HAS_REQUESTS:

    class GraphSession(requests.Session):
        """A Session that passes ``verify``/``timeout`` on every request.

        requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a ``Session.verify`` set once
        (reference/tooling.md), so ca_path only holds when given per request. msal gets this
        session as its ``http_client`` for the same reason. Proxies come from the usual
        HTTPS_PROXY / NO_PROXY variables (``trust_env``).
        """

        def __init__(self, verify=True, timeout=30.0, retry=None, counter=None):
            super().__init__()
            self._verify = verify
            self._timeout = timeout
            self._counter = counter
            if retry is not None:
                adapter = HTTPAdapter(max_retries=retry)
                self.mount("https://", adapter)
                self.mount("http://", adapter)

        def request(self, method, url, *args, **kwargs):
            kwargs["verify"] = self._verify
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = self._timeout
            if self._counter is not None:
                self._counter(method, url)
            return super().request(method, url, *args, **kwargs)

else:  # pragma: no cover
    GraphSession = None


class TokenCacheFile:
    """An msal ``SerializableTokenCache`` persisted encrypted, mode 0600, under an fcntl lock.

    Forks of one run (parallel hosts) and later tasks share one token per credential: the
    exclusive lock is held from loading the cache until the new token is saved, so the first
    fork asks the token service and the others read its token. The file is Fernet-encrypted
    with a key derived (HKDF-SHA256) from the credential itself, so only a holder of the
    credential can read it, and its name is derived the same way, so a rotated secret never
    meets the old cache.

    The file also keeps msal's ``http_cache`` entries for the tenant discovery GET (public
    metadata msal keeps for 24 h), so a task with a cached token makes no login request at all.
    """

    VERSION = 2

    def __init__(self, directory, key_material, token_cache, http_cache=None):
        hkdf_name = HKDF(algorithm=hashes.SHA256(), length=16, salt=b"procall.msteams token cache", info=b"file name")
        hkdf_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"procall.msteams token cache", info=b"fernet key")
        material = key_material.encode("utf-8")
        self.directory = directory
        self.path = os.path.join(directory, "%s.cache" % hkdf_name.derive(material).hex())
        self._fernet = Fernet(base64.urlsafe_b64encode(hkdf_key.derive(material)))
        self.token_cache = token_cache
        self.http_cache = http_cache if http_cache is not None else {}
        self._http_snapshot = None

    @contextlib.contextmanager
    def locked(self):
        """Load both caches under the lock; on exit save them when they changed."""
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        lock_fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if HAS_FCNTL:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)
            self._load()
            yield self.token_cache
            if self.token_cache.has_state_changed or _dump_http_cache(self.http_cache) != self._http_snapshot:
                self._save()
        finally:
            if HAS_FCNTL:
                fcntl.flock(lock_fd, fcntl.LOCK_UN)
            os.close(lock_fd)

    def _load(self):
        try:
            with open(self.path, "rb") as handle:
                blob = handle.read()
        except OSError:
            blob = None
        data = {}
        if blob:
            try:
                data = json.loads(self._fernet.decrypt(blob).decode("utf-8"))
            except (InvalidToken, ValueError):
                # Unreadable (another credential, corrupted): start empty; it is rewritten on save.
                data = {}
        if isinstance(data, dict) and data.get("v") == self.VERSION:
            self.token_cache.deserialize(data.get("tokens") or "{}")
            _load_http_cache(self.http_cache, data.get("http") or {})
        self.token_cache.has_state_changed = False
        self._http_snapshot = _dump_http_cache(self.http_cache)

    def _save(self):
        payload = {"v": self.VERSION, "tokens": self.token_cache.serialize(), "http": _dump_http_cache(self.http_cache)}
        blob = self._fernet.encrypt(json.dumps(payload).encode("utf-8"))
        tmp = "%s.%s.tmp" % (self.path, uuid.uuid4().hex)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self.token_cache.has_state_changed = False


_HTTP_INDEX = "_index_"  # msal.individual_cache._ExpiringMapping keeps its expiry index under this key


def _dump_http_cache(http_cache):
    """The successful discovery GETs of msal's http_cache as JSON-able data (public metadata only)."""
    try:
        index = http_cache.get(_HTTP_INDEX)
        if not index:
            return {}
        _sequence, timestamps = index
        entries = {}
        for key, stamps in timestamps.items():
            value = http_cache.get(key)
            if not (isinstance(key, str) and key.startswith("GET ") and value is not None):
                continue
            entries[key] = {"stamps": list(stamps), "status": value.status_code, "text": value.text, "headers": dict(value.headers or {})}
        return entries
    except (TypeError, ValueError, AttributeError):  # another msal layout: just do not persist it
        return {}


def _load_http_cache(http_cache, entries):
    try:
        from msal.throttled_http_client import NormalizedResponse
    except ImportError:  # pragma: no cover
        return
    sequence, timestamps = [], {}
    for key, entry in (entries or {}).items():
        try:
            raw = _RawResponse(int(entry["status"]), entry["text"], entry["headers"])
            http_cache[key] = NormalizedResponse(raw)
            expires_at, created = int(entry["stamps"][0]), int(entry["stamps"][1])
        except (KeyError, TypeError, ValueError, IndexError):
            continue
        sequence.append([expires_at, created, key])
        timestamps[key] = [expires_at, created]
    if timestamps:
        sequence.sort()
        http_cache[_HTTP_INDEX] = (sequence, timestamps)


class _RawResponse:
    def __init__(self, status_code, text, headers):
        self.status_code = status_code
        self.text = text
        self.headers = headers


def error_codes(response):
    """Every error code of a Graph error body: ``code``, ``details[].code``, ``innerError.code``.

    Graph reports NoBackingApplicationObject as 400 Request_BadRequest with the specific code in
    ``details`` (reference/graph.md "Behaviour to design for"; the emulator does the same).
    """
    codes = set()
    try:
        error = (response.json() or {}).get("error") or {}
    except (ValueError, AttributeError):
        return codes
    if not isinstance(error, dict):
        return codes
    codes.add(error.get("code"))
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


def _graph_error_from_response(response, action, method, path, roles=None):
    code = message = request_id = None
    try:
        body = response.json()
        error = body.get("error") or {}
        if isinstance(error, dict):
            code = error.get("code")
            message = error.get("message")
            inner = error.get("innerError") or error.get("innererror") or {}
            request_id = inner.get("request-id")
    except ValueError:
        message = (response.text or "")[:200] or None
    request_id = request_id or response.headers.get("request-id") or response.headers.get("client-request-id")
    hint = None
    if response.status_code == 429:
        hint = "Graph kept throttling until max_retry_wait ran out: run again later or raise max_retry_wait"
    elif response.status_code >= 500:
        hint = "Graph kept failing until max_retry_wait ran out: run again later"
    return GraphError(
        response.status_code, code, message, request_id, action, method=method, path=path, roles=roles if response.status_code == 403 else None, hint=hint
    )


class GraphClient:
    """One Graph connection of one module run (see docs/dev/contracts.md)."""

    def __init__(self, params, warn=None, sleep=time.sleep, session=None):
        self.settings = GraphSettings(params)
        self._warn = warn
        self.request_count = 0
        self.requests_log = []
        self.budget = RetryBudget(self.settings.max_retry_wait, sleep=sleep, warn=self._warning)
        self._sleep = sleep
        self.session = session or GraphSession(self.settings.verify, self.settings.timeout, GraphRetry.for_budget(self.budget), counter=self._count)
        self._token = None
        self._claims = None
        self._app = None
        self._cache = None
        self._http_cache = {}
        self._cache_file = None
        self._graph_sp = None
        self._expected_new = set()
        self.server_date = None

    @classmethod
    def from_params(cls, params, warn=None):
        return cls(params, warn=warn)

    # ------------------------------------------------------------------ helpers
    def _warning(self, text):
        if self._warn:
            self._warn(text)

    def _count(self, method, url):
        self.request_count += 1
        self.requests_log.append((method, url))

    def _url(self, path):
        if path.startswith("https://") or path.startswith("http://"):
            return path
        return "%s/v1.0/%s" % (self.settings.graph_endpoint, path.lstrip("/"))

    def _tls_error(self, exc, url, action):
        host = url.split("://", 1)[-1].split("/", 1)[0]
        return GraphError(
            action=action,
            message="the TLS certificate of %s could not be verified (%s)" % (host, _short(exc)),
            hint="Set ca_path (or AZURE_CA_BUNDLE) to the PEM bundle of the CA that issued it; REQUESTS_CA_BUNDLE alone is not used for this connection",
        )

    def _conn_error(self, exc, url, action):
        host = url.split("://", 1)[-1].split("/", 1)[0]
        return GraphError(
            action=action,
            message="%s could not be reached (%s)" % (host, _short(exc)),
            hint="Check graph_endpoint / login_endpoint, the network and the HTTPS_PROXY / NO_PROXY variables, or raise timeout",
        )

    # ------------------------------------------------------------------ auth
    def _key_material(self):
        s = self.settings
        secret = s.client_secret if s.auth == "client_secret" else self._certificate()[0]
        return "\n".join([s.login_endpoint, str(s.tenant_id), str(s.client_id), s.graph_endpoint, s.auth, secret])

    def _certificate(self):
        if not hasattr(self, "_cert_cache"):
            self._cert_cache = self.settings.load_certificate()
        return self._cert_cache

    def _cache_lock(self):
        """The file cache's lock (loading/saving around the block), or nothing when disabled."""
        if self._cache is None and HAS_MSAL:
            self._cache = msal.SerializableTokenCache()
            if self.settings.token_cache_path and HAS_CRYPTOGRAPHY:
                self._cache_file = TokenCacheFile(self.settings.token_cache_path, self._key_material(), self._cache, self._http_cache)
        return self._cache_file.locked() if self._cache_file else contextlib.nullcontext(self._cache)

    def _build_app(self):
        s = self.settings
        action = "sign in to tenant %s as client %s" % (s.tenant_id, s.client_id)
        if not HAS_MSAL:
            raise GraphConfigError("the Python library msal (>= 1.29) is required on the controller: pip install msal")
        self._cache = self._cache if self._cache is not None else msal.SerializableTokenCache()
        if s.auth == "client_secret":
            credential = s.client_secret
        else:
            key_pem, thumbprint, cert_pem = self._certificate()
            credential = {"private_key": key_pem, "thumbprint": thumbprint, "public_certificate": cert_pem}
        try:
            return msal.ConfidentialClientApplication(
                s.client_id,
                client_credential=credential,
                authority=s.authority,
                http_client=self.session,
                token_cache=self._cache,
                http_cache=self._http_cache,
                instance_discovery=s.instance_discovery,
                validate_authority=s.instance_discovery,
            )
        except requests.exceptions.SSLError as exc:
            raise self._tls_error(exc, s.login_endpoint, action) from None
        except requests.exceptions.RequestException as exc:
            raise self._conn_error(exc, s.login_endpoint, action) from None
        except ValueError as exc:
            raise _discovery_error(exc, s.tenant_id, action) from None

    def _acquire(self):
        s = self.settings
        action = "get a token for Microsoft Graph as client %s in tenant %s" % (s.client_id, s.tenant_id)
        if s.auth == "access_token":
            return s.access_token
        if s.auth == "managed_identity":
            if not HAS_MSAL or not hasattr(msal, "ManagedIdentityClient"):
                raise GraphConfigError("managed_identity needs the Python library msal >= 1.29 on the controller: pip install 'msal>=1.29'")
            identity = (
                msal.SystemAssignedManagedIdentity()
                if s.managed_identity == "system"
                else msal.UserAssignedManagedIdentity(client_id=s.managed_identity_client_id)
            )
            # The managed identity endpoint is local to the host and cheap; msal keeps its token in memory.
            client = msal.ManagedIdentityClient(identity, http_client=self.session)
            action = "get a managed identity token for Microsoft Graph"
            try:
                result = client.acquire_token_for_client(resource=s.graph_endpoint)
            except requests.exceptions.RequestException as exc:
                raise self._conn_error(exc, "managed identity endpoint", action) from None
            except Exception as exc:  # msal raises ManagedIdentityError and others when no endpoint exists
                raise GraphAuthError(action=action, message=_short(exc), hint="Run on a host with a managed identity, or use another credential") from None
            return self._token_from_result(result, action)
        try:
            # The msal app is built inside the lock too: its tenant discovery is then answered
            # from the persisted http_cache, and the token from the persisted token cache.
            with self._cache_lock():
                if self._app is None:
                    self._app = self._build_app()
                result = self._app.acquire_token_for_client(scopes=[s.scope])
        except requests.exceptions.SSLError as exc:
            raise self._tls_error(exc, s.login_endpoint, action) from None
        except requests.exceptions.RequestException as exc:
            raise self._conn_error(exc, s.login_endpoint, action) from None
        return self._token_from_result(result, action)

    @staticmethod
    def _token_from_result(result, action):
        result = result or {}
        if result.get("access_token"):
            return result["access_token"]
        description = result.get("error_description") or ""
        raise GraphAuthError(code=parse_aadsts(description), message=description, error=result.get("error"), action=action)

    def _ensure_token(self):
        if self._token is None:
            self._token = self._acquire()
            self._claims = decode_jwt_claims(self._token)
        return self._token

    @property
    def token(self):
        return self._ensure_token()

    def _drop_cached_token(self):
        """Forget the current token (memory and file cache); False when it cannot be renewed."""
        if self.settings.auth == "access_token":
            return False
        if self._app is not None:
            with self._cache_lock():
                self._app.remove_tokens_for_client()
        self._token = None
        self._claims = None
        return True

    def token_claims(self):
        self._ensure_token()
        return dict(self._claims or {})

    @property
    def tenant_id(self):
        tid = self.token_claims().get("tid")
        return tid or self.settings.tenant_id

    @property
    def roles(self):
        return list(self.token_claims().get("roles") or [])

    def acquire_token_for(self, client_id, client_secret, tenant_id=None):
        """A real token request for another app (to verify a new secret); returns its claims."""
        s = self.settings
        tenant = tenant_id or self.tenant_id
        validate_client_id(client_id)
        validate_tenant_id(tenant)
        action = "get a token as client %s in tenant %s" % (client_id, tenant)
        if not HAS_MSAL:
            raise GraphConfigError("the Python library msal (>= 1.29) is required on the controller: pip install msal")
        try:
            app = msal.ConfidentialClientApplication(
                client_id,
                client_credential=client_secret,
                authority="%s/%s" % (s.login_endpoint, tenant),
                http_client=self.session,
                token_cache=msal.TokenCache(),  # never persisted: this token is only a proof
                instance_discovery=s.instance_discovery,
                validate_authority=s.instance_discovery,
            )
            result = app.acquire_token_for_client(scopes=[s.scope])
        except requests.exceptions.SSLError as exc:
            raise self._tls_error(exc, s.login_endpoint, action) from None
        except requests.exceptions.RequestException as exc:
            raise self._conn_error(exc, s.login_endpoint, action) from None
        except ValueError as exc:
            raise _discovery_error(exc, tenant, action) from None
        return decode_jwt_claims(self._token_from_result(result, action))

    # ------------------------------------------------------------------ requests
    def expect_new(self, object_id_or_path):
        """Reads of this object may 404 for a while (replication): retry them within max_retry_wait."""
        if object_id_or_path:
            self._expected_new.add(str(object_id_or_path).strip("/"))

    def is_new(self, object_id_or_path):
        """Whether this run created the object (registered with :meth:`expect_new`)."""
        return bool(object_id_or_path) and str(object_id_or_path).strip("/") in self._expected_new

    def _is_replication_miss(self, response, path, body):
        if not self._expected_new:
            return False
        codes = error_codes(response)
        lagging = (response.status_code == 404 and (not codes or codes & {"Request_ResourceNotFound", "ResourceNotFound"})) or (
            response.status_code == 400 and "NoBackingApplicationObject" in codes
        )
        if not lagging:
            return False
        haystack = path + (json.dumps(body) if body is not None else "")
        return any(marker in haystack for marker in self._expected_new)

    def request(self, method, path, body=None, params=None, action=None, headers=None, ok=(200, 201, 202, 204)):
        """One Graph call through the retrying session; returns the ``requests`` response."""
        action = action or "call Microsoft Graph"
        url = self._url(path)
        all_headers = {"Accept": "application/json", "client-request-id": str(uuid.uuid4())}
        all_headers.update(headers or {})
        attempt = 0
        refreshed = False
        while True:
            all_headers["Authorization"] = "Bearer %s" % self.token
            try:
                response = self.session.request(method, url, json=body, params=params, headers=all_headers)
            except requests.exceptions.SSLError as exc:
                raise self._tls_error(exc, url, action) from None
            except requests.exceptions.RetryError as exc:
                raise GraphError(
                    action=action, message="Graph kept refusing the request (%s)" % _short(exc), hint="Run again later or raise max_retry_wait"
                ) from None
            except requests.exceptions.RequestException as exc:
                raise self._conn_error(exc, url, action) from None
            self._note_date(response)
            if response.status_code in ok:
                return response
            if response.status_code == 401 and not refreshed and self._drop_cached_token():
                # A cached token that Graph no longer accepts (expired by Graph's clock, revoked):
                # forget it once and ask the token service for a new one.
                refreshed = True
                continue
            if self._is_replication_miss(response, url, body):
                # graph.md "Eventual consistency": an object this run just created is not yet
                # visible on every replica; back off and ask again within max_retry_wait.
                wait = min(2.0**attempt, 8.0)
                if wait <= self.budget.remaining:
                    attempt += 1
                    self.budget.wait(
                        wait,
                        "Graph answered %s to %s %s right after the object was created (replication)" % (response.status_code, method, url.split("?", 1)[0]),
                    )
                    continue
            rel = url.split("/v1.0", 1)[-1]
            raise _graph_error_from_response(response, action, method, rel, roles=self.roles if response.status_code == 403 else None)

    def _note_date(self, response):
        value = response.headers.get("Date")
        if value:
            with contextlib.suppress(TypeError, ValueError):
                self.server_date = email.utils.parsedate_to_datetime(value)

    def now(self):
        """Graph's time (the ``Date`` of its last answer), else the controller's, in UTC."""
        if self.server_date is not None:
            value = self.server_date
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return datetime.now(timezone.utc)

    @staticmethod
    def _json(response):
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    def get(self, path, params=None, action="read the application", headers=None):
        return self._json(self.request("GET", path, params=params, action=action, headers=headers)) or {}

    def list(self, path, params=None, action="list objects", headers=None):
        items = []
        response = self.request("GET", path, params=params, action=action, headers=headers)
        while True:
            page = self._json(response) or {}
            items.extend(page.get("value") or [])
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return items
            # The next link is a whole URL with the query already in it; headers such as
            # ConsistencyLevel must be sent again on every page (graph.md "Paging").
            response = self.request("GET", next_link, action=action, headers=headers)

    def post(self, path, body, action="create the object", headers=None):
        return self._json(self.request("POST", path, body=body, action=action, headers=headers))

    def patch(self, path, body, action="update the object", headers=None):
        response = self.request("PATCH", path, body=body, action=action, headers=headers)
        return response.status_code, self._json(response)

    def delete(self, path, action="delete the object"):
        self.request("DELETE", path, action=action)

    def graph_service_principal(self):
        """The tenant's Microsoft Graph service principal (permission ids), read once per run."""
        if self._graph_sp is None:
            found = self.list(
                "servicePrincipals",
                params={"$filter": "appId eq '%s'" % GRAPH_APP_ID, "$select": "id,appId,appRoles,oauth2PermissionScopes"},
                action="read the Microsoft Graph service principal of the tenant",
            )
            if not found:
                raise GraphError(
                    action="read the Microsoft Graph service principal of the tenant",
                    message="the tenant has no service principal for Microsoft Graph (appId %s)" % GRAPH_APP_ID,
                )
            self._graph_sp = found[0]
        return self._graph_sp


def _short(exc):
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."


def odata_quote(value):
    """A string literal for an OData ``$filter`` (single quotes doubled)."""
    return "'%s'" % str(value).replace("'", "''")


def credential_fingerprint(value):
    """A short, non-reversible label for a secret (for logs and cache names, never the value)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]
