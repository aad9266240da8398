"""Helpers of test_fault_matrix.py: small worlds, out-of-band truth, failure reasons, a run killed on cue.

Everything here reads the end state from the Graph emulator's objects and the simulated hosts'
folders, never from what the playbook reports about itself; the report and the json callback
output are only read to check that every failure is explained.
"""

from __future__ import annotations

import os
import re
import signal
import time

from tests.demo import World

# The smallest worlds that still show a rollout (a canary batch, then the rest) and two tenants.
# One host where a second adds nothing to the row (the file's time budget is ~6 minutes).
ONE_TENANT = {"contoso": ["ucs-c1", "ucs-c2"]}
ONE_HOST = {"contoso": ["ucs-c1"]}
TWO_TENANTS = {"contoso": ["ucs-c1"], "fabrikam": ["ucs-f1"]}
DUE = 5  # days left of a secret inside the rotation window (30 days)
VALIDITY = 180

# A failed Graph call named in a reason: "POST /applications/.../addPassword", "GET /applications(...)".
GRAPH_CALL = re.compile(r"\b(GET|POST|PATCH|PUT|DELETE) /\S+")
# Messages that say nothing about the cause.
EMPTY_REASONS = ("failed without a message", "MODULE FAILURE", "HTTP Error:")


def make_world(emulator, root, tenants=None, host_specs=None) -> World:
    world = World(emulator, root, tenants=tenants or ONE_TENANT, host_specs=host_specs)
    # entra_app_secret counts days left on Graph's clock (the Date header): the clock rows need it.
    assert world.clock_visible
    return world


def fault_over(emulator) -> None:
    """The injected fault is over: back to the realistic world's own faults (clear() would end those too).

    Called before the out-of-band checks, whose own token requests must not meet the fault.
    """
    emulator.world("realistic")


def faulted(emulator, fault: str, kind: str | None = None) -> list[dict]:
    """Log entries the emulator answered with this fault (``drop``, ``throttle``, ``error``)."""
    return [e for e in emulator.requests() if e["fault"] == fault and (kind is None or e["kind"] == kind)]


# -- out-of-band truth --------------------------------------------------------------------------------


def token_answer(world, host, wait=15.0) -> tuple[int, list]:
    """(status, AADSTS codes) of a token request with the secret in the host's msteams.cfg.

    A secret just added may not have reached the token service yet (the realistic world's
    propagation delay): AADSTS7000215 is retried for ``wait`` seconds before it counts.
    """
    cfg = world.fleet[host].msteams_cfg()
    assert isinstance(cfg, dict), f"{host}: msteams.cfg is {cfg!r}"
    deadline = time.monotonic() + wait
    while True:
        answer = world.emulator.token(world.tenant_ids[world.tenant_of(host)], cfg.get("u8sClientID"), cfg.get("u8sClientSecret") or "-")
        codes = [] if answer.status_code == 200 else answer.json().get("error_codes", [])
        if answer.status_code == 200 or codes != [7000215] or time.monotonic() > deadline:
            return answer.status_code, codes
        time.sleep(0.5)


def assert_host_works(world, host) -> None:
    """The host runs the app of its tenant with a secret that gets a token, and its service runs with that file."""
    sim = world.fleet[host]
    tenant = world.tenant_of(host)
    app = world.app(tenant)
    cfg = sim.msteams_cfg()
    assert isinstance(cfg, dict), f"{host}: msteams.cfg is {cfg!r}"
    assert (cfg["u8sTenant"], cfg["u8sClientID"]) == (world.tenant_ids[tenant], app["appId"]), host
    assert sim.service_state() == "running", f"{host}: the UCServer service is {sim.service_state()}"
    loaded = sim.state()["services"]["eucsrv"]["loaded_cfg"] or {}
    assert loaded.get("u8sClientSecret") == cfg["u8sClientSecret"], f"{host}: the running service holds another secret than its file"
    status, codes = token_answer(world, host)
    assert status == 200, f"{host}: its deployed secret gets no token (AADSTS {codes})"


def leftover_secrets(world, host) -> list[dict]:
    """Secrets named for the host that it does not run: replaced, orphaned or never deployed."""
    deployed = (world.fleet[host].msteams_cfg() or {}).get("u8sClientSecret") or ""
    mine = world.host_secrets(host)
    running = [c for c in mine if deployed[:3] == c.get("hint")]
    assert len(running) == 1, f"{host}: {len(running)} secrets of the app match its deployed secret: {mine}"
    return [c for c in mine if c is not running[0]]


def assert_converged(world, hosts=None) -> None:
    """Every host works, and no other secret of the app is left valid for it."""
    for host in hosts or world.hosts:
        assert_host_works(world, host)
        left = leftover_secrets(world, host)
        assert not left, f"{host}: secrets left valid besides the one it runs: {[c['keyId'] for c in left]}"


def key_ids(world, host) -> list[str]:
    return [c["keyId"] for c in world.host_secrets(host)]


