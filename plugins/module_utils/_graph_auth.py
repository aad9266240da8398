# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Signing in to Microsoft Graph: msal for secrets, certificates, federated tokens and managed identities, or a given token.

For internal collection use only: the interface may change without notice.

msal gets the retrying session of ``_graph_transport`` as its ``http_client``, so token
requests are retried (429, 5xx, dropped connections) within the same budget as Graph calls,
and a token endpoint that keeps failing ends in one sentence, not in msal's "HTTP Error: 503".
"""

from __future__ import annotations

import base64
import contextlib
import json

from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import (
    GraphAuthError,
    GraphConfigError,
    GraphError,
    RetriesExhausted,
    connection_error,
    discovery_error,
    error_from_response,
    parse_aadsts,
    short,
    tls_error,
)
from ansible_collections.procall.msteams.plugins.module_utils._graph_settings import validate_client_id, validate_tenant_id
from ansible_collections.procall.msteams.plugins.module_utils._graph_transport import HAS_REQUESTS
from ansible_collections.procall.msteams.plugins.module_utils._token_cache import HAS_CRYPTOGRAPHY, TokenCacheFile

if HAS_REQUESTS:
    import requests

try:
    import msal

    HAS_MSAL = True
    MSAL_IMPORT_ERROR = None
except ImportError as _e:  # pragma: no cover
    HAS_MSAL = False
    MSAL_IMPORT_ERROR = _e

MSAL_REQUIRED = "the Python library msal (>= 1.29) is required on the controller: pip install msal"


def decode_jwt_claims(token):
    """The claims of a JWT without verifying it: only to read ``tid``/``roles``/``oid`` of our own token."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        return json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (IndexError, ValueError, TypeError, AttributeError):
        return {}


def exhausted_error(exc, action, token=False):
    """RetriesExhausted as one GraphError: the last answer, and the hint that names call, wait and rerun."""
    response = exc.response
    if response is None:
        return GraphError(action=action, message="the connection kept failing (%s)" % short(exc.error), hint=exc.hint())
    if token:
        return GraphError(status=response.status_code, action=action, message="the token service kept failing", hint=exc.hint())
    return error_from_response(response, action, exc.method, exc.url.split("/v1.0", 1)[-1].split("?", 1)[0], hint=exc.hint())


def login_call(action, url, fn, *args, **kwargs):
    """Run a login-host call (msal), turning transport failures into one sentence."""
    try:
        return fn(*args, **kwargs)
    except RetriesExhausted as exc:
        raise exhausted_error(exc, action, token=True) from None
    except requests.exceptions.SSLError as exc:
        raise tls_error(exc, url, action) from None
    except requests.exceptions.RequestException as exc:
        raise connection_error(exc, url, action) from None


