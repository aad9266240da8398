"""procall.msteams.decommission and rotate_secret's prune switch end to end (Graph emulator +
simulated UCServer hosts). Three playbook-level tests; the decisions are unit-tested in
tests/unit/plugins/module_utils/test_run_decommission.py. Each test asserts the out-of-band
truth: the emulator's state and key ids, the hosts' files, services and operation logs."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.procall.msteams.plugins.module_utils._msteams_cfg import VENDOR_DEFAULTS, render_cfg

from tests.demo import World
from tests.integration.test_playbooks import assert_no_secret_in_output, graph_call, onboarded_world, summary_rows, task_index

pytestmark = pytest.mark.slow

# ucs-c1: has a backup from before the own app (restored); ucs-c2: gone for good (never contacted);
# ucs-c3: no such backup (msteams.cfg removed); ucs-c4: not selected (untouched).
TENANTS = {"contoso": ["ucs-c1", "ucs-c2", "ucs-c3", "ucs-c4"]}
VENDOR_APP_ID = "00000000-0000-0000-0000-00000000e510"
PRE_ONBOARDING = dict(VENDOR_DEFAULTS, u8sTenant="", u8sClientID=VENDOR_APP_ID, u8sClientSecret="", bEnabled=1)


@pytest.fixture
def world(graph_emulator, tmp_path):
    specs = {"ucs-c2": {"vars": {"msteams_host_gone": True}}}
    return onboarded_world(World(graph_emulator, tmp_path / "world", tenants=TENANTS, host_specs=specs))


def key_ids(world, host):
    return sorted(c["keyId"] for c in world.host_secrets(host))


def make_gone(host):
    def cut(state):
        state["unreachable"] = True

    host._update(cut)


def host_files(world):
    """Every file on every simulated host's disk (bytes) and each service's and process's state."""
    snapshot = {}
    for host in world.fleet:
        disk = host.root / "disk"
        files = {str(p.relative_to(disk)): p.read_bytes() for p in sorted(disk.rglob("*")) if p.is_file()}
        state = host.state()
        services = {name: svc.get("state") for name, svc in state["services"].items()}
        snapshot[host.name] = {"files": files, "services": services, "processes": sorted(state["processes"])}
    return snapshot


def graph_state(world):
    return {tenant: world.emulator.state(tid) for tenant, tid in world.tenant_ids.items()}


def preview_rows(world):
    return {row["host"]: row for row in world.report("decommission-check.json")["hosts"]}


