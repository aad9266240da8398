"""The three playbooks end to end: Graph emulator (2 tenants) + simulated UCServer hosts (2 each).

Every test builds its own world (fresh tenants in the emulator, fresh host folders), so the tests
pass in any order and on any xdist worker (``--dist load`` or ``--dist loadfile``). A test that
starts from an onboarded fleet gets it from ``onboarded_world``: the app registration, its admin
consent and one secret per host are made through the emulator's admin API and Graph itself, and
each host's msteams.cfg is written out of band, instead of an onboard run per test. The flows
that matter end to end (onboard from nothing, rotation with a failing host, status) still run the
playbooks unchanged. Each test asserts the out-of-band truth (the emulator's objects, the hosts'
files and operation logs), not only what the playbook says, and every run's output is scanned
for secrets.
"""

from __future__ import annotations

import contextlib
import datetime
import json

import pytest
from ansible_collections.procall.msteams.plugins.module_utils._msteams_cfg import VENDOR_DEFAULTS
from ansible_collections.procall.msteams.plugins.module_utils._permissions import (
    DEFAULT_APPLICATION,
    DEFAULT_DELEGATED,
    builtin_graph_sp,
    resolve_permissions,
)
from ansible_collections.procall.msteams.plugins.module_utils._secrets import secret_display_name

from tests.demo import ONBOARD_ROLES, ROTATION_ROLES, World

pytestmark = pytest.mark.slow

TENANTS = {"contoso": ["ucs-c1", "ucs-c2"], "fabrikam": ["ucs-f1", "ucs-f2"]}
VALIDITY = 180
WINDOW = 30
UNIQUE_NAME = "procall-msteams"


@pytest.fixture
def world(graph_emulator, tmp_path):
    w = World(graph_emulator, tmp_path / "world", tenants=TENANTS)
    # The modules count days left on Graph's clock (the Date header), which the emulator's
    # settable clock drives: these tests move the clock for real.
    assert w.clock_visible
    return w


def graph_token(world, tenant):
    identity = world.identities[tenant]
    answer = world.emulator.token(world.tenant_ids[tenant], identity["client_id"], identity["client_secret"])
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def graph_call(world, tenant, method, path, body):
    answer = world.emulator.graph(method, path, graph_token(world, tenant), json=body)
    assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
    return answer.json() if answer.content else None


def add_host_secret(world, host, days):
    """A new secret of the host's own (named as entra_app_secret names it), deployed to its msteams.cfg."""
    tenant = world.tenant_of(host)
    app = world.app(tenant)
    # Days left are rounded up (_secrets.days_left): a secret that reads `days` ends a little under `days` days from now.
    end = world.emulator.clock.now() + datetime.timedelta(days=days) - datetime.timedelta(hours=1)
    body = {"passwordCredential": {"displayName": secret_display_name(None, host), "endDateTime": end.strftime("%Y-%m-%dT%H:%M:%SZ")}}
    cred = graph_call(world, tenant, "POST", f"/applications/{app['id']}/addPassword", body)
    cfg = dict(VENDOR_DEFAULTS, u8sTenant=world.tenant_ids[tenant], u8sClientID=app["appId"], u8sClientSecret=cred["secretText"])
    world.fleet[host].write_cfg(cfg)
    return cred


def onboarded_world(world, days=None):
    """The fleet as onboard leaves it, built without a playbook run.

    Per tenant: the app (as entra_app's defaults describe it) through the emulator's admin API,
    an onboarding identity that owns it, the service principal, the delegated grant for all
    principals and the app role assignment through Graph; per host a secret of ``days`` (default
    VALIDITY, or ``{host: days}``) written to its msteams.cfg with the vendor defaults.
    """
    days = days or {}
    for tenant in world.tenants:
        tid = world.tenant_ids[tenant]
        access = resolve_permissions(builtin_graph_sp(), {"delegated": DEFAULT_DELEGATED, "application": DEFAULT_APPLICATION})
        app = world.emulator.admin(tid).add_application(
            {
                "displayName": "ProCall Integration in Microsoft Teams",
                "uniqueName": UNIQUE_NAME,
                "signInAudience": "AzureADMyOrg",
                "publicClient": {"redirectUris": ["http://localhost"]},
                "requiredResourceAccess": access,
            }
        )
        world.use_identity(tenant, world.emulator.add_automation_identity(tid, roles=ONBOARD_ROLES, owner_of=[app["id"]]))
        graph_sp_id = world.emulator.state(tid)["graph_service_principal_id"]
        sp = graph_call(world, tenant, "POST", "/servicePrincipals", {"appId": app["appId"]})
        grant = {"clientId": sp["id"], "consentType": "AllPrincipals", "resourceId": graph_sp_id, "scope": " ".join(DEFAULT_DELEGATED)}
        graph_call(world, tenant, "POST", "/oauth2PermissionGrants", grant)
        for role in access[0]["resourceAccess"]:
            if role["type"] == "Role":
                assignment = {"principalId": sp["id"], "resourceId": graph_sp_id, "appRoleId": role["id"]}
                graph_call(world, tenant, "POST", f"/servicePrincipals/{sp['id']}/appRoleAssignments", assignment)
        for host in world.tenants[tenant]:
            add_host_secret(world, host, days.get(host, VALIDITY) if isinstance(days, dict) else days)
    return world


