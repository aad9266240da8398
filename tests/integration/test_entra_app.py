"""entra_app / entra_app_info through ansible-playbook against the Graph emulator (real msal, HTTPS)."""

from __future__ import annotations

import re

import pytest

from .graph_play import app_task, auth_vars, info_task, run_tasks

pytestmark = pytest.mark.slow

WRITER = ["Application.ReadWrite.All"]
UNIQUE = "procall-teams"
NAME = "ProCall Integration in Microsoft Teams"
PRESENCE_RW = "83cded22-8297-4ff6-a7fa-e97e9545a259"
USER_READ = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"


@pytest.fixture
def tenant(graph_emulator):
    return graph_emulator.add_tenant("contoso")


@pytest.fixture
def writer(graph_emulator, tenant):
    return graph_emulator.add_automation_identity(tenant, roles=WRITER)


def apps(emulator, tenant_id):
    return [a for a in emulator.state(tenant_id)["applications"] if a.get("displayName") == NAME]


def one(result, task="App"):
    return result.task_results(task)["localhost"]


def access(app):
    return {(e["type"], e["id"]) for r in app.get("requiredResourceAccess") or [] for e in r["resourceAccess"]}


def test_create_rerun_check_mode_and_absent(graph_emulator, tenant, writer, tmp_path):
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path)

    checked = run_tasks(tmp_path, "check", [app_task(unique_name=UNIQUE, display_name=NAME)], auth, check=True, diff=True)
    assert checked.rc == 0, checked
    assert one(checked)["changed"] is True
    assert one(checked)["diff"]["after"]["state"] == "present"
    assert graph_emulator.count(writes=True) == 0
    assert apps(graph_emulator, tenant) == []

    created = run_tasks(tmp_path, "create", [app_task(unique_name=UNIQUE, display_name=NAME)], auth)
    assert created.rc == 0, created
    res = one(created)
    assert res["changed"] is True
    [app] = apps(graph_emulator, tenant)
    assert (res["app_id"], res["object_id"], res["tenant_id"], res["unique_name"]) == (app["appId"], app["id"], tenant, UNIQUE)
    assert app["signInAudience"] == "AzureADMyOrg"
    assert app["publicClient"]["redirectUris"] == ["http://localhost"]
    assert len(access(app)) == 4 and ("Role", PRESENCE_RW) in access(app)

    graph_emulator.reset_log()
    rerun = run_tasks(tmp_path, "rerun", [app_task(unique_name=UNIQUE, display_name=NAME)], auth, diff=True)
    assert rerun.rc == 0, rerun
    assert one(rerun)["changed"] is False
    assert graph_emulator.count(writes=True) == 0
    assert graph_emulator.count(kind="token") == 0  # the first run's token, from the shared cache
    assert len(apps(graph_emulator, tenant)) == 1

    info = run_tasks(tmp_path, "info", [info_task(unique_name=UNIQUE)], auth, check=True)
    assert info.rc == 0, info
    out = one(info, "Info")
    assert out["exists"] is True and out["app_id"] == app["appId"]
    assert out["permissions"]["application"] == ["Presence.ReadWrite.All"]
    assert out["permissions"]["delegated"] == ["Presence.Read", "Presence.Read.All", "User.Read"]
    assert out["service_principal_id"] is None and out["consent"]["complete"] is False
    assert out["secrets"] == []

    gone = run_tasks(tmp_path, "absent", [app_task(unique_name=UNIQUE, state="absent")], auth)
    assert gone.rc == 0, gone
    assert one(gone)["changed"] is True and apps(graph_emulator, tenant) == []
    again = run_tasks(tmp_path, "absent-again", [app_task(unique_name=UNIQUE, state="absent")], auth)
    assert one(again)["changed"] is False


