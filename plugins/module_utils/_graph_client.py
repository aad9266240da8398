# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Microsoft Graph client: auth (msal), one request path, paging, errors.

For internal collection use only: the interface may change without notice.

Every Graph call of every module goes through :class:`GraphClient` so retries, the bounded
wait, paging, TLS settings and error sentences are the same everywhere.
The parts live in their own files: errors (``_graph_errors``), settings and credentials
(``_graph_settings``), the transport with the one retry budget (``_graph_transport``), the
token cache (``_token_cache``).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from ansible_collections.procall.msteams.plugins.module_utils._dates import parse_http_date
from ansible_collections.procall.msteams.plugins.module_utils._graph_auth import (
    HAS_MSAL,
    MSAL_IMPORT_ERROR,
    GraphAuth,
    decode_jwt_claims,
    exhausted_error,
)
from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import (
    GraphAuthError,
    GraphConfigError,
    GraphError,
    RetriesExhausted,
    connection_error,
    error_codes,
    error_from_response,
    required_permission,
    tls_error,
)
from ansible_collections.procall.msteams.plugins.module_utils._graph_settings import GraphSettings, host_of
from ansible_collections.procall.msteams.plugins.module_utils._graph_transport import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    GraphSession,
    RetryBudget,
    retry_report,
)
from ansible_collections.procall.msteams.plugins.module_utils._permissions import GRAPH_APP_ID
from ansible_collections.procall.msteams.plugins.module_utils._token_cache import prepare_directory

if HAS_REQUESTS:
    import requests

# The modules import the whole Graph surface from here.
__all__ = [
    "HAS_MSAL",
    "HAS_REQUESTS",
    "MSAL_IMPORT_ERROR",
    "REQUESTS_IMPORT_ERROR",
    "GraphAuthError",
    "GraphClient",
    "GraphConfigError",
    "GraphError",
    "GraphSettings",
    "RetryBudget",
    "decode_jwt_claims",
    "odata_quote",
    "required_permission",
]


def odata_quote(value):
    """A string literal for an OData ``$filter`` (single quotes doubled)."""
    return "'%s'" % str(value).replace("'", "''")