def test_decommission_check_mode_then_real_run_reachable_and_gone_hosts(world):
    fleet = world.fleet
    backup = fleet["ucs-c1"].cfg_file.parent / "msteams.cfg.20240101T000000Z.bak"
    backup.write_text(render_cfg(PRE_ONBOARDING), encoding="utf-8")
    make_gone(fleet["ucs-c2"])
    before = {h: key_ids(world, h) for h in world.hosts}
    assert all(before.values())
    untouched_cfg = fleet["ucs-c4"].msteams_cfg()

    # No selection: refused, naming the variable, before anything is read or changed.
    refused = world.run("decommission")
    assert refused.rc != 0
    assert "msteams_decommission_hosts" in refused.result.output
    assert refused.graph_writes == 0 and {h: key_ids(world, h) for h in world.hosts} == before

    selection = {"msteams_decommission_hosts": "ucs-c1,ucs-c2,ucs-c3"}
    graph_before, files_before = graph_state(world), host_files(world)
    check = world.run("decommission", check=True, diff=True, extra_vars=selection)
    assert check.rc == 0, check.result
    assert check.graph_writes == 0
    for host in world.hosts:
        assert not {"service_stop", "file_write", "file_delete"} & set(fleet[host].op_names()), host
    assert {h: key_ids(world, h) for h in world.hosts} == before
    assert graph_state(world) == graph_before and host_files(world) == files_before
    # The preview is written in check mode (decommission-check.json): what would be revoked and restored.
    rows = preview_rows(world)
    assert set(rows) == {"ucs-c1", "ucs-c2", "ucs-c3"}
    for host in ("ucs-c1", "ucs-c2", "ucs-c3"):
        assert rows[host]["check_mode"] is True and rows[host]["revoked_key_ids"] == [], rows[host]
        assert rows[host]["would_revoke_key_ids"] == before[host], rows[host]
    assert rows["ucs-c1"]["file_action"] == "restore" and rows["ucs-c1"]["restored_from"].endswith("msteams.cfg.20240101T000000Z.bak")
    assert rows["ucs-c3"]["file_action"] == "remove" and rows["ucs-c2"]["file_action"] == "not_contacted"
    assert not (world.report_dir / "decommission.json").exists()  # a preview is no record of a real run
    assert "REDACTED" in check.result.output  # the masked diff of msteams.cfg

    real = world.run("decommission", extra_vars=selection)
    assert real.rc == 0, real.result
    rows = summary_rows(world, "decommission")
    assert {h: r["status"] for h, r in rows.items()} == {"ucs-c1": "decommissioned", "ucs-c2": "gone_revoked", "ucs-c3": "decommissioned"}
    # Reachable hosts: off the own app, service running, secrets revoked only after the start.
    assert fleet["ucs-c1"].msteams_cfg()["u8sClientID"] == VENDOR_APP_ID
    assert fleet["ucs-c3"].msteams_cfg() is None
    for host in ("ucs-c1", "ucs-c3"):
        assert fleet[host].service_state() == "running", host
        assert key_ids(world, host) == [], host
        started = task_index(real, "Start the UCServer service", host)
        revoked = task_index(real, "Revoke this host's secrets", host, changed=True)
        assert started is not None and revoked is not None and started < revoked, host
    # The gone host: never contacted, its secret revoked all the same.
    assert fleet["ucs-c2"].state()["connection_execs"] == 0
    assert key_ids(world, "ucs-c2") == []
    # The host that was not selected keeps its secret and file; the app stays (no opt-in).
    assert key_ids(world, "ucs-c4") == before["ucs-c4"]
    assert fleet["ucs-c4"].msteams_cfg() == untouched_cfg
    assert world.app("contoso")
    assert_no_secret_in_output(world)


# ucs-f1 has no backup from before the own app (msteams.cfg removed); ucs-f2 is gone for good.
DELETE_TENANTS = {"fabrikam": ["ucs-f1", "ucs-f2"]}
DELETE_VARS = {"msteams_decommission_hosts": "ucs-f1,ucs-f2", "msteams_decommission_delete_app": True}


@pytest.fixture
def last_hosts(graph_emulator, tmp_path):
    specs = {"ucs-f2": {"vars": {"msteams_host_gone": True}}}
    return onboarded_world(World(graph_emulator, tmp_path / "world", tenants=DELETE_TENANTS, host_specs=specs))


def test_the_last_hosts_leave_and_the_app_registration_is_deleted_on_request(last_hosts):
    world = last_hosts
    fleet = world.fleet
    make_gone(fleet["ucs-f2"])
    tid = world.tenant_ids["fabrikam"]
    app = world.app("fabrikam")
    before = {h: key_ids(world, h) for h in world.hosts}
    assert all(before.values()) and sorted(c["keyId"] for c in app["passwordCredentials"]) == sorted(sum(before.values(), []))
    graph_before, files_before = graph_state(world), host_files(world)

    check = world.run("decommission", check=True, diff=True, extra_vars=DELETE_VARS)
    assert check.rc == 0, check.result
    # Check mode changes nothing: not in Entra ID, not on any host (files, services, processes).
    assert check.graph_writes == 0
    assert graph_state(world) == graph_before and host_files(world) == files_before
    rows = preview_rows(world)
    assert {h: r["would_revoke_key_ids"] for h, r in rows.items()} == before
    assert all(r["check_mode"] is True and r["revoked_key_ids"] == [] and r["app_deleted"] is False for r in rows.values())
    assert rows["ucs-f1"]["file_action"] == "remove" and rows["ucs-f2"]["file_action"] == "not_contacted"
    [leader] = [r for r in rows.values() if r["would_delete_app"]]
    assert "would be deleted (restorable for 30 days" in leader["reason"]

    real = world.run("decommission", extra_vars=DELETE_VARS)
    assert real.rc == 0, real.result
    # Out of band: the app registration and its service principal are gone from the tenant.
    # The emulator does not model deletedItems (restore); the summary says the app is restorable.
    state = world.emulator.state(tid)
    assert app["id"] not in {a["id"] for a in state["applications"]}
    assert app["appId"] not in {sp["appId"] for sp in state["servicePrincipals"]}
    assert any(r["method"] == "DELETE" and app["id"] in r["path"] and r["status"] == 204 for r in world.emulator.requests())
    rows = summary_rows(world, "decommission")
    assert {h: r["status"] for h, r in rows.items()} == {"ucs-f1": "decommissioned", "ucs-f2": "gone_revoked"}
    assert {h: r["revoked_key_ids"] for h, r in rows.items()} == before
    [leader] = [r for r in rows.values() if r["app_deleted"]]
    assert "is deleted (restorable for 30 days in the Entra admin center, Deleted applications)" in leader["reason"]
    assert "restorable for 30 days" in "\n".join(real.result.run_once_result("Print the summary")["msg"])
    # The reachable host runs without the own app; the gone one was never contacted.
    assert fleet["ucs-f1"].msteams_cfg() is None and fleet["ucs-f1"].service_state() == "running"
    assert fleet["ucs-f2"].state()["connection_execs"] == 0
    assert_no_secret_in_output(world)


