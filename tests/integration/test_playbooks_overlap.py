"""Overlapping runs and interrupted revokes, end to end (docs/consent-and-secrets.md, "Overlapping runs").

Two rotate_secret runs of one tenant overlap (a cron overlap, or AWX's onboard and rotate templates
of one tenant), the second one started 0, 3, 6 or 12 s after the first, with every host due. Each
run revokes only what it replaced itself, never the secret a host runs, and leaves a secret
younger than msteams_secret_revoke_grace_minutes to a later run: at the end every host's service
runs, and the secret in its msteams.cfg (and in the running service) is a valid secret of the app
that gets a token. Once the clock is past the grace, a rerun leaves no replaced secret. A revoke
that failed (503 on every Graph request from the host's service start on) is done by the next run.
The truth is read out of band: the emulator's objects, a token request, the simulated hosts.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from ansible_collections.procall.msteams.plugins.module_utils._secrets import hint_of

from tests.demo import World
from tests.integration.test_playbooks import VALIDITY, WINDOW, deployed_secret, onboarded_world, summary_rows

pytestmark = pytest.mark.slow

TENANTS = {"contoso": ["ucs-o1", "ucs-o2"]}
SERVICE = "eucsrv"


@pytest.fixture
def world(graph_emulator, tmp_path):
    w = World(graph_emulator, tmp_path / "world", tenants=TENANTS)
    assert w.clock_visible
    onboarded_world(w)
    w.advance(VALIDITY - WINDOW + 1)  # every host is due
    return w


def start_run(world, label, playbook="rotate_secret", extra_vars=None):
    """A playbook run in the background (its own work and report folders); ``.join()`` waits, ``.result`` holds it."""
    report_dir = world.root / f"reports-{label}"
    report_dir.mkdir(exist_ok=True)
    box = {}

    def run():
        box["result"] = world.fleet.run(
            f"procall.msteams.{playbook}",
            workdir=world.root / f"run-{label}",
            extra_vars={"msteams_report_dir": str(report_dir), **(extra_vars or {})},
        )

    thread = threading.Thread(target=run, name=label)
    thread.start()
    thread.box = box
    return thread


def assert_every_host_runs_a_valid_secret(world):
    tenant = "contoso"
    tid = world.tenant_ids[tenant]
    app = world.app(tenant)
    for host in world.hosts:
        sim = world.fleet[host]
        assert sim.service_state() == "running", f"{host}: service {sim.service_state()}"
        value = deployed_secret(world, host)
        loaded = (sim.state()["services"][SERVICE].get("loaded_cfg") or {}).get("u8sClientSecret")
        assert loaded == value, f"{host}: the running service holds another secret than its file"
        hints = [c["hint"] for c in world.host_secrets(host)]
        assert hint_of(value) in hints, f"{host}: its secret is not a secret of the app (revoked?)"
        answer = world.emulator.token(tid, app["appId"], value)
        assert answer.status_code == 200, f"{host}: the token endpoint refuses its secret: {answer.text}"


def assert_no_replaced_secret(world):
    for host in world.hosts:
        secrets = world.host_secrets(host)
        assert [c["hint"] for c in secrets] == [hint_of(deployed_secret(world, host))], f"{host}: {len(secrets)} secrets left"


@pytest.mark.parametrize("delay", [0, 3, 6, 12])
def test_two_overlapping_rotations_leave_every_host_running_a_valid_secret(world, delay):
    first = start_run(world, "first")
    time.sleep(delay)
    second = start_run(world, "second")
    for run in (first, second):
        run.join(timeout=900)
        assert not run.is_alive(), f"{run.name} did not end"
    assert_every_host_runs_a_valid_secret(world)

    # A secret one run made and the other replaced is younger than the grace: left for a later
    # run, and a rerun inside the grace leaves it too (nothing of this world is older than 60 min).
    world.emulator.clock.advance(hours=2)
    rec = world.run("rotate_secret")
    assert rec.rc == 0, rec.result
    assert_every_host_runs_a_valid_secret(world)
    assert_no_replaced_secret(world)
    assert {r["status"] for r in summary_rows(world, "rotate_secret").values()} == {"kept"}
    again = world.run("rotate_secret")
    # Converged: no write, and no token request but the automation identity's own login (one per tenant).
    assert again.rc == 0 and again.graph_writes == 0 and again.token_requests <= len(TENANTS), again.result


def wait_for(predicate, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def started(sim):
    try:
        return "service_start" in sim.op_names()
    except ValueError:  # read while the simulator writes its state
        return False


def test_a_revoke_that_failed_is_done_by_the_next_run(world):
    host, other = world.hosts
    world.write_inventory({"contoso": {"msteams_graph_max_retry_wait": 10}})
    old = {h: world.host_secrets(h)[0]["keyId"] for h in world.hosts}
    # rotate_secret's first batch is one canary host (the first of the inventory). From its
    # service start on, Graph answers 503: its revoke fails after max_retry_wait, and so does the
    # other host's secret step.
    for sim in world.fleet:
        sim.reset_log()
    run = start_run(world, "faulted")
    assert wait_for(lambda: started(world.fleet[host]), 600), "the first host never started its service"
    world.emulator.faults.server_errors(share=1.0)
    run.join(timeout=900)
    world.emulator.faults.clear()
    result = run.box["result"]
    assert result.rc != 0, "the other host failed"
    summary = {r["host"]: r for r in json.loads((world.root / "reports-faulted" / "rotate_secret.json").read_text())["hosts"]}
    assert summary[other]["status"] == "failed"
    # The host runs its new secret: rotated, and the secret it replaced is still valid.
    assert summary[host]["status"] == "rotated", summary[host]
    assert summary[host]["reason"].startswith(f"revoking the replaced secret(s) {old[host]} failed"), summary[host]
    assert sorted(c["keyId"] for c in world.host_secrets(host)) == sorted([old[host], summary[host]["secret_key_id"]])
    assert world.fleet[host].service_state() == "running"

    # The next run (past the grace) revokes the leftover.
    world.write_inventory()
    world.emulator.clock.advance(hours=2)
    rec = world.run("rotate_secret")
    assert rec.rc == 0, rec.result
    rows = summary_rows(world, "rotate_secret")
    assert rows[host]["status"] == "kept" and rows[host]["revoked_key_ids"] == [old[host]], rows[host]
    assert rows[other]["status"] == "rotated"
    assert_every_host_runs_a_valid_secret(world)
    assert_no_replaced_secret(world)
