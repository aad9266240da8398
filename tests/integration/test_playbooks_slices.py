"""A fleet split across concurrent controllers: onboard and rotate_secret as slices (docs/scheduling.md).

Each slice is its own ansible-playbook process, started at the same time, with the hosts AWX job
slicing would give it (tests/benchmarks/slices.py: names sorted, every N-th). What must hold,
from the emulator's and the hosts' own state: never a second app registration, never a secret
of another slice's host revoked, every host converged (service running, its deployed secret
gets a token, exactly one secret named for it).
"""

from __future__ import annotations

import pytest

from tests.benchmarks.slices import awx_slices, converged_problems, limit_slices
from tests.demo import World
from tests.integration.test_playbooks import onboarded_world

pytestmark = pytest.mark.slow

TENANTS = {"contoso": ["ucs-c1", "ucs-c2", "ucs-c3", "ucs-c4"]}


def test_limit_slices_onboard_and_rotate_concurrently(graph_emulator, tmp_path):
    world = World(graph_emulator, tmp_path / "world", tenants=TENANTS)
    assert world.clock_visible
    slices = limit_slices(world.hosts, 2)
    assert [s["hosts"] for s in slices] == [["ucs-c1", "ucs-c3"], ["ucs-c2", "ucs-c4"]]

    # Both slices find no app and make it at the same time: the upsert by uniqueName keeps it one.
    onboard = world.run_slices("onboard", slices)
    assert onboard.rc == 0, [s["result"] for s in onboard.slices]
    assert converged_problems(world) == []
    assert onboard.restarts == len(world.hosts)
    statuses = {row["host"]: row["status"] for s in onboard.slices for row in (s["report"] or {}).get("hosts", [])}
    assert set(statuses) == set(world.hosts), statuses

    # Every secret due; each slice also prunes orphans: under --limit the whole inventory is
    # visible, so the other slice's hosts are no orphans.
    world.emulator.clock.advance(days=151)
    before = {h: [c["keyId"] for c in world.host_secrets(h)] for h in world.hosts}
    rotate = world.run_slices("rotate_secret", slices, extra_vars={"msteams_prune": True, "msteams_serial": 2})
    assert rotate.rc == 0, [s["result"] for s in rotate.slices]
    assert converged_problems(world, before) == []
    assert rotate.restarts == len(world.hosts)
    assert rotate.graph_writes_ok >= 2 * len(world.hosts)  # one new and one revoked secret per host


def test_awx_slices_rotate_with_prune_keeps_other_slices_secrets(graph_emulator, tmp_path):
    world = onboarded_world(World(graph_emulator, tmp_path / "world", tenants={"contoso": ["ucs-c1", "ucs-c2"]}))
    slices = awx_slices(world.fleet.inventory, 2, tmp_path / "slices")
    assert [s["hosts"] for s in slices] == [["ucs-c1"], ["ucs-c2"]]
    before = {h: sorted(c["keyId"] for c in world.host_secrets(h)) for h in world.hosts}
    # AWX runs each slice as a node of a workflow and adds its workflow variables (awx_meta_vars
    # in AWX's models/unified_jobs.py); slices may run one after the other (capacity). Nothing is due.
    awx_vars = {"awx_job_id": 41, "awx_workflow_job_id": 40, "awx_workflow_job_name": "rotate", "msteams_prune": True}
    for spec in slices:
        run = world.run_slices("rotate_secret", [spec], extra_vars=awx_vars)
        assert run.rc != 0, "prune inside an AWX workflow must refuse, not take other slices' secrets for orphans"
        assert "msteams_prune_inventory_complete" in run.slices[0]["result"].output
    # Nothing was revoked: each host keeps exactly the secrets it had, and they work.
    assert {h: sorted(c["keyId"] for c in world.host_secrets(h)) for h in world.hosts} == before
    assert converged_problems(world) == []


def test_limit_by_tenant_group_fails_the_run_when_a_host_failed(graph_emulator, tmp_path):
    world = onboarded_world(World(graph_emulator, tmp_path / "world", tenants={"contoso": ["ucs-c1", "ucs-c2"]}))
    world.emulator.clock.advance(days=151)
    world.fleet["ucs-c2"].set_fault(start_fails=True)
    # As docs/inventory.md shows a run for one tenant: --limit tenant_contoso.
    rec = world.run("rotate_secret", extra_vars={"msteams_serial": 2}, limit="tenant_contoso")
    assert "service_start_failed" in world.fleet["ucs-c2"].op_names()
    assert rec.rc != 0, "a failed host must fail the run"
    # The summary ran on the limited hosts (delegated to the controller) and names the failed host.
    rows = {row["host"]: row for row in (rec.report or {}).get("hosts", [])}
    assert rows["ucs-c2"]["status"] == "failed", rows
    assert rows["ucs-c2"]["reason"], rows
