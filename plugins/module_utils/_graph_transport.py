# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one retry mechanism of the Graph modules: a time budget and the HTTP session that spends it.

For internal collection use only: the interface may change without notice.

Every wait of a module run is charged to one :class:`RetryBudget` of ``max_retry_wait``
seconds: throttling (429, after ``Retry-After``), transient 5xx and 409 answers, dropped
connections, reads of an object Graph has not replicated yet, a lookup that does not find a
just-created app yet, a new secret the token service does not accept yet. Only time bounds
it (no attempt count ends earlier). The same session is msal's ``http_client``, so token
requests are retried like any other call.

Why not urllib3's ``Retry``: its keyword arguments differ between urllib3 1.26 (RHEL 9) and
2.x (``backoff_max``), it caps attempts, and it cannot ask "did the create happen?" before it
resends a POST. requests' default adapter (no retries) is used underneath.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from ansible_collections.procall.msteams.plugins.module_utils._dates import parse_http_date
from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import RetriesExhausted, error_codes, short

try:
    import requests

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as _e:  # pragma: no cover - exercised by the sanity import test
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = _e

# Graph's transient answers (https://learn.microsoft.com/en-us/graph/best-practices-concept#handling-expected-errors):
# 429 throttled (Graph did not process the request), 5xx service errors, 409 Conflict on
# updates while replicas converge (a 409 that says the object already exists is not transient).
TRANSIENT_STATUSES = (429, 500, 502, 503, 504)
DUPLICATE_CODES = ("Request_MultipleObjectsWithSameKeyValue",)
BACKOFF_CAP = 8.0
SMALLEST_WAIT = 0.05


def backoff(attempt):
    """1, 2, 4, 8, 8 ... seconds."""
    return min(2.0**attempt, BACKOFF_CAP)


def retry_after_seconds(response, now=None):
    """``Retry-After`` as seconds (delta or HTTP date, RFC 9110 10.2.3), or None."""
    value = (response.headers.get("Retry-After") or "").strip() if response is not None else ""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = parse_http_date(value)
    if when is None:
        return None
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryBudget:
    """The total time one module run may spend waiting (max_retry_wait), shared by every retry."""

    def __init__(self, max_wait, sleep=time.sleep, warn=None):
        self.max_wait = float(max_wait)
        self.waited = 0.0
        self.retries = 0
        self._sleep = sleep
        self._warn = warn

    @property
    def remaining(self):
        return max(0.0, self.max_wait - self.waited)

    def next_wait(self, attempt, retry_after=None, cap=None):
        """Seconds to wait before attempt ``attempt + 1``, or None when the budget (or ``cap``) is spent.

        ``Retry-After`` is honoured as given: when it is longer than what is left, waiting part of
        it would only be throttled again, so the answer is None at once.
        """
        remaining = self.remaining if cap is None else min(self.remaining, cap)
        if retry_after is not None:
            return retry_after if retry_after <= remaining else None
        if remaining < SMALLEST_WAIT:
            return None
        return min(backoff(attempt), remaining)

    def spend(self, seconds):
        """Charge time lost without sleeping (an attempt that hung until ``timeout``)."""
        self.waited += max(0.0, float(seconds))

    def wait(self, seconds, reason):
        seconds = max(0.0, float(seconds))
        self.waited += seconds
        self.retries += 1
        if self._warn:
            self._warn("%s; retried after %.1f s (%.1f s of max_retry_wait=%g used)" % (reason, seconds, self.waited, self.max_wait))
        if seconds:
            self._sleep(seconds)

    def until(self, attempt, what, cap=None):
        """Call ``attempt() -> (value, reason)`` until ``value`` is not None or the budget is spent.

        For eventual consistency (a lookup, a new secret): returns the last ``(value, reason)``.
        ``cap`` bounds this wait further (verify_timeout). ``reason`` says why it is not done yet.
        """
        spent, tries = 0.0, 0
        while True:
            value, reason = attempt()
            if value is not None:
                return value, reason
            wait = self.next_wait(tries, cap=None if cap is None else cap - spent)
            if wait is None:
                return None, reason
            self.wait(wait, "%s: %s" % (what, reason))
            spent += wait
            tries += 1


def transient_reason(method, response, error):
    """Why this outcome is worth another attempt, or None when it is final."""
    if error is not None:
        return "the connection failed (%s)" % short(error)
    status = response.status_code
    if status in TRANSIENT_STATUSES:
        return "Graph answered %s" % status
    if status == 409 and method.upper() != "GET" and not error_codes(response).intersection(DUPLICATE_CODES):
        return "Graph answered 409 (a concurrent change)"
    return None


if HAS_REQUESTS:

    class GraphSession(requests.Session):
        """A Session that retries within the budget and passes ``verify``/``timeout`` on every request.

        requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a ``Session.verify`` set once,
        so ca_path only holds when given per request; msal gets this session as its
        ``http_client`` for the same reason. Proxies come from HTTPS_PROXY / NO_PROXY (``trust_env``).
        A TLS verification failure is never retried: waiting does not fix a wrong CA bundle.
        """

        def __init__(self, budget, verify=True, timeout=30.0, counter=None):
            super().__init__()
            self.budget = budget
            self._verify = verify
            self._timeout = timeout
            self._counter = counter

        def request(self, method, url, *args, retry_if=None, before_resend=None, **kwargs):
            """``retry_if(response) -> reason | None`` adds the caller's transient answers (replication);
            ``before_resend(response) -> response | None`` is asked before a request that may have been
            processed is sent again (a create re-reads by its key; ``response`` is None when no answer
            came); a non-None answer is the result."""
            kwargs["verify"] = self._verify
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = self._timeout
            attempt = 0
            while True:
                if self._counter is not None:
                    self._counter(method, url)
                response = error = None
                started = time.monotonic()
                try:
                    response = super().request(method, url, *args, **kwargs)
                except requests.exceptions.SSLError:
                    raise
                except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                    error = exc
                    # A request that hung until ``timeout`` is time lost to retrying too: it counts.
                    self.budget.spend(time.monotonic() - started)
                reason = transient_reason(method, response, error)
                if reason is None and retry_if is not None:
                    reason = retry_if(response)
                if reason is None:
                    return response
                wait = self.budget.next_wait(attempt, retry_after_seconds(response))
                if wait is None:
                    raise RetriesExhausted(method, url, self.budget.waited, self.budget.max_wait, response=response, error=error)
                self.budget.wait(wait, "%s to %s %s" % (reason, method, url.split("?", 1)[0]))
                attempt += 1
                # 429 means Graph did not process the request; after anything else a write may have happened.
                if before_resend is not None and (response is None or response.status_code != 429):
                    found = before_resend(response)
                    if found is not None:
                        return found

else:  # pragma: no cover
    GraphSession = None