def use_rotation_identities(world):
    """What docs/permissions.md says a scheduled rotation needs: Application.ReadWrite.OwnedBy, owner of the app."""
    for tenant in world.tenants:
        app = world.app(tenant)
        rotation = world.emulator.add_automation_identity(
            world.tenant_ids[tenant], roles=ROTATION_ROLES, owner_of=[app["id"]], display_name="automation rotation"
        )
        world.use_identity(tenant, rotation)


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


def changes(record):
    """What a run changed (or, in check mode, would change): ``{host: {step, ...}}`` from the json callback.

    A step is a playbook task that reported a change (a Graph step, on the host it ran for), or
    ``msteams.cfg`` when any task of the role changed the host: in check mode the role reports the
    file change it would make, the real run also stops and starts the service to make it.
    Delegated tasks count for the host they ran for; report files on localhost are left out.
    """
    found: dict[str, set[str]] = {}
    for play in record.result.report["plays"]:
        for task in play["tasks"]:
            name = task["task"]["name"]
            for host, res in task["hosts"].items():
                if host == "localhost" or not res.get("changed"):
                    continue
                step = "msteams.cfg" if " : " in name else name
                found.setdefault(host, set()).add(step)
    return found


def settled(world):
    """Time passes after the out-of-band setup: what it created is listed everywhere.

    A grant created a second before is not in Graph's lists yet (the realistic world's replication
    lag, as in a real tenant): check mode then reports creating it, while the real run meets the
    duplicate and reads it back. A scheduled check run finds a settled tenant; so does this one.
    The emulator's clock moves on, nobody sleeps.
    """
    lag = (world.emulator.faults.current().get("replication_lag") or {}).get("seconds") or 0
    if lag:
        world.emulator.clock.advance(seconds=float(lag) + 1)


def assert_check_mode_tells_the_truth(world, playbook, extra_vars=None):
    """Check mode first, then the real run: the check-mode report lists every change the real run makes."""
    settled(world)
    check = world.run(playbook, check=True, diff=True, extra_vars=extra_vars)
    assert check.rc == 0, check.result
    assert check.graph_writes == 0
    for host in world.hosts:
        assert not {"service_stop", "file_write"} & set(world.fleet[host].op_names()), f"check mode touched {host}"
    real = world.run(playbook, extra_vars=extra_vars)
    assert real.rc == 0, real.result
    assert changes(check) == changes(real)
    return check, real


# -- onboard ------------------------------------------------------------------------------------------


def test_onboard_from_nothing_then_the_rerun_is_converged(world):
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
    assert "Commission in the admin GUI" in rec.result.output

    before = {h: deployed_secret(world, h) for h in world.hosts}
    again = world.run("onboard")
    assert again.rc == 0, again.result
    assert again.graph_writes == 0, [r for r in world.emulator.requests() if r["method"] != "GET"]
    for host in world.hosts:
        assert again.result.changed(host) == 0, f"{host} changed on a converged rerun"
        assert not {"service_stop", "service_start", "file_write"} & set(world.fleet[host].op_names()), host
        assert deployed_secret(world, host) == before[host]
        assert len(world.host_secrets(host)) == 1
    assert_no_secret_in_output(world)