def test_out_of_band_drift_is_shown_and_repaired(graph_emulator, tenant, writer, tmp_path):
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path)
    task = app_task(unique_name=UNIQUE, display_name=NAME, redirect_uris=["http://localhost", "https://www.estos.de/piimt"])
    assert run_tasks(tmp_path, "create", [task], auth).rc == 0
    [app] = apps(graph_emulator, tenant)
    kept = list(app["requiredResourceAccess"])
    kept[0]["resourceAccess"] = [e for e in kept[0]["resourceAccess"] if e["id"] != PRESENCE_RW]
    graph_emulator.admin(tenant).patch_application(app["id"], {"publicClient": {"redirectUris": ["http://localhost"]}, "requiredResourceAccess": kept})

    graph_emulator.reset_log()
    check = run_tasks(tmp_path, "drift-check", [task], auth, check=True, diff=True)
    assert one(check)["changed"] is True
    assert graph_emulator.count(writes=True) == 0
    repaired = run_tasks(tmp_path, "repair", [task], auth, diff=True)
    res = one(repaired)
    assert res["changed"] is True
    assert sorted(res["changed_properties"]) == ["permissions", "redirect_uris"]
    assert "Presence.ReadWrite.All" not in res["diff"]["before"]["permissions"]["application"]
    assert res["diff"]["after"]["permissions"]["application"] == ["Presence.ReadWrite.All"]
    assert "https://www.estos.de/piimt" in repaired.stdout or res["diff"]["after"]["redirect_uris"]
    [app] = apps(graph_emulator, tenant)
    assert ("Role", PRESENCE_RW) in access(app) and len(access(app)) == 4
    assert sorted(app["publicClient"]["redirectUris"]) == ["http://localhost", "https://www.estos.de/piimt"]
    assert one(run_tasks(tmp_path, "converged", [task], auth))["changed"] is False


def test_two_apps_with_the_display_name_is_a_clear_error(graph_emulator, tenant, writer, tmp_path):
    admin = graph_emulator.admin(tenant)
    first = admin.add_application({"displayName": NAME})
    second = admin.add_application({"displayName": NAME})
    result = run_tasks(tmp_path, "dup", [app_task(display_name=NAME)], auth_vars(graph_emulator, tenant, writer, tmp_path))
    assert result.rc != 0
    msg = one(result)["msg"]
    assert "2 applications carry the display name" in msg
    assert first["appId"] in msg and second["appId"] in msg
    assert "Traceback" not in result.output
    assert graph_emulator.count(writes=True) == 0


def test_unknown_permission_names_the_closest(graph_emulator, tenant, writer, tmp_path):
    result = run_tasks(
        tmp_path,
        "typo",
        [app_task(unique_name=UNIQUE, display_name=NAME, application_permissions=["Presence.ReadWrite.Al"])],
        auth_vars(graph_emulator, tenant, writer, tmp_path),
    )
    assert result.rc != 0
    assert "closest valid names: Presence.ReadWrite.All" in one(result)["msg"]
    assert graph_emulator.count(writes=True) == 0


@pytest.mark.parametrize("unique_name", [UNIQUE, None], ids=["upsert", "display-name"])
def test_replication_lag_and_throttling_still_converge_to_one_app(graph_emulator, tenant, writer, tmp_path, unique_name):
    options = {"display_name": NAME, "owner_automation_identity": True}
    if unique_name:
        options["unique_name"] = unique_name
    # POST /applications/{id}/owners/$ref needs Directory.Read.All besides Application.ReadWrite.All
    # (https://learn.microsoft.com/graph/api/application-post-owners): the writer alone is refused.
    refused = run_tasks(tmp_path, "owner-refused", [app_task(**options)], auth_vars(graph_emulator, tenant, writer, tmp_path))
    assert refused.rc != 0 and "403 Authorization_RequestDenied" in one(refused)["msg"], one(refused)
    graph_emulator.clock.advance(seconds=60)  # the app that run created has replicated
    owner_writer = graph_emulator.add_automation_identity(tenant, roles=[*WRITER, "Directory.Read.All"])
    auth = auth_vars(graph_emulator, tenant, owner_writer, tmp_path)
    graph_emulator.faults.replication_lag(seconds=5)
    graph_emulator.faults.throttle(burst=3, retry_after=1)
    first = run_tasks(tmp_path, "faulty", [app_task(**options)], auth)
    assert first.rc == 0, one(first)["msg"]
    assert any("429" in w for w in one(first)["warnings"])  # the retries were reported as warnings
    # A rerun comes after replication has caught up (lag is seconds in Entra ID); throttling stays on.
    graph_emulator.clock.advance(seconds=60)
    graph_emulator.faults.throttle(burst=2, retry_after=1)
    second = run_tasks(tmp_path, "faulty-rerun", [app_task(**options)], auth)
    assert second.rc == 0, one(second)["msg"]
    assert one(second)["changed"] is False
    assert len(apps(graph_emulator, tenant)) == 1
    [app] = apps(graph_emulator, tenant)
    assert owner_writer["service_principal_id"] in graph_emulator.state(tenant)["owners"].get(app["id"], [])


