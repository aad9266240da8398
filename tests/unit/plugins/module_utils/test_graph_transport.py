"""The retry budget: what retries show (a result line each), when they warn (issue 12), how long a failed call waits."""

from __future__ import annotations

import random

import pytest
import requests
from ansible_collections.procall.msteams.plugins.module_utils._graph_transport import (
    NOTE_LINES_LIMIT,
    SMALLEST_WAIT,
    GraphSession,
    RetryBudget,
    call_target,
    retry_report,
    transient_reason,
)

SECRET = "s3cr3t-Value~that.must_never-leak"


def test_no_retry_no_lines_no_warning():
    assert retry_report([], 0.0, 120) == {"graph_retries": [], "warning": None}


def test_a_realistic_share_of_throttling_is_recorded_not_warned():
    events = [("GET /applications(uniqueName='x')", "429", 1.0), ("POST /servicePrincipals", "429", 1.0)]
    report = retry_report(events, 2.0, 120)
    assert report == {
        "graph_retries": ["GET /applications(uniqueName='x'): 429, waited 1 s", "POST /servicePrincipals: 429, waited 1 s"],
        "warning": None,
    }


@pytest.mark.parametrize(
    "waited, max_wait, warns",
    [(59.9, 120, False), (60.0, 120, True), (119.0, 120, True), (1.0, 3, False), (1.5, 3, True), (0.0, 0, False)],
)
def test_a_warning_only_from_half_of_max_retry_wait(waited, max_wait, warns):
    report = retry_report([("GET /applications", "429", waited)], waited, max_wait)
    assert (report["warning"] is not None) is warns
    if warns:
        assert "max_retry_wait=%g" % max_wait in report["warning"] and "GET /applications" in report["warning"]
        assert "graph_retries" in report["warning"] and "-v" in report["warning"]


def test_time_lost_to_hung_requests_counts_towards_the_warning():
    # ``waited`` is the budget's (with spend()), not only the sum of the sleeps.
    assert retry_report([("GET /applications", "connection failed (ReadTimeout)", 1.0)], 80.0, 120)["warning"]


def test_a_failed_run_gets_lines_but_no_warning_its_message_names_call_and_wait():
    report = retry_report([("GET /applications", "503", 120.0)], 120.0, 120, failed=True)
    assert report["warning"] is None and report["graph_retries"] == ["GET /applications: 503, waited 120 s"]


def test_repeats_in_a_row_are_one_line():
    events = [("GET /a", "429", 1.0)] * 3 + [("GET /b", "503", 2.0), ("GET /a", "429", 1.0)]
    assert retry_report(events, 6.0, 120)["graph_retries"] == [
        "GET /a: 429 (3 times), waited 3 s",
        "GET /b: 503, waited 2 s",
        "GET /a: 429, waited 1 s",
    ]


def test_long_reasons_are_clipped_and_repeats_with_other_trace_ids_still_merge():
    reason = (
        "Could not get a token as client %s in tenant %s: the token service answered AADSTS7000215 (the client secret is wrong): "
        "AADSTS7000215: Invalid client secret provided. Trace ID: %s"
    )
    events = [("the token service does not accept the new secret yet", reason % ("c" * 36, "t" * 36, trace), 1.0) for trace in ("1", "2")]
    (line,) = retry_report(events, 2.0, 120)["graph_retries"]
    assert line.startswith("the token service does not accept the new secret yet: Could not get a token") and "(2 times), waited 2 s" in line
    assert "Trace ID" not in line and len(line) < 260


def test_many_different_retries_end_in_one_summary_line():
    events = [("GET /applications/%d" % i, "503", 1.0) for i in range(NOTE_LINES_LIMIT + 10)]
    lines = retry_report(events, float(len(events)), 1000)["graph_retries"]
    assert len(lines) == NOTE_LINES_LIMIT and lines[-1] == "... and 11 more retries, waited 11 s"