class GraphAuth:
    """The token of one module run (and proofs for other apps' secrets)."""

    def __init__(self, settings, session):
        self.settings = settings
        self.session = session
        self._token = None
        self._claims = None
        self._app = None
        self._cache = None
        self._http_cache = {}
        self._cache_file = None

    def _cache_lock(self):
        """The file cache's lock (loading/saving around the block), or nothing when disabled."""
        if self._cache is None and HAS_MSAL:
            self._cache = msal.SerializableTokenCache()
            if self.settings.token_cache_path and HAS_CRYPTOGRAPHY:
                self._cache_file = TokenCacheFile(self.settings.token_cache_path, self.settings.key_material(), self._cache, self._http_cache)
        return self._cache_file.locked() if self._cache_file else contextlib.nullcontext(self._cache)

    def _confidential_app(self, client_id, credential, authority, token_cache):
        s = self.settings
        return msal.ConfidentialClientApplication(
            client_id,
            client_credential=credential,
            authority=authority,
            http_client=self.session,
            token_cache=token_cache,
            http_cache=self._http_cache,
            instance_discovery=s.instance_discovery,
            validate_authority=s.instance_discovery,
        )

    def _build_app(self):
        s = self.settings
        if not HAS_MSAL:
            raise GraphConfigError(MSAL_REQUIRED)
        self._cache = self._cache if self._cache is not None else msal.SerializableTokenCache()
        if s.auth == "client_secret":
            credential = s.client_secret
        elif s.auth == "federated":
            # A callable: msal (>= 1.29) calls it for each token request, so a rotated file is re-read.
            credential = {"client_assertion": s.read_federated_token}
        else:
            key_pem, thumbprint, cert_pem = s.certificate_parts()
            credential = {"private_key": key_pem, "thumbprint": thumbprint, "public_certificate": cert_pem}
        try:
            return self._confidential_app(s.client_id, credential, s.authority, self._cache)
        except ValueError as exc:
            raise discovery_error(exc, s.tenant_id, "sign in to tenant %s as client %s" % (s.tenant_id, s.client_id)) from None

    def _acquire(self):
        s = self.settings
        if s.auth == "access_token":
            return s.access_token
        if s.auth == "managed_identity":
            return self._acquire_managed_identity()
        action = "get a token for Microsoft Graph as client %s in tenant %s" % (s.client_id, s.tenant_id)

        def acquire():
            # The msal app is built inside the lock too: its tenant discovery is then answered
            # from the persisted http_cache, and the token from the persisted token cache.
            with self._cache_lock():
                if self._app is None:
                    self._app = self._build_app()
                return self._app.acquire_token_for_client(scopes=[s.scope])

        return self._token_from_result(login_call(action, s.login_endpoint, acquire), action)

    def _acquire_managed_identity(self):
        s = self.settings
        if not HAS_MSAL or not hasattr(msal, "ManagedIdentityClient"):
            raise GraphConfigError("managed_identity needs the Python library msal >= 1.29 on the controller: pip install 'msal>=1.29'")
        identity = (
            msal.SystemAssignedManagedIdentity() if s.managed_identity == "system" else msal.UserAssignedManagedIdentity(client_id=s.managed_identity_client_id)
        )
        # The managed identity endpoint is local to the host and cheap; msal keeps its token in memory.
        client = msal.ManagedIdentityClient(identity, http_client=self.session)
        action = "get a managed identity token for Microsoft Graph"
        try:
            result = login_call(action, "managed identity endpoint", client.acquire_token_for_client, resource=s.graph_endpoint)
        except GraphError:
            raise
        except Exception as exc:  # msal raises ManagedIdentityError and others when no endpoint exists
            raise GraphAuthError(action=action, message=short(exc), hint="Run on a host with a managed identity, or use another credential") from None
        return self._token_from_result(result, action)

    @staticmethod
    def _token_from_result(result, action):
        result = result or {}
        if result.get("access_token"):
            return result["access_token"]
        description = result.get("error_description") or ""
        raise GraphAuthError(code=parse_aadsts(description), message=description, error=result.get("error"), action=action)

    def ensure_token(self):
        if self._token is None:
            self._token = self._acquire()
            self._claims = decode_jwt_claims(self._token)
        return self._token

    def drop_cached_token(self):
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
        self.ensure_token()
        return dict(self._claims or {})

    def acquire_token_for(self, client_id, client_secret, tenant):
        """A real token request for another app (to verify a new secret); returns its claims."""
        s = self.settings
        validate_client_id(client_id)
        validate_tenant_id(tenant)
        action = "get a token as client %s in tenant %s" % (client_id, tenant)
        if not HAS_MSAL:
            raise GraphConfigError(MSAL_REQUIRED)

        def acquire():
            # Never persisted: this token is only a proof that the secret works.
            app = self._confidential_app(client_id, client_secret, "%s/%s" % (s.login_endpoint, tenant), msal.TokenCache())
            return app.acquire_token_for_client(scopes=[s.scope])

        try:
            result = login_call(action, s.login_endpoint, acquire)
        except ValueError as exc:
            raise discovery_error(exc, tenant, action) from None
        return decode_jwt_claims(self._token_from_result(result, action))
