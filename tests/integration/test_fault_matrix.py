"""The fault matrix of issue 14: each fault, injected into a small world, and what a plain rerun leaves.

Graph emulator (realistic world: lag, 429 share, propagation delay, small pages, short tokens)
plus simulated UCServer hosts, 1-2 tenants x 1-2 hosts. Every test builds its own world, so
the tests pass in any order and under ``pytest -n 2 --dist load``. Each asserts the end state
out of band (fault_matrix_support): the services run with the file they hold, each host's
secret gets a token, no replaced or orphaned secret of a host is left valid, and every failed
host has a reason naming the call, in the report and in the json callback output.
"""

from __future__ import annotations

import datetime
import re
import time

import pytest
from ansible_collections.procall.msteams.plugins.module_utils._msteams_cfg import VENDOR_DEFAULTS

from tests.integration import fault_matrix_support as fm
from tests.integration.test_playbooks import graph_call, onboarded_world

pytestmark = pytest.mark.slow

# A rerun revokes the replaced secrets its hosts no longer run (issue 14 item 4) once they are
# older than msteams_secret_revoke_grace_minutes; the tests set the grace to 0 (no overlapping run).
CLEANUP = {"msteams_secret_revoke_grace_minutes": 0}


def expect_cleanup(world, hosts=None):
    """The last check of a test: no replaced secret left valid."""
    left = {h: [c["keyId"] for c in fm.leftover_secrets(world, h)] for h in hosts or world.hosts}
    left = {h: ids for h, ids in left.items() if ids}
    assert not left, f"replaced secrets left valid after the rerun: {left}"


def graph_call_named(host, text):
    return bool(fm.GRAPH_CALL.search(text))


def statuses(record):
    return {h: r["status"] for h, r in fm.report_rows(record).items()}


@pytest.fixture
def world(graph_emulator, tmp_path):
    """1 tenant x 2 hosts: a canary batch (ucs-c1), then the rest (ucs-c2)."""
    return fm.make_world(graph_emulator, tmp_path / "world")


@pytest.fixture
def one_host(graph_emulator, tmp_path):
    """1 tenant x 1 host, for rows a second host adds nothing to."""
    return fm.make_world(graph_emulator, tmp_path / "world", tenants=fm.ONE_HOST)


def due_world(world, days=fm.DUE):
    """Onboarded out of band (no playbook run), every host's secret inside the rotation window."""
    onboarded_world(world, days=days)
    return world


# -- transient Graph faults -----------------------------------------------------------------------


FAULTS = {
    # 30 % of Graph requests answer 503, and surely the first one: a rotation reads the app in one
    # request and makes only a handful in all, so a share alone may miss every one of them.
    "graph_503_30pct": lambda em: em.faults.server_errors(share=0.3, burst=1, status=503),
    # One dropped connection every 2 s, Graph and token requests alike.
    "drop_every_2s": lambda em: em.faults.drop_connections(every=2.0, kinds=("graph", "token")),
}
FAULT_SEEN = {"graph_503_30pct": ("error", "graph"), "drop_every_2s": ("drop", None)}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("playbook", ["onboard", "rotate_secret"])
def test_transient_graph_faults_are_survived(graph_emulator, tmp_path, fault, playbook):
    # onboard: two hosts (the app's leader and a host that waits for it); rotate: one is enough.
    world = fm.make_world(graph_emulator, tmp_path / "world", tenants=fm.ONE_TENANT if playbook == "onboard" else fm.ONE_HOST)
    if playbook == "rotate_secret":
        due_world(world)
    before = {h: fm.key_ids(world, h) for h in world.hosts} if playbook == "rotate_secret" else {}
    FAULTS[fault](world.emulator)
    rec = world.run(playbook)
    seen = fm.faulted(world.emulator, *FAULT_SEEN[fault])
    fm.fault_over(world.emulator)
    fm.assert_failures_explained(rec, graph_call_named)
    assert seen, f"the fault {fault} never fired"
    assert rec.rc == 0, rec.result
    expected = "rotated" if playbook == "rotate_secret" else "consent_pending"
    assert set(statuses(rec).values()) == {expected}, statuses(rec)
    fm.assert_converged(world)
    for host, old in before.items():
        assert not set(old) & set(fm.key_ids(world, host)), f"{host}: the replaced secret is still valid"