def test_onboard_check_mode_lists_every_change_of_the_real_run(world):
    onboarded_world(world)
    # Drift in contoso: someone removed Presence.Read.All from the app and its consent, and a
    # host lost its file. Check mode must show the permission, its consent and the file.
    tid = world.tenant_ids["contoso"]
    app = world.app("contoso")
    graph_sp = builtin_graph_sp()
    kept = [n for n in DEFAULT_DELEGATED if n != "Presence.Read.All"]
    world.emulator.admin(tid).patch_application(
        app["id"], {"requiredResourceAccess": resolve_permissions(graph_sp, {"delegated": kept, "application": DEFAULT_APPLICATION})}
    )
    grant = next(g for g in world.emulator.state(tid)["oauth2PermissionGrants"] if g["consentType"] == "AllPrincipals")
    world.emulator.admin(tid).delete_object("oauth2PermissionGrants", grant["id"])
    world.fleet["ucs-c2"].cfg_file.unlink()

    check, real = assert_check_mode_tells_the_truth(world, "onboard")
    leader = changes(real)["ucs-c1"]
    assert {"Ensure the app registration for contoso", "Grant admin consent for contoso"} <= leader
    assert "msteams.cfg" in changes(real)["ucs-c2"]
    assert set(changes(real)) == {"ucs-c1", "ucs-c2"}, "fabrikam had no drift"
    state = world.emulator.state(tid)
    grants = [g for g in state["oauth2PermissionGrants"] if g["consentType"] == "AllPrincipals"]
    assert len(grants) == 1 and "Presence.Read.All" in grants[0]["scope"].split()
    # The host ran no secret when the run read it, so the run superseded none: its older secret is
    # younger than msteams_secret_revoke_grace_minutes (it may be an overlapping run's) and is
    # left for a later run's cleanup (docs/consent-and-secrets.md, "Overlapping runs").
    secrets = world.host_secrets("ucs-c2")
    assert len(secrets) == 2 and deployed_secret(world, "ucs-c2")[:3] in [c["hint"] for c in secrets]
    assert_no_secret_in_output(world)


# -- rotate_secret -------------------------------------------------------------------------------------


def test_rotate_in_the_window_with_a_host_failing_to_start(world):
    onboarded_world(world)
    world.advance(VALIDITY - WINDOW + 1)
    failing = "ucs-c2"
    old_keys = {h: world.host_secrets(h)[0]["keyId"] for h in world.hosts}
    old_values = {h: deployed_secret(world, h) for h in world.hosts}
    world.fleet[failing].set_fault(start_fails=True)

    # Batches of two: the failing host shares its batch with a healthy one, so the rollout goes on.
    rec = world.run("rotate_secret", extra_vars={"msteams_serial": 2})
    assert rec.rc != 0, "a failed host must fail the run"

    rows = summary_rows(world, "rotate_secret")
    assert rows[failing]["status"] == "failed"
    # The reason names the vendor step that failed (the role's sentence; a bare "start" anywhere
    # in it no longer counts), and the secret the host keeps.
    assert "Start the UCServer service" in rows[failing]["reason"], rows[failing]
    assert rows[failing]["secret_kept_key_ids"] == [old_keys[failing]]
    # The failing host keeps its old, still valid secret in Graph and on disk; the secret made
    # for it in this run is withdrawn, so a rerun does not pile up secrets.
    assert deployed_secret(world, failing) == old_values[failing]
    assert [c["keyId"] for c in world.host_secrets(failing)] == [old_keys[failing]]
    assert rows[failing]["withdrawn_key_id"] not in ("", old_keys[failing])

    for host in (h for h in world.hosts if h != failing):
        assert rows[host]["status"] == "rotated", rows[host]
        secrets = world.host_secrets(host)
        assert len(secrets) == 1 and secrets[0]["keyId"] != old_keys[host], "old secret revoked, new one in place"
        assert rows[host]["revoked_key_ids"] == [old_keys[host]]
        assert deployed_secret(world, host) != old_values[host]
        assert deployed_secret(world, host)[:3] == secrets[0]["hint"]
        assert world.fleet[host].service_state() == "running"
        # Revoked only after this host's service started with the new secret.
        started = task_index(rec, "Start the UCServer service", host, changed=True)
        revoked = task_index(rec, "Revoke the secrets this host used before, now that it runs the new one", host, changed=True)
        assert started is not None and revoked is not None and started < revoked
    assert_no_secret_in_output(world)