def test_identity_without_permission_is_told_which_it_needs(graph_emulator, tenant, tmp_path):
    reader = graph_emulator.add_automation_identity(tenant, roles=["Application.Read.All"])
    result = run_tasks(tmp_path, "denied", [app_task(unique_name=UNIQUE, display_name=NAME)], auth_vars(graph_emulator, tenant, reader, tmp_path))
    assert result.rc != 0
    msg = one(result)["msg"]
    assert "403 Authorization_RequestDenied" in msg and "request-id" in msg
    assert "Application.ReadWrite" in msg
    assert apps(graph_emulator, tenant) == []


def test_certificate_auth_works(graph_emulator, tenant, tmp_path):
    ident = graph_emulator.add_automation_identity(tenant, roles=WRITER, credential="certificate")
    auth = auth_vars(graph_emulator, tenant, ident, tmp_path)
    result = run_tasks(tmp_path, "cert", [app_task(unique_name=UNIQUE, display_name=NAME)], auth)
    assert result.rc == 0, result
    assert one(result)["changed"] is True and len(apps(graph_emulator, tenant)) == 1
    assert graph_emulator.count(kind="token") == 1


def test_wrong_secret_names_the_aadsts_code_and_never_prints_it(graph_emulator, tenant, writer, tmp_path):
    bad = dict(writer, client_secret="not-the-right-secret-value-1234")
    result = run_tasks(tmp_path, "badsecret", [app_task(unique_name=UNIQUE, display_name=NAME)], auth_vars(graph_emulator, tenant, bad, tmp_path), verbosity=4)
    assert result.rc != 0
    assert "AADSTS7000215" in one(result)["msg"]
    assert "not-the-right-secret-value-1234" not in result.output


def test_secret_never_printed_at_vvvv(graph_emulator, tenant, writer, tmp_path):
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path)
    tasks = [app_task(unique_name=UNIQUE, display_name=NAME), info_task(unique_name=UNIQUE)]
    result = run_tasks(tmp_path, "verbose", tasks, auth, verbosity=4, diff=True, callback="default")
    assert result.rc == 0, result
    assert writer["client_secret"] not in result.output
    assert "entra_app" in result.output  # the run really was verbose about the module
    assert not re.search(r"eyJ[A-Za-z0-9_-]*\.eyJ", result.output)  # nor any token (JWT: header.payload, both eyJ...)


def test_info_reports_secrets_without_values(graph_emulator, tenant, writer, tmp_path):
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path)
    assert run_tasks(tmp_path, "create", [app_task(unique_name=UNIQUE, display_name=NAME)], auth).rc == 0
    [app] = apps(graph_emulator, tenant)
    token = graph_emulator.token(tenant, writer["client_id"], writer["client_secret"]).json()["access_token"]
    added = graph_emulator.graph("POST", f"/applications/{app['id']}/addPassword", token, json={"passwordCredential": {"displayName": "ucserver01"}}).json()
    info = run_tasks(tmp_path, "info", [info_task(app_id=app["appId"])], auth)
    assert info.rc == 0, info
    [secret] = one(info, "Info")["secrets"]
    assert secret["key_id"] == added["keyId"] and secret["display_name"] == "ucserver01"
    # Default lifetime two years (graph.md); days are counted on Graph's clock (its Date header).
    assert 729 <= secret["days_left"] <= 731 and secret["expired"] is False
    assert added["secretText"] not in info.output


