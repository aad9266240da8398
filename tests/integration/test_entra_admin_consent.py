"""entra_admin_consent against the Graph emulator (HTTPS, real msal), through ansible-playbook."""

import pytest

from tests.integration.consent_secret_support import (
    PRESENCE_R_ALL_ROLE,
    PRESENCE_RW_ALL,
    OutOfBand,
    World,
    token_roles,
)

pytestmark = pytest.mark.slow

WANTED_SCOPES = {"Presence.Read", "Presence.Read.All", "User.Read"}


def graph_sp_id(world):
    return next(sp["id"] for sp in world.state()["servicePrincipals"] if sp["appId"] == "00000003-0000-0000-c000-000000000000")


def our_sp(world):
    found = [sp for sp in world.state()["servicePrincipals"] if sp["appId"] == world.app["appId"]]
    return found[0] if found else None


def grants_of(world, sp_id):
    return [g for g in world.state()["oauth2PermissionGrants"] if g["clientId"] == sp_id]


def roles_of(world, sp_id):
    return sorted(a["appRoleId"] for a in world.state()["appRoleAssignments"] if a["principalId"] == sp_id)


def test_fresh_app_is_granted_and_a_rerun_writes_nothing(graph_emulator, tmp_path):
    world = World(graph_emulator, tmp_path)
    res, out, _ignored = world.consent()
    assert res.rc == 0 and out["changed"] is True, res
    sp = our_sp(world)
    assert sp is not None and out["service_principal_id"] == sp["id"]
    (grant,) = grants_of(world, sp["id"])
    assert grant["consentType"] == "AllPrincipals" and grant["resourceId"] == graph_sp_id(world)
    assert set(grant["scope"].split()) == WANTED_SCOPES
    assert roles_of(world, sp["id"]) == [PRESENCE_RW_ALL]
    assert set(out["granted_scopes"]) == WANTED_SCOPES and out["assigned_roles"] == ["Presence.ReadWrite.All"]

    graph_emulator.reset_log()
    res, out, _ignored = world.consent()
    assert res.rc == 0 and out["changed"] is False, res
    assert graph_emulator.count(kind="graph", tenant_id=world.tenant, writes=True) == 0


def test_check_mode_writes_nothing(graph_emulator, tmp_path):
    world = World(graph_emulator, tmp_path)
    graph_emulator.reset_log()
    res, out, _ignored = world.consent(check=True)
    assert res.rc == 0 and out["changed"] is True, res
    assert graph_emulator.count(kind="graph", tenant_id=world.tenant, writes=True) == 0
    assert our_sp(world) is None


def test_scope_removed_out_of_band_is_restored_and_other_grants_untouched(graph_emulator, tmp_path):
    world = World(graph_emulator, tmp_path)
    assert world.consent()[0].rc == 0
    sp = our_sp(world)
    (grant,) = grants_of(world, sp["id"])
    oob = OutOfBand(world)
    oob.call("PATCH", "oauth2PermissionGrants/%s" % grant["id"], {"scope": "User.Read"})
    res, out, _ignored = world.consent()
    assert res.rc == 0 and out["changed"] is True, res
    (grant,) = grants_of(world, sp["id"])
    assert set(grant["scope"].split()) == WANTED_SCOPES


def test_exact_mode_removes_an_extra_assignment_additive_leaves_it(graph_emulator, tmp_path):
    world = World(graph_emulator, tmp_path)
    assert world.consent()[0].rc == 0
    sp = our_sp(world)
    graph_sp = graph_sp_id(world)
    OutOfBand(world).call(
        "POST", "servicePrincipals/%s/appRoleAssignedTo" % graph_sp, {"principalId": sp["id"], "resourceId": graph_sp, "appRoleId": PRESENCE_R_ALL_ROLE}
    )
    res, out, _ignored = world.consent(mode="additive")
    assert res.rc == 0 and out["changed"] is False, res
    assert roles_of(world, sp["id"]) == sorted([PRESENCE_RW_ALL, PRESENCE_R_ALL_ROLE])
    res, out, _ignored = world.consent(mode="exact")
    assert res.rc == 0 and out["changed"] is True, res
    assert roles_of(world, sp["id"]) == [PRESENCE_RW_ALL]


def test_missing_consent_permissions_fail_clearly_before_writing(graph_emulator, tmp_path):
    world = World(graph_emulator, tmp_path, roles=["Application.ReadWrite.All", "Directory.Read.All"])
    graph_emulator.reset_log()
    res, out, _ignored = world.consent()
    assert out["failed"] is True
    msg = out["msg"]
    assert "AppRoleAssignment.ReadWrite.All" in msg and "DelegatedPermissionGrant.ReadWrite.All" in msg
    assert "Privileged Role Administrator" in msg and "Cloud Application Administrator" in msg
    assert "Traceback" not in res.output
    assert graph_emulator.count(kind="graph", tenant_id=world.tenant, writes=True) == 0


def test_new_secrets_token_carries_the_role_after_consent_and_not_before(graph_emulator, tmp_path):
    world = World(graph_emulator, tmp_path)
    # No service principal yet: the token service refuses the new secret; it is revoked again.
    res, out, _ignored = world.secret(consumer="ucs1", verify_timeout=2)
    assert out["failed"] is True and "verify_timeout" in out["msg"] and "revoked" in out["msg"], res
    assert world.password_credentials() == []
    # Service principal and delegated grant, but no application permission yet.
    res, out, _ignored = world.consent(application_permissions=[])
    assert res.rc == 0 and out["assigned_roles"] == [], res
    res, out, _ignored = world.secret(consumer="ucs1", verify_timeout=2)
    assert out["failed"] is True and "Presence.ReadWrite.All" in out["msg"] and "entra_admin_consent" in out["msg"], res
    assert world.password_credentials() == []
    # Only a token is checked: the secret works, its token has no roles yet.
    res, out, secret = world.secret(consumer="ucs1", verify_roles=[])
    assert res.rc == 0 and out["verified"] is True and secret, res
    assert "Presence.ReadWrite.All" not in (token_roles(world, world.app["appId"], secret) or [])
    assert world.consent()[0].rc == 0
    assert "Presence.ReadWrite.All" in token_roles(world, world.app["appId"], secret)


def test_consent_right_after_the_app_was_created_waits_out_replication(graph_emulator, tmp_path):
    # Every object created through Graph from now on is missed by its first 2 reads (graph.md).
    graph_emulator.faults.replication_lag(reads=2)
    world = World(graph_emulator, tmp_path, app_via_graph=True)
    res, out, _ignored = world.consent()
    assert res.rc == 0 and out["changed"] is True, res
    assert any("replicate" in w for w in out.get("warnings", [])), out
    assert our_sp(world) is not None and roles_of(world, our_sp(world)["id"]) == [PRESENCE_RW_ALL]