# -- the report and the json callback ------------------------------------------------------------------


def report_rows(record) -> dict:
    assert record.report is not None, f"{record.name} wrote no report file: {record.result!r}"
    return {row["host"]: row for row in record.report["hosts"]}


def callback_failures(record) -> dict[str, list[tuple[str, str]]]:
    """``{host: [(task name, message)]}`` of every failed or unreachable result in the json callback output."""
    found: dict[str, list[tuple[str, str]]] = {}
    for play in (record.result.report or {}).get("plays", []):
        for task in play["tasks"]:
            for host, res in task["hosts"].items():
                if res.get("failed") or res.get("unreachable"):
                    message = res.get("msg") or ("(censored: no_log)" if res.get("censored") else "")
                    found.setdefault(host, []).append((task["task"]["name"], str(message)))
    return found


def assert_failures_explained(record, names_call) -> list[str]:
    """Every failed host has a reason that names the call, in the report and in the json callback; returns the failed hosts.

    ``names_call(host, text) -> bool`` says whether a text names the call that failed on that host.
    """
    assert record.result.report is not None, f"no json callback output: {record.result!r}"
    rows = report_rows(record)
    stats = record.result.stats
    failed = sorted({h for h, r in rows.items() if r["status"] == "failed"} | {h for h in rows if record.result.failed(h)})
    summary = "\n".join(str(line) for res in record.result.task_results("Print the summary").values() for line in res.get("msg") or [])
    reported = callback_failures(record)
    for host in failed:
        reason = rows[host].get("reason") or ""
        assert reason.strip(), f"{host}: failed without a reason in the report"
        assert not any(e in reason for e in EMPTY_REASONS), f"{host}: the reason says nothing: {reason}"
        assert names_call(host, reason), f"{host}: the reason does not name the call: {reason}"
        assert reason.replace("\n", " ") in summary, f"{host}: the printed summary lacks its reason"
        # The callback shows the failure itself, readable (a no_log task's censored result alone is no reason).
        readable = [(task, msg) for task, msg in reported.get(host, []) if msg and not msg.startswith("(censored")]
        assert readable, f"{host}: no failed task with a message in the json callback output ({reported.get(host)})"
        assert any(names_call(host, f"{task}: {msg}") for task, msg in readable), f"{host}: no failure in the callback names the call: {readable}"
        for task, msg in reported.get(host, []):
            assert msg.strip() and not any(e == msg.strip() for e in EMPTY_REASONS), f"{host}: '{task}' failed with an empty message"
    if failed:
        # ansible-playbook's own convention: 4 when a host was unreachable, else 2 for failed hosts.
        unreachable = any(c.get("unreachable") for c in stats.values())
        assert record.rc == (4 if unreachable else 2), f"{record.name}: exit code {record.rc} with failed hosts {failed}"
        # The failed hosts themselves fail the run (the recap and AWX's host summary name them), each naming every failed host.
        fails = {h: r for h, r in record.result.task_results("Fail the run when a host failed").items() if r.get("failed")}
        in_play = [h for h in failed if not (stats.get(h) or {}).get("unreachable")]
        if in_play:
            assert sorted(fails) == in_play, f"the failed hosts themselves fail the run: {sorted(fails)}, expected {in_play}"
        else:
            assert len(fails) == 1, f"every failed host left the play: the host that ran the report fails the run: {fails}"
        assert all(h in (res.get("msg") or "") for res in fails.values() for h in failed), fails
    for host, counts in stats.items():
        if host != "localhost" and (counts.get("failures") or counts.get("unreachable")):
            assert host in failed, f"{host} failed in the callback stats but the report says {rows.get(host)}"
    return failed


# -- a run killed on cue ----------------------------------------------------------------------------


def kill_when(predicate, poll=0.05, timeout=240.0):
    """A ``watch`` for ``World.run``: SIGKILL the playbook's process group as soon as ``predicate()`` holds.

    Returns the watch function; its ``.killed`` list holds the monotonic time of the kill (empty:
    the run ended before the cue).
    """
    killed: list[float] = []

    def watch(proc):
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            if predicate():
                os.killpg(proc.pid, signal.SIGKILL)
                killed.append(time.monotonic())
                return
            time.sleep(poll)

    watch.killed = killed
    return watch


def start_when(predicate, action, poll=0.05, timeout=240.0):
    """A ``watch`` that calls ``action()`` once ``predicate()`` holds (a fault that begins mid-run), then lets the run end."""
    started: list[float] = []

    def watch(proc):
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            if predicate():
                action()
                started.append(time.monotonic())
                return
            time.sleep(poll)

    watch.started = started
    return watch


def graph_seen(emulator, method, path_part, ok=True):
    """A predicate: the emulator has answered such a request (with success when ``ok``)."""

    def seen():
        return any(e["method"] == method and path_part in e["path"] and (not ok or 200 <= e["status"] < 300) for e in emulator.requests())

    return seen
