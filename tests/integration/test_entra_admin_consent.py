"""entra_admin_consent against the Graph emulator (HTTPS, real msal), its main() in this process
(tests/integration/conftest.py: its waits pass on the emulated clock)."""

from tests.integration.consent_secret_support import (
    PRESENCE_R_ALL_ROLE,
    PRESENCE_RW_ALL,
    OutOfBand,
    World,
    token_roles,
)

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
    graph_emulator.clock.advance(seconds=3)  # the rerun comes after replication: lists show the new grant and assignment
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
    graph_emulator.clock.advance(seconds=3)  # the next run comes after the grant replicated: it is listed
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
    graph_emulator.clock.advance(seconds=3)  # the next runs come after replication of both runs' writes
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
    res, out, _ignored = world.secret(consumer="ucs1", verify_timeout=6)
    assert out["failed"] is True and "verify_timeout" in out["msg"] and "revoked" in out["msg"], res
    assert world.password_credentials() == []
    # Service principal and delegated grant, but no application permission yet.
    res, out, _ignored = world.consent(application_permissions=[])
    assert res.rc == 0 and out["assigned_roles"] == [], res
    res, out, _ignored = world.secret(consumer="ucs1", verify_timeout=6)
    assert out["failed"] is True and "Presence.ReadWrite.All" in out["msg"] and "entra_admin_consent" in out["msg"], res
    assert world.password_credentials() == []
    # Only a token is checked: the secret works, its token has no roles yet.
    res, out, secret = world.secret(consumer="ucs1", verify_roles=[])
    assert res.rc == 0 and out["verified"] is True and secret, res
    assert "Presence.ReadWrite.All" not in (token_roles(world, world.app["appId"], secret) or [])
    assert world.consent()[0].rc == 0
    graph_emulator.clock.advance(seconds=3)  # a new assignment reaches the token service after propagation
    assert "Presence.ReadWrite.All" in token_roles(world, world.app["appId"], secret)


def test_consent_right_after_the_app_was_created_waits_out_replication(graph_emulator, tmp_path):
    # Every object created through Graph from now on is missed by its first 2 reads (graph.md).
    graph_emulator.faults.replication_lag(reads=2)
    world = World(graph_emulator, tmp_path, app_via_graph=True)
    res, out, _ignored = world.consent()
    assert res.rc == 0 and out["changed"] is True, res
    assert any("replicat" in line for line in out.get("graph_retries", [])) and not out.get("warnings"), out.get("graph_retries")
    assert our_sp(world) is not None and roles_of(world, our_sp(world)["id"]) == [PRESENCE_RW_ALL]


def test_check_mode_predicts_the_real_run_after_an_assignment_was_removed(graph_emulator, tmp_path):
    world = World(graph_emulator, tmp_path)
    assert world.consent()[1]["changed"] is True
    sp = our_sp(world)
    [assignment] = [a for a in world.state()["appRoleAssignments"] if a["principalId"] == sp["id"]]
    graph_emulator.admin(world.tenant).delete_object("appRoleAssignments", assignment["id"])
    graph_emulator.clock.advance(seconds=3)  # the removal and the next runs come after the grant replicated
    graph_emulator.reset_log()
    _res, check, _none = world.consent(check=True)
    assert graph_emulator.count(kind="graph", tenant_id=world.tenant, writes=True) == 0
    _res, real, _none = world.consent()
    assert check["changed"] is real["changed"] is True
    assert check["diff"] == real["diff"] and check["diff"]["after"]["assigned_roles"] == ["Presence.ReadWrite.All"]
    assert roles_of(world, sp["id"]) == [PRESENCE_RW_ALL]