@pytest.mark.parametrize("case", ["rotate_and_converged_rotate", "onboard_rerun"])
def test_token_endpoint_down_for_30s(graph_emulator, tmp_path, case):
    """Token endpoint 503 for 30 s: within max_retry_wait (120 s), so the run must wait it out.

    rotate: ucs-c1 is due, ucs-c2 is not; the outage begins at ucs-c1's addPassword, so the new
    secret's verification and ucs-c2's check of its deployed secret (the converged rotate) meet it.
    onboard rerun: an onboarded world, the outage from the first token request on.
    """
    world = fm.make_world(graph_emulator, tmp_path / "world", tenants=fm.ONE_TENANT if case.startswith("rotate") else fm.ONE_HOST)
    outage = 30

    def down():
        world.emulator.faults.server_errors(share=1.0, status=503, kinds=("token",), seconds=outage)

    if case == "rotate_and_converged_rotate":
        onboarded_world(world, days={"ucs-c1": fm.DUE, "ucs-c2": fm.VALIDITY})
        before = {h: fm.key_ids(world, h) for h in world.hosts}
        watch = fm.start_when(fm.graph_seen(world.emulator, "POST", "/addPassword"), down)
        rec = world.run("rotate_secret", watch=watch)
        assert watch.started, "no addPassword was seen"
        expected = {"ucs-c1": "rotated", "ucs-c2": "kept"}
    else:
        onboarded_world(world)
        before = {h: fm.key_ids(world, h) for h in world.hosts}
        down()
        rec = world.run("onboard")
        expected = dict.fromkeys(world.hosts, "consent_pending")
    assert fm.faulted(world.emulator, "error", "token"), "the outage never hit a token request"
    fm.fault_over(world.emulator)
    fm.assert_failures_explained(rec, graph_call_named)
    assert rec.rc == 0, rec.result
    assert statuses(rec) == expected
    fm.assert_converged(world)
    for host, status in expected.items():
        now = fm.key_ids(world, host)
        assert (now == before[host]) is (status != "rotated"), f"{host}: secrets {before[host]} -> {now}"


def test_a_429_storm_of_30s_is_waited_out(one_host):
    world = one_host
    """No attempt cap: 30 s of 429 with Retry-After: 1 is ~30 retries, well inside max_retry_wait."""
    world.emulator.faults.throttle(share=1.0, retry_after=1, seconds=30)
    rec = world.run("onboard")
    storm = fm.faulted(world.emulator, "throttle", "graph")
    fm.fault_over(world.emulator)
    fm.assert_failures_explained(rec, graph_call_named)
    assert rec.rc == 0, rec.result
    assert len(storm) >= 20, f"only {len(storm)} throttled requests: the storm did not last"
    assert set(statuses(rec).values()) == {"consent_pending"}
    fm.assert_converged(world)


@pytest.mark.parametrize("world_tenants", [fm.TWO_TENANTS], ids=["2_tenants"])
def test_a_429_storm_beyond_max_retry_wait_fails_clearly_and_a_rerun_converges(graph_emulator, tmp_path, world_tenants):
    world = fm.make_world(graph_emulator, tmp_path / "world", tenants=world_tenants)
    due_world(world)
    budget = 20
    world.emulator.faults.throttle(share=1.0, retry_after=1)  # until cleared: longer than any budget
    started = time.monotonic()
    # Both hosts in one batch, so each meets the storm itself (a failed canary would halt the rest: by design).
    rec = world.run("rotate_secret", extra_vars={"msteams_graph_max_retry_wait": budget, "msteams_serial": 2})
    took = time.monotonic() - started
    fm.fault_over(world.emulator)

    assert rec.rc == 2, rec.result
    failed = fm.assert_failures_explained(rec, graph_call_named)
    assert failed == sorted(world.hosts), "every host meets the storm (the app lookup of each tenant)"
    for host in failed:
        reason = fm.report_rows(rec)[host]["reason"]
        # One sentence: which call, how long it waited (within the budget), and that a rerun is safe.
        waited = [float(s) for s in re.findall(r"after waiting (\d+(?:\.\d+)?) s", reason)]
        assert waited and budget - 2 <= waited[0] <= budget + 1, reason
        assert "run again" in reason, reason
    assert took < 4 * budget + 60, f"the run took {took:.0f} s with max_retry_wait={budget}"
    for host in world.hosts:
        assert fm.leftover_secrets(world, host) == [], f"{host}: the failed run left a secret behind"
        fm.assert_host_works(world, host)  # untouched: the old secret still works

    again = world.run("rotate_secret")
    assert again.rc == 0, again.result
    assert set(statuses(again).values()) == {"rotated"}
    fm.assert_converged(world)