def test_info_reports_consent_state(graph_emulator, tenant, tmp_path):
    roles = ["Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All"]
    admin_ident = graph_emulator.add_automation_identity(tenant, roles=roles)
    auth = auth_vars(graph_emulator, tenant, admin_ident, tmp_path)
    assert run_tasks(tmp_path, "create", [app_task(unique_name=UNIQUE, display_name=NAME)], auth).rc == 0
    [app] = apps(graph_emulator, tenant)
    token = graph_emulator.token(tenant, admin_ident["client_id"], admin_ident["client_secret"]).json()["access_token"]
    graph_sp = graph_emulator.state(tenant)["graph_service_principal_id"]
    sp = graph_emulator.graph("POST", "/servicePrincipals", token, json={"appId": app["appId"]}).json()
    grant = {"clientId": sp["id"], "consentType": "AllPrincipals", "resourceId": graph_sp, "scope": "Presence.Read User.Read"}
    assert graph_emulator.graph("POST", "/oauth2PermissionGrants", token, json=grant).status_code == 201

    partial = one(run_tasks(tmp_path, "partial", [info_task(unique_name=UNIQUE)], auth), "Info")
    assert partial["service_principal_id"] == sp["id"]
    assert partial["consent"]["delegated"] == {"granted": ["Presence.Read", "User.Read"], "missing": ["Presence.Read.All"]}
    assert partial["consent"]["application"] == {"granted": [], "missing": ["Presence.ReadWrite.All"]}
    assert partial["consent"]["complete"] is False

    assignment = {"principalId": sp["id"], "resourceId": graph_sp, "appRoleId": PRESENCE_RW}
    assert graph_emulator.graph("POST", f"/servicePrincipals/{graph_sp}/appRoleAssignedTo", token, json=assignment).status_code == 201
    [grant_obj] = [g for g in graph_emulator.state(tenant)["oauth2PermissionGrants"] if g["clientId"] == sp["id"]]
    graph_emulator.graph("PATCH", f"/oauth2PermissionGrants/{grant_obj['id']}", token, json={"scope": "Presence.Read Presence.Read.All User.Read"})
    full = one(run_tasks(tmp_path, "full", [info_task(unique_name=UNIQUE)], auth), "Info")
    assert full["consent"]["application"] == {"granted": ["Presence.ReadWrite.All"], "missing": []}
    assert full["consent"]["complete"] is True


@pytest.mark.parametrize("unique_name", [UNIQUE, None], ids=["upsert", "display-name"])
def test_a_create_answered_with_a_transient_error_is_not_duplicated(graph_emulator, tenant, writer, tmp_path, unique_name):
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path)
    options = {"display_name": NAME}
    if unique_name:
        options["unique_name"] = unique_name
    graph_emulator.faults.conflicts(burst=1)  # the create answers 409 once
    result = run_tasks(tmp_path, "conflict", [app_task(**options)], auth)
    assert result.rc == 0, one(result)["msg"]
    assert one(result)["changed"] is True
    # Sent twice: the 409 was retried (by urllib3 for the upsert, after a re-check by name for a POST).
    assert graph_emulator.count(writes=True) == 2
    if not unique_name:
        assert graph_emulator.count(method="GET", path="/v1.0/applications") == 2  # lookup + re-check
    assert len(apps(graph_emulator, tenant)) == 1
    rerun = run_tasks(tmp_path, "rerun", [app_task(**options)], auth)
    assert one(rerun)["changed"] is False and len(apps(graph_emulator, tenant)) == 1


