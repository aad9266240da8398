"""The three playbooks end to end: Graph emulator (2 tenants) + simulated UCServer hosts (2 each).

One world per module, walked through the life of a fleet in order, as an administrator would:
onboard from nothing, converged rerun, rotation outside and inside the window (with a host
failing to start), fixed and rerun, status for healthy, broken and expiring hosts. Each step
asserts the out-of-band truth (the emulator's objects, the hosts' files and operation logs),
not only what the playbook says, and every run's output is scanned for secrets.
"""

from __future__ import annotations

import contextlib
import json

import pytest

from tests.demo import ROTATION_ROLES, World
from tests.emulator.client import EmulatorClient

pytestmark = pytest.mark.slow

TENANTS = {"contoso": ["ucs-c1", "ucs-c2"], "fabrikam": ["ucs-f1", "ucs-f2"]}
VALIDITY = 180
WINDOW = 30


@pytest.fixture(scope="module")
def world(graph_emulator_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("playbooks")
    emulator = EmulatorClient(graph_emulator_server.url, graph_emulator_server.ca_path, workdir=root / "emulator")
    emulator.reset()
    w = World(emulator, root / "world", tenants=TENANTS)
    # The modules count days left on Graph's clock (the Date header), which the emulator's
    # settable clock drives: these tests move the clock for real.
    assert w.clock_visible
    yield w
    emulator.reset()


def deployed_secret(world, host):
    return world.fleet[host].msteams_cfg()["u8sClientSecret"]


def known_secrets(world):
    """Every secret value this world ever had: automation identities and every deployed one."""
    values = {i["client_secret"] for i in [*world.identities.values(), *world.retired_identities]}
    for host in world.hosts:
        cfg = world.fleet[host].msteams_cfg()
        if isinstance(cfg, dict) and cfg.get("u8sClientSecret"):
            values.add(cfg["u8sClientSecret"])
        for backup in world.fleet[host].backups():
            with contextlib.suppress(ValueError):
                values.add(json.loads(backup.read_text(encoding="utf-8-sig")).get("u8sClientSecret") or "")
    return {v for v in values if v and len(v) >= 8}


def assert_no_secret_in_output(world):
    secrets = known_secrets(world)
    assert secrets, "the scan must know some secrets"
    for record in world.runs:
        for secret in secrets:
            assert secret not in record.result.output, f"a secret appeared in the output of {record.name}"
        assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" not in json.dumps([world.fleet[h].msteams_cfg() for h in world.hosts])


def summary_rows(world, name):
    return {row["host"]: row for row in world.report(f"{name}.json")["hosts"]}


def task_index(record, task_name, host, changed=None):
    """Position of the first task with this name that ran on ``host`` in the run (json callback order)."""
    index = 0
    for play in record.result.report["plays"]:
        for task in play["tasks"]:
            index += 1
            res = task["hosts"].get(host)
            name = task["task"]["name"]  # role tasks come as "<role> : <name>"
            ran = (name == task_name or name.endswith(" : " + task_name)) and res is not None and not res.get("skipped")
            if ran and (changed is None or bool(res.get("changed")) == changed):
                return index
    return None


# -- onboard ------------------------------------------------------------------------------------------


def test_onboard_from_nothing(world):
    rec = world.run("onboard")
    assert rec.rc == 0, rec.result

    for tenant, hosts in TENANTS.items():
        tid = world.tenant_ids[tenant]
        app = world.app(tenant)
        state = world.emulator.state(tid)
        # One app per tenant, admin consent: a service principal, the delegated grant for all
        # principals, the app role assignment of Presence.ReadWrite.All.
        sp = [s for s in state["servicePrincipals"] if s["appId"] == app["appId"]]
        assert len(sp) == 1
        grants = [g for g in state["oauth2PermissionGrants"] if g["clientId"] == sp[0]["id"] and g["consentType"] == "AllPrincipals"]
        assert len(grants) == 1 and set(grants[0]["scope"].split()) == {"Presence.Read", "Presence.Read.All", "User.Read"}
        assignments = [a for a in state["appRoleAssignments"] if a["principalId"] == sp[0]["id"]]
        assert len(assignments) == 1
        for host in hosts:
            secrets = world.host_secrets(host)
            assert len(secrets) == 1, f"{host}: exactly one secret of its own"
            cfg = world.fleet[host].msteams_cfg()
            assert cfg["u8sTenant"] == tid
            assert cfg["u8sClientID"] == app["appId"]
            assert cfg["u8sClientSecret"][:3] == secrets[0]["hint"]
            assert cfg["bEnabled"] == 0 and cfg["u8sTokenCache"] == ""
            assert world.fleet[host].service_state() == "running"

    rows = summary_rows(world, "onboard")
    assert {h: r["status"] for h, r in rows.items()} == dict.fromkeys(world.hosts, "consent_pending")
    assert "vendor step B8" in rec.result.output
    assert_no_secret_in_output(world)


def test_onboard_rerun_is_converged(world):
    before = {h: deployed_secret(world, h) for h in world.hosts}
    rec = world.run("onboard")
    assert rec.rc == 0, rec.result
    assert rec.graph_writes == 0, [r for r in world.emulator.requests() if r["method"] != "GET"]
    for host in world.hosts:
        assert rec.result.changed(host) == 0, f"{host} changed on a converged rerun"
        assert not {"service_stop", "service_start", "file_write"} & set(world.fleet[host].op_names()), host
        assert deployed_secret(world, host) == before[host]
        assert len(world.host_secrets(host)) == 1
    assert_no_secret_in_output(world)


def test_onboard_check_mode_changes_nothing(world):
    # -vvvv with the default callback: what a person debugging sees must hold no secret either.
    rec = world.run("onboard", check=True, diff=True, verbosity=4, callback="ansible.builtin.default")
    assert rec.rc == 0, rec.result
    assert rec.graph_writes == 0
    for host in world.hosts:
        assert not {"service_stop", "file_write"} & set(world.fleet[host].op_names())
    assert_no_secret_in_output(world)


# -- rotate_secret -------------------------------------------------------------------------------------


def test_rotate_outside_the_window_does_nothing(world):
    before = {h: deployed_secret(world, h) for h in world.hosts}
    rec = world.run("rotate_secret")
    assert rec.rc == 0, rec.result
    assert rec.graph_writes == 0
    rows = summary_rows(world, "rotate_secret")
    assert {h: r["status"] for h, r in rows.items()} == dict.fromkeys(world.hosts, "kept")
    for host in world.hosts:
        assert deployed_secret(world, host) == before[host]
        assert not {"service_stop", "service_start", "file_write"} & set(world.fleet[host].op_names())


def test_rotate_in_the_window_with_a_host_failing_to_start(world):
    world.shift = world.advance(VALIDITY - WINDOW + 1)
    failing = "ucs-c2"
    old_keys = {h: world.host_secrets(h)[0]["keyId"] for h in world.hosts}
    old_values = {h: deployed_secret(world, h) for h in world.hosts}
    world.fleet[failing].set_fault(start_fails=True)

    # Batches of two: the failing host shares its batch with a healthy one, so the rollout goes on.
    rec = world.run("rotate_secret", extra_vars={"msteams_serial": 2, **world.shift})
    assert rec.rc != 0, "a failed host must fail the run"

    rows = summary_rows(world, "rotate_secret")
    assert rows[failing]["status"] == "failed"
    assert "Start the UCServer service" in rows[failing]["reason"] or "start" in rows[failing]["reason"].lower()
    # The failing host keeps its old, still valid secret in Graph and on disk; the secret made
    # for it in this run is withdrawn, so a rerun does not pile up secrets.
    assert deployed_secret(world, failing) == old_values[failing]
    assert [c["keyId"] for c in world.host_secrets(failing)] == [old_keys[failing]]

    for host in (h for h in world.hosts if h != failing):
        assert rows[host]["status"] == "rotated", rows[host]
        secrets = world.host_secrets(host)
        assert len(secrets) == 1 and secrets[0]["keyId"] != old_keys[host], "old secret revoked, new one in place"
        assert deployed_secret(world, host) != old_values[host]
        assert deployed_secret(world, host)[:3] == secrets[0]["hint"]
        assert world.fleet[host].service_state() == "running"
        # Revoked only after this host's service started with the new secret.
        started = task_index(rec, "Start the UCServer service", host, changed=True)
        revoked = task_index(rec, "Revoke the secrets this host used before, now that it runs the new one", host, changed=True)
        assert started is not None and revoked is not None and started < revoked
    assert_no_secret_in_output(world)


def test_rotate_after_the_fix_converges(world):
    # From here on each tenant uses a rotation identity holding only Application.ReadWrite.OwnedBy
    # as an owner of the app: what docs/permissions.md says a scheduled rotation needs.
    for tenant in TENANTS:
        app = world.app(tenant)
        rotation = world.emulator.add_automation_identity(
            world.tenant_ids[tenant], roles=ROTATION_ROLES, owner_of=[app["id"]], display_name="automation rotation"
        )
        world.use_identity(tenant, rotation)
    failing = "ucs-c2"
    world.fleet[failing].clear_faults()
    others_before = {h: deployed_secret(world, h) for h in world.hosts if h != failing}
    # -vvvv while a new secret is created, verified and deployed: the secret scan below covers it.
    rec = world.run("rotate_secret", extra_vars=world.shift, verbosity=4, callback="ansible.builtin.default")
    assert rec.rc == 0, rec.result
    rows = summary_rows(world, "rotate_secret")
    assert rows[failing]["status"] == "rotated"
    assert len(world.host_secrets(failing)) == 1
    for host, value in others_before.items():
        assert rows[host]["status"] == "kept"
        assert deployed_secret(world, host) == value
        assert not {"service_stop", "file_write"} & set(world.fleet[host].op_names())

    again = world.run("rotate_secret", extra_vars=world.shift)
    assert again.rc == 0, again.result
    assert again.graph_writes == 0
    assert all(again.result.changed(h) == 0 for h in world.hosts)
    assert_no_secret_in_output(world)


# -- status --------------------------------------------------------------------------------------------


def status_rows(world):
    return {row["host"]: row for row in world.report("status.json")["hosts"]}


def test_status_healthy(world):
    rec = world.run("status", extra_vars=world.shift)
    assert rec.rc == 0, rec.result
    assert rec.graph_writes == 0
    rows = status_rows(world)
    for host in world.hosts:
        row = rows[host]
        assert row["status"] == "consent_pending", row
        assert row["client_id"] == world.app(world.tenant_of(host))["appId"]
        assert row["secret_key_id"] == world.host_secrets(host)[0]["keyId"]
        assert int(row["secret_days_left"]) > WINDOW
        assert row["service_state"] == "running"
    csv = (world.report_dir / "status.csv").read_text().splitlines()
    assert csv[0].startswith("host,tenant,") and len(csv) == 1 + len(world.hosts)
    assert "HOST" in rec.result.output and "DAYS LEFT" in rec.result.output
    for host in world.hosts:
        assert not {"service_stop", "file_write"} & set(world.fleet[host].op_names()), "status is read-only"


def test_status_broken_host(world):
    broken = "ucs-f1"
    cfg = world.fleet[broken].msteams_cfg()
    good = dict(cfg)
    world.fleet[broken].write_cfg({**cfg, "u8sClientSecret": "zzz-not-a-secret-of-this-app"})
    try:
        rec = world.run("status", extra_vars=world.shift)
        assert rec.rc != 0
        rows = status_rows(world)
        assert rows[broken]["status"] == "broken"
        assert "not a secret of the app" in rows[broken]["reason"]
        assert all(rows[h]["status"] == "consent_pending" for h in world.hosts if h != broken)
    finally:
        world.fleet[broken].write_cfg(good)


def test_status_expiring(world):
    world.shift = world.advance(VALIDITY - 10)
    rec = world.run("status", extra_vars=world.shift)
    assert rec.rc != 0
    rows = status_rows(world)
    assert {h: rows[h]["status"] for h in world.hosts} == dict.fromkeys(world.hosts, "expiring")
    assert "need attention" in rec.result.output
    assert_no_secret_in_output(world)
