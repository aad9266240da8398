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

Retries are quiet: each one is recorded (:attr:`RetryBudget.events`) and returned in the module
result as ``graph_retries``, one short line per retry (:func:`retry_report`); a warning is
printed only when retrying used a large part of ``max_retry_wait`` (the tenant is in trouble).
The realistic share of throttling is Graph's weather, not something to alert on.

Why not urllib3's ``Retry``: its keyword arguments differ between urllib3 1.26 (RHEL 9) and
2.x (``backoff_max``), it caps attempts, and it cannot ask "did the create happen?" before it
resends a POST. requests' default adapter (no retries) is used underneath.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ansible_collections.procall.msteams.plugins.module_utils._dates import parse_http_date
from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import RetriesExhausted, error_codes

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
# Retries warn only when they took this share of max_retry_wait or more: at the realistic ~3 % of
# throttled calls a task waits a few seconds of its 120; half the budget means the tenant (or the
# network to it) is in trouble and the next run may fail.
WARN_SHARE = 0.5
NOTE_REASON_LIMIT = 160
NOTE_LINES_LIMIT = 25


def backoff(attempt):
    """1, 2, 4, 8, 8 ... seconds: the longest wait before attempt ``attempt + 1``."""
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
    """The total time one module run may spend waiting (max_retry_wait), shared by every retry.

    ``events`` records every wait as ``(target, reason, seconds)`` for :func:`retry_report`.
    ``spread() -> [0, 1)`` draws the share of the backoff a failed call waits (full jitter).
    """

    def __init__(self, max_wait, sleep=time.sleep, spread=random.random):
        self.max_wait = float(max_wait)
        self.waited = 0.0
        self.retries = 0
        self.events = []
        self._sleep = sleep
        self._spread = spread

    @property
    def remaining(self):
        return max(0.0, self.max_wait - self.waited)

    def next_wait(self, attempt, retry_after=None, cap=None, jitter=False):
        """Seconds to wait before attempt ``attempt + 1``, or None when the budget (or ``cap``) is spent.

        ``Retry-After`` is honoured as given: when it is longer than what is left, waiting part of
        it would only be throttled again, so the answer is None at once. ``jitter`` draws the wait
        from ``[0, backoff]`` (full jitter) for a call that failed: fixed waits of 2 s and more
        meet a fault that recurs every 2 s (a flaky link, a recycling proxy) on every attempt, and
        many hosts retrying in step hit Graph together (retries "with exponential backoff and
        jitter": https://docs.aws.amazon.com/wellarchitected/latest/framework/rel05-bp03.html,
        https://learn.microsoft.com/en-us/azure/well-architected/reliability/handle-transient-faults).
        Polls for eventual consistency (``until``) keep the plain schedule: no fault to fall into step with.
        """
        remaining = self.remaining if cap is None else min(self.remaining, cap)
        if retry_after is not None:
            return retry_after if retry_after <= remaining else None
        if remaining < SMALLEST_WAIT:
            return None
        wait = backoff(attempt)
        if jitter:
            wait = max(SMALLEST_WAIT, wait * self._spread())
        return min(wait, remaining)

    def spend(self, seconds):
        """Charge time lost without sleeping (an attempt that hung until ``timeout``)."""
        self.waited += max(0.0, float(seconds))

    def wait(self, seconds, reason, target=None):
        """Sleep ``seconds`` before another attempt at ``target`` (a call or a wait), because of ``reason``."""
        seconds = max(0.0, float(seconds))
        self.waited += seconds
        self.retries += 1
        self.events.append((target or "retry", reason, seconds))
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
            self.wait(wait, reason, target=what)
            spent += wait
            tries += 1


def _seconds(value):
    return "%g" % round(value, 1)


def _clip(text, limit=NOTE_REASON_LIMIT):
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def call_target(method, url):
    """``GET /applications(...)``: the method and the path of a call, without host and query.

    Only bodies carry secrets (a token request's client secret or assertion), never a path, so
    the line is safe for a result or a log.
    """
    path = urlsplit(url).path or "/"
    if path.startswith("/v1.0/"):
        path = path[len("/v1.0") :]
    return "%s %s" % (method.upper(), path)


def retry_report(events, waited, max_wait, failed=False):
    """What a module run says about its retries: ``{"graph_retries": [lines], "warning": text | None}``.

    The one place that decides whether retries are worth a warning. Every retry becomes a short
    line of the result ("GET /applications: 429, waited 1 s"; repeats of the same call and reason
    in a row become one line "(3 times)"), shown with -v. A warning only when the waits used
    ``WARN_SHARE`` of ``max_retry_wait`` or more: the tenant is throttled or failing far beyond the
    usual share, and a run may soon fail. A failed run gets no warning: its message already names
    the call and the time waited.
    """
    lines, groups = [], []
    for target, reason, seconds in events:
        key = (target, _clip(reason))
        if groups and groups[-1][0] == key:
            groups[-1][1] += 1
            groups[-1][2] += seconds
        else:
            groups.append([key, 1, seconds])
    for (target, reason), count, seconds in groups:
        times = " (%d times)" % count if count > 1 else ""
        lines.append("%s: %s%s, waited %s s" % (target, reason, times, _seconds(seconds)))
    if len(lines) > NOTE_LINES_LIMIT:
        rest = groups[NOTE_LINES_LIMIT - 1 :]
        lines = lines[: NOTE_LINES_LIMIT - 1] + ["... and %d more retries, waited %s s" % (sum(g[1] for g in rest), _seconds(sum(g[2] for g in rest)))]
    warning = None
    if not failed and max_wait > 0 and events and waited >= WARN_SHARE * max_wait:
        per_target = {}
        for target, _reason, seconds in events:
            per_target[target] = per_target.get(target, 0.0) + seconds
        worst = max(per_target, key=per_target.get)
        warning = (
            "Retries waited %s s of max_retry_wait=%g (%d %s, most for %s): Microsoft Graph throttled or failed this "
            "task's calls far more than usual, and a run that needs more fails. graph_retries in the task result (shown "
            "with -v) lists each retry; if this repeats, spread the schedule (fewer parallel runs per tenant) or raise "
            "max_retry_wait." % (_seconds(waited), max_wait, len(events), "retry" if len(events) == 1 else "retries", worst)
        )
    return {"graph_retries": lines, "warning": warning}


def transient_reason(method, response, error):
    """Why this outcome is worth another attempt, or None when it is final."""
    if error is not None:
        # The exception's class, not its text: that may hold the URL with its query.
        return "connection failed (%s)" % type(error).__name__
    status = response.status_code
    if status in TRANSIENT_STATUSES:
        return str(status)
    if status == 409 and method.upper() != "GET" and not error_codes(response).intersection(DUPLICATE_CODES):
        return "409 (a concurrent change)"
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
                wait = self.budget.next_wait(attempt, retry_after_seconds(response), jitter=True)
                if wait is None:
                    raise RetriesExhausted(method, url, self.budget.waited, self.budget.max_wait, response=response, error=error)
                self.budget.wait(wait, reason, target=call_target(method, url))
                attempt += 1
                # 429 means Graph did not process the request; after anything else a write may have happened.
                if before_resend is not None and (response is None or response.status_code != 429):
                    found = before_resend(response)
                    if found is not None:
                        return found

else:  # pragma: no cover
    GraphSession = None