def test_a_call_is_named_by_method_and_path_without_host_query_or_api_version():
    assert call_target("get", "https://graph.microsoft.com/v1.0/applications?$filter=appId eq 'x'") == "GET /applications"
    assert call_target("POST", "https://login.microsoftonline.com/tid/oauth2/v2.0/token") == "POST /tid/oauth2/v2.0/token"


def test_a_connection_failure_is_named_by_its_class_not_its_text():
    class ConnectionError(Exception):  # noqa: A001 - named like requests' class on purpose
        pass

    reason = transient_reason("GET", None, ConnectionError("Max retries exceeded with url: /v1.0/x?$filter=%s" % SECRET))
    assert reason == "connection failed (ConnectionError)"


def test_budget_records_every_wait_for_the_report():
    slept = []
    budget = RetryBudget(10, sleep=slept.append)
    budget.wait(1.0, "429", target="GET /applications")
    value, _reason = budget.until(lambda: (None, "not listed yet"), "looking up the application")
    assert value is None and budget.waited == pytest.approx(10.0) and sum(slept) == pytest.approx(10.0)
    assert budget.events[0] == ("GET /applications", "429", 1.0)
    assert {target for target, _r, _s in budget.events[1:]} == {"looking up the application"}
    report = retry_report(budget.events, budget.waited, budget.max_wait)
    assert report["warning"] and report["graph_retries"][1].startswith("looking up the application: not listed yet (")


def test_a_failed_call_waits_a_random_share_of_the_backoff_a_poll_and_retry_after_do_not():
    budget = RetryBudget(100, sleep=lambda s: None, spread=lambda: 0.25)
    assert [budget.next_wait(n, jitter=True) for n in range(5)] == [0.25, 0.5, 1.0, 2.0, 2.0]
    assert [budget.next_wait(n) for n in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]  # eventual-consistency polls
    assert budget.next_wait(3, retry_after=5, jitter=True) == 5  # Retry-After as given
    assert RetryBudget(100, spread=lambda: 0.0).next_wait(0, jitter=True) == SMALLEST_WAIT
    assert RetryBudget(1.5, spread=lambda: 0.99).next_wait(3, jitter=True) == 1.5  # never past the budget


class _EveryPeriodDrop(requests.adapters.BaseAdapter):
    """Answers 503 once, then drops the first request of every ``period`` seconds of a fake clock.

    The emulator's ``drop_connections(every=2)`` after a first transient answer: the onboard run of
    the fault matrix met it as NoBackingApplicationObject, then a drop at every fixed retry.
    """

    def __init__(self, clock, period):
        super().__init__()
        self.clock, self.period, self.next_drop, self.sent = clock, period, 0.0, 0

    def send(self, request, **kwargs):
        self.sent += 1
        answer = requests.Response()
        answer.status_code, answer.request = (503 if self.sent == 1 else 200), request
        if self.sent > 1 and self.clock[0] >= self.next_drop:
            self.next_drop = self.clock[0] + self.period
            raise requests.exceptions.ConnectionError("dropped")
        return answer

    def close(self):
        pass


@pytest.mark.parametrize("jitter", [True, False], ids=["full_jitter", "fixed_backoff"])
def test_a_drop_every_2s_costs_fixed_waits_the_whole_budget_and_jittered_waits_little(jitter):
    """Fixed waits of 2 s and more land each retry on the next period's drop: the call got through
    only when the budget's last second shortened a wait (the fault matrix's onboard took 134 s)."""
    clock = [0.0]

    def sleep(seconds):
        clock[0] += seconds

    budget = RetryBudget(120, sleep=sleep, spread=random.Random(7).random if jitter else (lambda: 1.0))
    session = GraphSession(budget)
    drops = _EveryPeriodDrop(clock, period=2.0)
    session.mount("https://", drops)
    assert session.request("POST", "https://graph.example/v1.0/servicePrincipals").status_code == 200
    if jitter:
        assert budget.waited < 10 and drops.sent < 6, (budget.waited, drops.sent)
    else:
        assert budget.waited > 115 and drops.sent > 15, (budget.waited, drops.sent)