def test_rotate_check_mode_tells_the_truth_and_a_rerun_converges(world):
    # One host per tenant inside the window, the others outside; the rotation identity only
    # holds Application.ReadWrite.OwnedBy as an owner of the app (docs/permissions.md).
    due = {"ucs-c2": WINDOW - 5, "ucs-f1": WINDOW}
    onboarded_world(world, days=due)
    use_rotation_identities(world)
    before = {h: deployed_secret(world, h) for h in world.hosts}

    check, real = assert_check_mode_tells_the_truth(world, "rotate_secret")
    for host in due:
        assert {
            "Ensure this host's client secret, rotated before expiry",
            "msteams.cfg",
            "Revoke the secrets this host used before, now that it runs the new one",
        } <= changes(check)[host]
    rows = summary_rows(world, "rotate_secret")
    for host in world.hosts:
        if host in due:
            assert rows[host]["status"] == "rotated"
            assert len(world.host_secrets(host)) == 1 and deployed_secret(world, host) != before[host]
        else:
            assert rows[host]["status"] == "kept"
            assert deployed_secret(world, host) == before[host]
            assert not {"service_stop", "file_write"} & set(world.fleet[host].op_names())

    again = world.run("rotate_secret")
    assert again.rc == 0, again.result
    assert again.graph_writes == 0
    assert all(again.result.changed(h) == 0 for h in world.hosts)
    assert {r["status"] for r in summary_rows(world, "rotate_secret").values()} == {"kept"}


def test_rotate_shows_no_secret_at_the_highest_verbosity(world):
    # -vvvv with the default callback while a new secret is created, verified and deployed:
    # what a person debugging sees must hold no secret either.
    onboarded_world(world, days={"ucs-c1": 3})
    use_rotation_identities(world)
    rec = world.run("rotate_secret", verbosity=4, callback="ansible.builtin.default")
    assert rec.rc == 0, rec.result
    assert summary_rows(world, "rotate_secret")["ucs-c1"]["status"] == "rotated"
    assert_no_secret_in_output(world)


# -- status --------------------------------------------------------------------------------------------


def status_rows(world):
    return {row["host"]: row for row in world.report("status.json")["hosts"]}


def test_status_healthy_and_read_only_in_check_mode_too(world):
    onboarded_world(world)
    check, rec = assert_check_mode_tells_the_truth(world, "status")
    assert rec.graph_writes == 0
    assert changes(rec) == {}, "status changes nothing but its report files"
    rows = status_rows(world)
    for host in world.hosts:
        row = rows[host]
        assert row["status"] == "consent_pending", row
        assert row["client_id"] == world.app(world.tenant_of(host))["appId"]
        assert row["secret_key_id"] == world.host_secrets(host)[0]["keyId"]
        assert row["secret_name"] == f"procall-msteams: {host}"
        assert int(row["secret_days_left"]) > WINDOW
        assert row["service_state"] == "running"
    csv = (world.report_dir / "status.csv").read_text().splitlines()
    assert csv[0].startswith("host,tenant,") and len(csv) == 1 + len(world.hosts)
    assert "HOST" in rec.result.output and "DAYS LEFT" in rec.result.output
    for host in world.hosts:
        assert not {"service_stop", "file_write"} & set(world.fleet[host].op_names()), "status is read-only"


def test_status_broken_host(world):
    onboarded_world(world)
    broken = "ucs-f1"
    world.fleet[broken].write_cfg({**world.fleet[broken].msteams_cfg(), "u8sClientSecret": "zzz-not-a-secret-of-this-app"})
    rec = world.run("status")
    assert rec.rc != 0
    rows = status_rows(world)
    assert rows[broken]["status"] == "broken"
    assert rows[broken]["reason"] == "the deployed secret is not a secret of the app (revoked or mistyped)"
    assert all(rows[h]["status"] == "consent_pending" for h in world.hosts if h != broken)
    assert f"1 host(s) need attention: {broken} broken" in rec.result.output


def test_status_expiring_and_rotation_due(world):
    onboarded_world(world, days={"ucs-c1": 10, "ucs-c2": 10, "ucs-f1": 10, "ucs-f2": 20})
    rec = world.run("status")
    assert rec.rc != 0
    rows = status_rows(world)
    assert {h: rows[h]["status"] for h in world.hosts} == {"ucs-c1": "expiring", "ucs-c2": "expiring", "ucs-f1": "expiring", "ucs-f2": "rotation_due"}
    assert "3 host(s) need attention" in rec.result.output
    assert_no_secret_in_output(world)