def test_replication_lag_of_40s_after_the_app_is_created(one_host):
    world = one_host
    # Every object created from now on is missing from reads by key, lists and filters for 40 s,
    # and its service principal cannot be created (NoBackingApplicationObject) meanwhile.
    world.emulator.faults.replication_lag(seconds=40, key_reads=True)
    rec = world.run("onboard")
    fm.assert_failures_explained(rec, graph_call_named)
    assert rec.rc == 0, rec.result
    assert set(statuses(rec).values()) == {"consent_pending"}
    fm.assert_converged(world)


# -- the host side ---------------------------------------------------------------------------------


def lost_after_the_write(world, lost):
    """rotate_secret with ``lost`` unreachable right after its msteams.cfg was written (its service stopped)."""
    due_world(world)
    old_secret = world.fleet[lost].msteams_cfg()["u8sClientSecret"]
    world.fleet[lost].set_fault(unreachable_after="file_write:msteams.cfg")
    rec = world.run("rotate_secret")
    # 2, not ansible-playbook's 4 for an unreachable host: the role keeps a lost host in the play
    # and fails it with the step that lost it, so the summary still runs and names it.
    assert rec.rc == 2, rec.result
    assert world.fleet[lost].service_state() == "stopped", "the fault hit between the write and the start"
    assert world.fleet[lost].msteams_cfg()["u8sClientSecret"] != old_secret, "the new secret is written"
    world.fleet[lost].clear_faults()
    return rec


def test_a_host_lost_after_the_file_write_is_reported(graph_emulator, tmp_path):
    """Before: every host of its batch gone, ansible-playbook ended the playbook (no summary, no report, no later batch)."""
    # Batches [ucs-c1] (the canary), [ucs-c2], [ucs-c3]: the lost host is alone in its batch.
    world = fm.make_world(graph_emulator, tmp_path / "world", tenants={"contoso": ["ucs-c1", "ucs-c2", "ucs-c3"]})
    lost = "ucs-c2"
    rec = lost_after_the_write(world, lost)
    failed = fm.assert_failures_explained(rec, lambda host, text: "unreachable" in text or "stopped answering" in text)
    assert failed == [lost]
    rows = fm.report_rows(rec)
    assert set(rows) == set(world.hosts), "every host has a row in the report"
    assert rows["ucs-c1"]["status"] == "rotated"
    # Its batch failed as a whole, so the rollout halts (by design): the later hosts are reported, untouched.
    later = [h for h in world.hosts if h not in ("ucs-c1", lost)]
    assert later and all(rows[h]["status"] == "not_attempted" for h in later), rows
    fm.assert_converged(world, ["ucs-c1"])


@pytest.mark.parametrize(
    "rerun",
    ["rotate_secret", "onboard"],
)
def test_a_host_lost_after_the_file_write_runs_again_after_a_rerun(one_host, rerun):
    world = one_host
    lost_after_the_write(world, "ucs-c1")
    again = world.run(rerun, extra_vars=CLEANUP)
    assert again.rc == 0, again.result
    fm.assert_failures_explained(again, graph_call_named)
    fm.assert_host_works(world, "ucs-c1")
    expect_cleanup(world)