class GraphClient:
    """One Graph connection of one module run."""

    def __init__(self, params, sleep=None, session=None, spread=None):
        self.settings = GraphSettings(params)
        self.request_count = 0
        budget_args = {k: v for k, v in (("sleep", sleep), ("spread", spread)) if v is not None}
        # Retries are recorded, not warned about: ``retry_report()`` says what the result shows.
        self.budget = RetryBudget(self.settings.max_retry_wait, **budget_args)
        self.session = session or GraphSession(self.budget, self.settings.verify, self.settings.timeout, counter=self._count)
        self.auth = GraphAuth(self.settings, self.session)
        self._graph_sp = None
        self._expected_new = set()
        self.server_date = None
        if self.settings.token_cache_path and self.settings.auth in ("client_secret", "certificate"):
            prepare_directory(self.settings.token_cache_path)  # a bad cache path fails before any request

    # ------------------------------------------------------------------ helpers
    def retry_report(self, failed=False):
        """``{"graph_retries": [lines], "warning": text | None}`` of this run's retries (``_graph_transport.retry_report``)."""
        return retry_report(self.budget.events, self.budget.waited, self.budget.max_wait, failed=failed)

    def _count(self, method, url):
        self.request_count += 1

    def _url(self, path):
        if "://" not in path:
            return "%s/v1.0/%s" % (self.settings.graph_endpoint, path.lstrip("/"))
        return path

    # ------------------------------------------------------------------ auth (_graph_auth)
    @property
    def token(self):
        return self.auth.ensure_token()

    def _drop_cached_token(self):
        return self.auth.drop_cached_token()

    def token_claims(self):
        return self.auth.token_claims()

    @property
    def tenant_id(self):
        return self.token_claims().get("tid") or self.settings.tenant_id

    @property
    def roles(self):
        return list(self.token_claims().get("roles") or [])

    def acquire_token_for(self, client_id, client_secret, tenant_id=None):
        """A real token request for another app (to verify a new secret); returns its claims."""
        return self.auth.acquire_token_for(client_id, client_secret, tenant_id or self.tenant_id)

    # ------------------------------------------------------------------ requests
    def expect_new(self, object_id_or_path):
        """Reads of this object may 404 for a while (replication): retry them within max_retry_wait."""
        if object_id_or_path:
            self._expected_new.add(str(object_id_or_path).strip("/"))

    def is_new(self, object_id_or_path):
        """Whether this run created the object (registered with :meth:`expect_new`)."""
        return bool(object_id_or_path) and str(object_id_or_path).strip("/") in self._expected_new

    def _replication_check(self, method, url, body):
        """``retry_if`` for the transport: a miss of an object this run created is worth waiting for.

        https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-serviceprincipals (NoBackingApplicationObject)
        and Graph's eventual consistency: a new object is not on every replica at once.
        """
        haystack = url + (json.dumps(body) if body is not None else "")
        if not any(marker in haystack for marker in self._expected_new):
            return None

        def check(response):
            if response is None:
                return None
            codes = error_codes(response)
            status = response.status_code
            lagging = (status == 404 and (not codes or codes & {"Request_ResourceNotFound", "ResourceNotFound"})) or (
                status == 400 and "NoBackingApplicationObject" in codes
            )
            return "%s right after the object was created (replication)" % status if lagging else None

        return check

    def request(self, method, path, body=None, params=None, action=None, headers=None, ok=(200, 201, 202, 204), recheck=None):
        """One Graph call through the retrying session; returns the ``requests`` response.

        ``recheck(maybe_done) -> dict | None`` makes a create safe to resend: before the transport
        sends it again after an answer that may hide a success, it asks whether the object exists
        now; a dict found that way is the result (a fake 201 response). ``maybe_done`` is True when
        the write may have happened (no answer, 5xx), False when Graph refused it (a 409 conflict):
        only then is a miss worth waiting for, since a list shows a new object after replication.
        """
        action = action or "call Microsoft Graph"
        url = self._url(path)
        rel = url.split("/v1.0", 1)[-1].split("?", 1)[0]
        all_headers = {"Accept": "application/json", "client-request-id": str(uuid.uuid4())}
        all_headers.update(headers or {})
        before_resend = None
        if recheck is not None:

            def before_resend(response):
                found = recheck(response is None or response.status_code >= 500)
                return _FoundResponse(found) if found is not None else None

        refreshed = False
        while True:
            all_headers["Authorization"] = "Bearer %s" % self.token
            try:
                response = self.session.request(
                    method,
                    url,
                    json=body,
                    params=params,
                    headers=all_headers,
                    retry_if=self._replication_check(method, url, body),
                    before_resend=before_resend,
                )
            except RetriesExhausted as exc:
                raise exhausted_error(exc, action) from None
            except requests.exceptions.SSLError as exc:
                raise tls_error(exc, url, action) from None
            except requests.exceptions.RequestException as exc:
                raise connection_error(exc, url, action) from None
            self._note_date(response)
            if response.status_code in ok:
                return response
            if response.status_code == 401 and not refreshed and self._drop_cached_token():
                # A cached token that Graph no longer accepts (expired by Graph's clock, revoked):
                # forget it once and ask the token service for a new one.
                refreshed = True
                continue
            raise error_from_response(response, action, method, rel, roles=self.roles if response.status_code == 403 else None)

    def _note_date(self, response):
        self.server_date = parse_http_date(response.headers.get("Date")) or self.server_date

    def now(self):
        """Graph's time (the ``Date`` of its last answer), else the controller's, in UTC."""
        return self.server_date or datetime.now(timezone.utc)

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
            # Follow only https links on the configured Graph host: the token goes with the request.
            if not (next_link.startswith("https://") and host_of(next_link) == self.settings.graph_host):
                raise GraphError(
                    action=action,
                    message="Graph's @odata.nextLink points at %s, not at the configured Graph host %s over https; it was not followed"
                    % (next_link.split("://", 1)[0] + "://" + host_of(next_link), self.settings.graph_host),
                    hint="Check graph_endpoint (a proxy may rewrite the links)",
                )
            # The next link is a whole URL with the query already in it; headers such as
            # ConsistencyLevel must be sent again on every page.
            response = self.request("GET", next_link, action=action, headers=headers)

    def post(self, path, body, action="create the object", headers=None, recheck=None):
        return self._json(self.request("POST", path, body=body, action=action, headers=headers, recheck=recheck))

    def patch(self, path, body, action="update the object", headers=None):
        response = self.request("PATCH", path, body=body, action=action, headers=headers)
        return response.status_code, self._json(response)

    def delete(self, path, action="delete the object"):
        self.request("DELETE", path, action=action)

    def graph_service_principal(self):
        """The tenant's Microsoft Graph service principal (permission ids), read once per run."""
        if self._graph_sp is None:
            action = "read the Microsoft Graph service principal of the tenant"
            found = self.list(
                "servicePrincipals", params={"$filter": "appId eq '%s'" % GRAPH_APP_ID, "$select": "id,appId,appRoles,oauth2PermissionScopes"}, action=action
            )
            if not found:
                raise GraphError(action=action, message="the tenant has no service principal for Microsoft Graph (appId %s)" % GRAPH_APP_ID)
            self._graph_sp = found[0]
        return self._graph_sp


class _FoundResponse:
    """What a recheck found, shaped like the 201 answer the lost create would have had."""

    def __init__(self, obj):
        self.status_code = 201
        self.headers = {}
        self.content = json.dumps(obj).encode("utf-8")
        self._obj = obj

    def json(self):
        return self._obj