def test_check_mode_after_permission_drift_lists_the_consent_the_real_run_makes(graph_emulator, tmp_path):
    # Issue 10: after the app lost Presence.ReadWrite.All (and its assignment), check mode said
    # consent "ok" although the real run re-created the assignment. Consent told what entra_app
    # will make the app request (its permissions result) predicts both changes.
    from tests.integration.graph_play import run_module

    world = World(graph_emulator, tmp_path)
    app_args = dict(world.auth(), app_id=world.app["appId"], display_name=world.app["displayName"])
    assert not run_module("entra_app", app_args).get("failed")
    assert world.consent()[1]["changed"] is True
    sp = our_sp(world)
    drifted = world.app_now()["requiredResourceAccess"]
    drifted[0]["resourceAccess"] = [e for e in drifted[0]["resourceAccess"] if e["id"] != PRESENCE_RW_ALL]
    graph_emulator.admin(world.tenant).patch_application(world.app["id"], {"requiredResourceAccess": drifted})
    [assignment] = [a for a in world.state()["appRoleAssignments"] if a["principalId"] == sp["id"]]
    graph_emulator.admin(world.tenant).delete_object("appRoleAssignments", assignment["id"])
    # The drift comes after the first onboard's objects replicated: both runs list the same grant
    # (without this, whether the check run still missed the new grant hung on the machine's speed).
    graph_emulator.clock.advance(seconds=5)  # past the realistic list lag (2 s)

    def onboard(check):
        app_result = run_module("entra_app", app_args, check=check, diff=True)
        permissions = app_result["permissions"]
        consent = world.consent(check=check, delegated_permissions=permissions["delegated"], application_permissions=permissions["application"])[1]
        return app_result, consent

    graph_emulator.reset_log()
    app_check, consent_check = onboard(check=True)
    assert graph_emulator.count(kind="graph", tenant_id=world.tenant, writes=True) == 0
    app_real, consent_real = onboard(check=False)
    assert [app_check["changed"], consent_check["changed"]] == [app_real["changed"], consent_real["changed"]] == [True, True]
    assert app_check["diff"] == app_real["diff"] and consent_check["diff"] == consent_real["diff"]
    assert roles_of(world, sp["id"]) == [PRESENCE_RW_ALL]


def test_a_grant_or_assignment_that_exists_already_is_read_back(graph_emulator, tmp_path, monkeypatch):
    # A POST whose first attempt went through but whose answer was lost: the retry meets a
    # duplicate (409 for a grant, 400 for an assignment) and reads it back as success.
    import requests

    real = requests.Session.request
    lost = []

    def request(self, method, url, *args, **kwargs):
        response = real(self, method, url, *args, **kwargs)
        if method == "POST" and ("oauth2PermissionGrants" in url or "appRoleAssignedTo" in url) and url not in lost:
            lost.append(url)
            raise requests.exceptions.ConnectionError("connection reset after the request was sent")
        return response

    monkeypatch.setattr(requests.Session, "request", request)
    world = World(graph_emulator, tmp_path)
    _res, out, _none = world.consent()
    assert not out.get("failed"), out.get("msg")
    assert len(lost) == 2
    sp = our_sp(world)
    (grant,) = grants_of(world, sp["id"])
    assert set(grant["scope"].split()) == WANTED_SCOPES
    assert roles_of(world, sp["id"]) == [PRESENCE_RW_ALL]


def test_replication_lag_longer_than_15_s_is_waited_out_within_max_retry_wait(graph_emulator, tmp_path):
    # Issue 14: a lag of 40 s after the app was created failed onboard after ~15 s ("No application
    # matches ...; create it first") although the same run had created it. 18 s keeps the test short.
    graph_emulator.faults.replication_lag(seconds=18)
    world = World(graph_emulator, tmp_path, app_via_graph=True)
    res, out, _ignored = world.consent()
    assert res.rc == 0 and not out.get("failed"), out.get("msg")
    assert out["changed"] is True and roles_of(world, our_sp(world)["id"]) == [PRESENCE_RW_ALL]
    waited = [float(line.rsplit("waited ", 1)[1].split(" s")[0]) for line in out["graph_retries"] if "replicat" in line]
    assert sum(waited) >= 15 and not out.get("warnings"), out.get("graph_retries")  # 18 s of 120: recorded, not warned