def test_managed_identity_reads_the_app(graph_emulator, tenant, writer, tmp_path):
    graph_emulator.admin(tenant).add_application({"displayName": NAME, "uniqueName": UNIQUE})
    identity = graph_emulator.add_managed_identity(tenant, roles=["Application.Read.All"])
    defaults = {
        "managed_identity": "system",
        "login_endpoint": graph_emulator.url,
        "graph_endpoint": graph_emulator.url,
        "ca_path": graph_emulator.ca_path,
    }
    result = run_tasks(tmp_path, "msi", [info_task(unique_name=UNIQUE)], defaults, env=identity["env"])
    assert result.rc == 0, one(result, "Info")["msg"]
    assert one(result, "Info")["exists"] is True and one(result, "Info")["tenant_id"] == tenant
    assert identity["identity_header"] not in result.output
    # Without write permission, entra_app says which one it lacks.
    denied = run_tasks(tmp_path, "msi-write", [app_task(unique_name=UNIQUE, display_name=NAME, notes="x")], defaults, env=identity["env"])
    assert denied.rc != 0 and "Application.ReadWrite" in one(denied)["msg"]


@pytest.mark.parametrize(
    "case, code, meaning",
    [
        ("unknown-client", "AADSTS700016", "no application with this client_id"),
        ("unknown-tenant", "AADSTS90002", "the tenant does not exist"),
        ("expired-secret", "AADSTS7000222", "the client secret has expired"),
    ],
)
def test_sign_in_failures_name_the_aadsts_code(graph_emulator, tenant, writer, tmp_path, case, code, meaning):
    ident = dict(writer)
    tenant_id = tenant
    if case == "unknown-client":
        ident["client_id"] = "0d1e2f3a-0000-4000-8000-00000000dead"
    elif case == "unknown-tenant":
        tenant_id = "0d1e2f3a-0000-4000-8000-00000000beef"
    else:
        graph_emulator.clock.advance(days=800)  # past the default two-year lifetime
    result = run_tasks(tmp_path, case, [app_task(unique_name=UNIQUE, display_name=NAME)], auth_vars(graph_emulator, tenant_id, ident, tmp_path))
    assert result.rc != 0
    msg = one(result)["msg"]
    assert code in msg and meaning in msg, msg
    assert writer["client_secret"] not in result.output and "Traceback" not in msg


def test_malformed_ids_are_rejected_before_any_request(graph_emulator, tenant, writer, tmp_path):
    graph_emulator.reset_log()
    bad = auth_vars(graph_emulator, "contoso onmicrosoft", writer, tmp_path)
    result = run_tasks(tmp_path, "malformed", [app_task(unique_name=UNIQUE, display_name=NAME)], bad)
    assert result.rc != 0 and "tenant_id" in one(result)["msg"]
    assert [r for r in graph_emulator.requests() if r["kind"] != "control"] == []


def test_a_hand_made_namesake_is_reported_not_adopted(graph_emulator, tenant, writer, tmp_path):
    portal = graph_emulator.admin(tenant).add_application({"displayName": NAME})
    result = run_tasks(tmp_path, "namesake", [app_task(unique_name=UNIQUE, display_name=NAME)], auth_vars(graph_emulator, tenant, writer, tmp_path))
    assert result.rc == 0, one(result)["msg"]
    assert any(portal["appId"] in w and "app_id" in w for w in one(result)["warnings"])
    assert one(result)["app_id"] != portal["appId"]


def test_ca_path_is_needed_and_validate_certs_false_is_warned(graph_emulator, tenant, writer, tmp_path):
    graph_emulator.admin(tenant).add_application({"displayName": NAME, "uniqueName": UNIQUE})
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path)
    auth.pop("ca_path")
    untrusted = run_tasks(tmp_path, "untrusted", [info_task(unique_name=UNIQUE)], auth)
    assert untrusted.rc != 0 and "Set ca_path" in one(untrusted, "Info")["msg"]
    unverified = run_tasks(tmp_path, "unverified", [info_task(unique_name=UNIQUE)], dict(auth, validate_certs=False))
    assert unverified.rc == 0, one(unverified, "Info")["msg"]
    assert any("validate_certs=false" in w for w in one(unverified, "Info")["warnings"])