@pytest.mark.parametrize(
    ("when", "rerun"),
    [
        ("after_addPassword", "rotate_secret"),
        ("after_the_file_write", "rotate_secret"),
        ("after_the_file_write", "onboard"),
    ],
)
def test_a_killed_run_then_a_rerun_converges(one_host, when, rerun):
    world = one_host
    due_world(world)
    before = {h: fm.key_ids(world, h) for h in world.hosts}
    host = "ucs-c1"
    old_secret = world.fleet[host].msteams_cfg()["u8sClientSecret"]
    if when == "after_addPassword":
        cue = fm.graph_seen(world.emulator, "POST", "/addPassword")
    else:
        # A fixed window between the write and the start, so the kill lands there every time.
        world.fleet[host].set_fault(pause_after="file_write:msteams.cfg", pause_seconds=60)

        def cue():
            return any(o["op"] == "file_write" and o["path"].endswith("\\msteams.cfg") for o in world.fleet[host].ops())

    watch = fm.kill_when(cue)
    killed = world.run("rotate_secret", watch=watch)
    assert watch.killed, f"the run ended before the cue: {killed.result!r}"
    assert killed.rc == -9
    if when == "after_addPassword":
        assert world.fleet[host].service_state() == "running"
        assert len(fm.key_ids(world, host)) == 2, "the new secret exists, not deployed"
        assert world.fleet[host].msteams_cfg()["u8sClientSecret"] == old_secret
    else:
        assert world.fleet[host].service_state() == "stopped", "killed between the write and the start"
        assert world.fleet[host].msteams_cfg()["u8sClientSecret"] != old_secret, "the new secret is written"
    world.fleet[host].clear_faults()

    again = world.run(rerun, extra_vars=CLEANUP)
    assert again.rc == 0, again.result
    fm.assert_failures_explained(again, graph_call_named)
    fm.assert_host_works(world, host)
    # Killed before the deploy, the host is still due; killed after the write, it runs the new secret already.
    expected = {"rotate_secret": "rotated" if when == "after_addPassword" else "kept", "onboard": "consent_pending"}[rerun]
    assert statuses(again) == {host: expected}
    expect_cleanup(world)
    assert not set(before[host]) & set(fm.key_ids(world, host)), "the secret replaced before the kill is still valid"


def test_a_failing_service_is_rolled_back_on_its_old_secret(graph_emulator, tmp_path):
    """ucs-c1's start with the new file fails (the rollback's start works); ucs-c2's stop hangs past ucserver_service_timeout."""
    steps = {"ucs-c1": "Start the UCServer service", "ucs-c2": "did not stop within 3 seconds (ucserver_service_timeout)"}
    world = fm.make_world(graph_emulator, tmp_path / "world", host_specs={"ucs-c2": {"vars": {"ucserver_service_timeout": 3}}})
    due_world(world)
    old = {h: (world.fleet[h].msteams_cfg()["u8sClientSecret"], fm.key_ids(world, h)) for h in world.hosts}
    world.fleet["ucs-c1"].set_fault(start_fails=1)
    world.fleet["ucs-c2"].set_fault(stop_hang_seconds=60)
    # One batch, so the second host is tried although the first fails (a failed canary halts the rollout).
    rec = world.run("rotate_secret", extra_vars={"msteams_serial": 2})
    failed = fm.assert_failures_explained(rec, lambda host, text: steps[host] in text)
    assert failed == world.hosts
    for host, (secret, keys) in old.items():
        row = fm.report_rows(rec)[host]
        assert row["secret_kept_key_ids"] == keys, row
        # Out of band: the host runs its old secret, which is still the app's only one for it.
        assert world.fleet[host].msteams_cfg()["u8sClientSecret"] == secret
        assert fm.key_ids(world, host) == keys, f"{host}: the secret made for it is withdrawn"
    assert "service_start_failed" in world.fleet["ucs-c1"].op_names() and "service_stop_hang" in world.fleet["ucs-c2"].op_names()
    fm.assert_converged(world)