def test_prune_revokes_only_orphans(world):
    app = world.app("contoso")
    end = (world.emulator.clock.now() + datetime.timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = f"/applications/{app['id']}/addPassword"
    orphan = graph_call(world, "contoso", "POST", path, {"passwordCredential": {"displayName": "procall-msteams: ucs-old", "endDateTime": end}})
    foreign = graph_call(world, "contoso", "POST", path, {"passwordCredential": {"displayName": "another tool", "endDateTime": end}})
    hosts_before = {h: key_ids(world, h) for h in world.hosts}

    check = world.run("rotate_secret", check=True, extra_vars={"msteams_prune": True})
    assert check.rc == 0, check.result
    assert check.graph_writes == 0
    found = [r for r in check.result.task_results("Find the secrets whose consumer is in no inventory host").values() if not r.get("skipped")]
    assert [r["key_ids"] for r in found] == [[orphan["keyId"]]]
    assert "would be revoked" in found[0]["msg"] and orphan["keyId"] in found[0]["msg"]
    would = [r for r in check.result.task_results("Revoke the orphaned secrets").values() if not r.get("skipped")]
    assert [r["revoked_key_ids"] for r in would] == [[orphan["keyId"]]]

    real = world.run("rotate_secret", extra_vars={"msteams_prune": True})
    assert real.rc == 0, real.result
    remaining = {c["keyId"] for c in world.app("contoso")["passwordCredentials"]}
    assert orphan["keyId"] not in remaining
    assert foreign["keyId"] in remaining
    assert {h: key_ids(world, h) for h in world.hosts} == hosts_before
    assert_no_secret_in_output(world)


def test_a_failed_withdraw_puts_the_own_app_file_back_and_keeps_the_secrets(graph_emulator, tmp_path):
    world = onboarded_world(World(graph_emulator, tmp_path / "world", tenants={"wingtip": ["ucs-w1"]}))
    host = world.fleet["ucs-w1"]
    own_app_cfg, before = host.msteams_cfg(), key_ids(world, "ucs-w1")
    host.set_fault(start_fails=1)  # the start after the restore fails once; the rescue's start works

    run = world.run("decommission", extra_vars={"msteams_decommission_hosts": "ucs-w1"})
    assert run.rc == 2, run.result
    [row] = summary_rows(world, "decommission").values()
    assert row["status"] == "failed", row
    reason = row["reason"]
    assert 'Taking the host off the own app failed at "Start the UCServer service"' in reason, reason
    assert "the own-app msteams.cfg was put back; the service eucsrv is running." in reason, reason
    # Out of band: the host runs the own app as before, and none of its secrets was revoked.
    assert host.msteams_cfg() == own_app_cfg and host.service_state() == "running"
    assert key_ids(world, "ucs-w1") == before
    assert "service_start_failed" in host.op_names()
    assert_no_secret_in_output(world)