# -- Graph state changed behind the collection's back ---------------------------------------------------


def test_clock_past_every_expiry_rotate_makes_new_secrets(one_host):
    world = one_host
    onboarded_world(world)
    world.emulator.clock.advance(days=fm.VALIDITY + 1)
    for host in world.hosts:
        assert fm.token_answer(world, host) == (401, [7000222]), "every deployed secret has expired"
    rec = world.run("rotate_secret")
    fm.assert_failures_explained(rec, graph_call_named)
    assert rec.rc == 0, rec.result
    assert set(statuses(rec).values()) == {"rotated"}
    fm.assert_converged(world)
    now = world.emulator.clock.now()
    for host in world.hosts:
        (secret,) = world.host_secrets(host)
        end = datetime.datetime.fromisoformat(secret["endDateTime"].replace("Z", "+00:00"))
        assert end > now + datetime.timedelta(days=30), f"{host}: the new secret ends {end}"


def test_a_hand_edited_msteams_cfg_keeps_its_keys_on_rotate(one_host):
    world = one_host
    due_world(world)
    host = "ucs-c1"
    sim = world.fleet[host]
    edited = {
        **sim.msteams_cfg(),
        "bEnabled": 1,
        "u8sTokenCache": "AQAAANCMnd8BFdERjHoAwE/Cl+sBAAAA-line-1\nAQAAANCMnd8BFdERjHoAwE/Cl+sBAAAA-line-2",
        "zHandEditedKey": "kept by the administrator",
    }
    sim.write_cfg(edited)  # the running service holds what it read: the file as edited
    rec = world.run("rotate_secret", diff=True)
    assert rec.rc == 0, rec.result
    after = sim.msteams_cfg()
    assert after["u8sClientSecret"] != edited["u8sClientSecret"]
    assert {k: v for k, v in after.items() if k != "u8sClientSecret"} == {k: v for k, v in edited.items() if k != "u8sClientSecret"}
    assert set(VENDOR_DEFAULTS) <= set(after)
    # The diff (the plan task's, secret masked) shows the secret line changing, nothing else.
    (plan,) = [
        res
        for play in rec.result.report["plays"]
        for task in play["tasks"]
        if task["task"]["name"].endswith("Read the host and decide the wanted msteams.cfg and what to do on it")
        for h, res in task["hosts"].items()
        if h == host and res.get("diff")
    ]
    diffs = plan["diff"] if isinstance(plan["diff"], list) else [plan["diff"]]
    diffs = [d for d in diffs if "access rules" not in (d.get("before_header"), d.get("after_header"))]
    assert len(diffs) == 1, diffs
    changed = []
    for diff in diffs:
        before_lines, after_lines = str(diff.get("before", "")).splitlines(), str(diff.get("after", "")).splitlines()
        assert len(before_lines) == len(after_lines), diff
        changed += [(b, a) for b, a in zip(before_lines, after_lines) if b != a]
    assert len(changed) == 1 and all("u8sClientSecret" in side for side in changed[0]), changed
    assert edited["u8sClientSecret"] not in rec.result.output and after["u8sClientSecret"] not in rec.result.output
    fm.assert_converged(world)


def test_a_secret_revoked_in_the_portal_is_noticed_and_replaced(one_host):
    world = one_host
    onboarded_world(world)
    host = "ucs-c1"
    tenant = world.tenant_of(host)
    (revoked,) = world.host_secrets(host)
    graph_call(world, tenant, "POST", f"/applications/{world.app(tenant)['id']}/removePassword", {"keyId": revoked["keyId"]})
    assert fm.token_answer(world, host)[0] == 401

    status = world.run("status")
    assert status.rc != 0, status.result
    rows = fm.report_rows(status)
    assert rows[host]["status"] == "broken", rows[host]

    rec = world.run("rotate_secret")
    fm.assert_failures_explained(rec, graph_call_named)
    assert rec.rc == 0, rec.result
    assert statuses(rec) == {host: "rotated"}
    assert revoked["keyId"] not in fm.key_ids(world, host)
    fm.assert_converged(world)
