"""entra_app / entra_app_info against the Graph emulator (real msal, HTTPS).

The modules' main() runs in this process (milliseconds); tests that need what only a playbook
shows (-vvvv output) go through ansible-playbook.
"""

from __future__ import annotations

import re

import pytest

from .graph_play import app_task, auth_vars, info_task, run_module, run_tasks

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


def app(auth, check=False, diff=False, env=None, **options):
    """entra_app in this process with the play's module_defaults."""
    return run_module("entra_app", dict(auth, **options), check=check, diff=diff, env=env)


def info(auth, env=None, **options):
    return run_module("entra_app_info", dict(auth, **options), env=env)


def access(app):
    return {(e["type"], e["id"]) for r in app.get("requiredResourceAccess") or [] for e in r["resourceAccess"]}


def test_create_rerun_check_mode_and_absent(graph_emulator, tenant, writer, tmp_path):
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path)

    checked = app(auth, check=True, diff=True, unique_name=UNIQUE, display_name=NAME)
    assert checked["changed"] is True, checked
    assert checked["diff"]["after"]["state"] == "present"
    assert graph_emulator.count(writes=True) == 0
    assert apps(graph_emulator, tenant) == []

    res = app(auth, diff=True, unique_name=UNIQUE, display_name=NAME)
    assert res["changed"] is True, res
    [created] = apps(graph_emulator, tenant)
    assert (res["app_id"], res["object_id"], res["tenant_id"], res["unique_name"]) == (created["appId"], created["id"], tenant, UNIQUE)
    assert created["signInAudience"] == "AzureADMyOrg"
    assert created["publicClient"]["redirectUris"] == ["http://localhost"]
    assert len(access(created)) == 4 and ("Role", PRESENCE_RW) in access(created)
    # Check mode predicted the real run.
    assert checked["changed_properties"] == res["changed_properties"] and checked["diff"] == res["diff"]

    graph_emulator.reset_log()
    rerun = app(auth, diff=True, unique_name=UNIQUE, display_name=NAME)
    assert rerun["changed"] is False, rerun
    assert graph_emulator.count(writes=True) == 0
    assert graph_emulator.count(kind="token") == 0  # the first run's token, from the shared cache
    assert len(apps(graph_emulator, tenant)) == 1

    out = info(auth, unique_name=UNIQUE)
    assert out["exists"] is True and out["app_id"] == created["appId"], out
    assert out["permissions"]["application"] == ["Presence.ReadWrite.All"]
    assert out["permissions"]["delegated"] == ["Presence.Read", "Presence.Read.All", "User.Read"]
    assert out["service_principal_id"] is None and out["consent"]["complete"] is False
    assert out["secrets"] == []

    checked_gone = app(auth, check=True, diff=True, unique_name=UNIQUE, state="absent")
    assert checked_gone["changed"] is True and len(apps(graph_emulator, tenant)) == 1
    gone = app(auth, diff=True, unique_name=UNIQUE, state="absent")
    assert gone["changed"] is True and apps(graph_emulator, tenant) == [], gone
    assert checked_gone["diff"] == gone["diff"]
    again = app(auth, unique_name=UNIQUE, state="absent")
    assert again["changed"] is False


def test_out_of_band_drift_is_shown_and_repaired(graph_emulator, tenant, writer, tmp_path):
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path)
    task = dict(unique_name=UNIQUE, display_name=NAME, redirect_uris=["http://localhost", "https://www.estos.de/piimt"])
    assert app(auth, **task)["changed"] is True
    [created] = apps(graph_emulator, tenant)
    kept = list(created["requiredResourceAccess"])
    kept[0]["resourceAccess"] = [e for e in kept[0]["resourceAccess"] if e["id"] != PRESENCE_RW]
    graph_emulator.admin(tenant).patch_application(created["id"], {"publicClient": {"redirectUris": ["http://localhost"]}, "requiredResourceAccess": kept})

    graph_emulator.reset_log()
    check = app(auth, check=True, diff=True, **task)
    assert check["changed"] is True
    assert graph_emulator.count(writes=True) == 0
    res = app(auth, diff=True, **task)
    assert res["changed"] is True
    assert sorted(res["changed_properties"]) == ["permissions", "redirect_uris"]
    assert "Presence.ReadWrite.All" not in res["diff"]["before"]["permissions"]["application"]
    assert res["diff"]["after"]["permissions"]["application"] == ["Presence.ReadWrite.All"]
    assert "https://www.estos.de/piimt" in res["diff"]["after"]["redirect_uris"]
    assert "https://www.estos.de/piimt" not in res["diff"]["before"]["redirect_uris"]
    # Check mode listed exactly the changes the real run made.
    assert check["changed_properties"] == res["changed_properties"] and check["diff"] == res["diff"]
    [repaired] = apps(graph_emulator, tenant)
    assert ("Role", PRESENCE_RW) in access(repaired) and len(access(repaired)) == 4
    assert sorted(repaired["publicClient"]["redirectUris"]) == ["http://localhost", "https://www.estos.de/piimt"]
    assert app(auth, **task)["changed"] is False


def test_two_apps_with_the_display_name_is_a_clear_error(graph_emulator, tenant, writer, tmp_path):
    admin = graph_emulator.admin(tenant)
    first = admin.add_application({"displayName": NAME})
    second = admin.add_application({"displayName": NAME})
    result = app(auth_vars(graph_emulator, tenant, writer, tmp_path), display_name=NAME)
    assert result.get("failed") is True
    msg = result["msg"]
    assert "2 applications carry the display name" in msg
    assert first["appId"] in msg and second["appId"] in msg
    assert "Traceback" not in result.output
    assert graph_emulator.count(writes=True) == 0


def test_unknown_permission_names_the_closest(graph_emulator, tenant, writer, tmp_path):
    result = app(auth_vars(graph_emulator, tenant, writer, tmp_path), unique_name=UNIQUE, display_name=NAME, application_permissions=["Presence.ReadWrite.Al"])
    assert result.get("failed") is True
    assert "closest valid names: Presence.ReadWrite.All" in result["msg"]
    assert graph_emulator.count(writes=True) == 0


@pytest.mark.parametrize("unique_name", [UNIQUE, None], ids=["upsert", "display-name"])
def test_replication_lag_and_throttling_still_converge_to_one_app(graph_emulator, tenant, writer, tmp_path, unique_name):
    options = {"display_name": NAME, "owner_automation_identity": True}
    if unique_name:
        options["unique_name"] = unique_name
    # POST /applications/{id}/owners/$ref needs Directory.Read.All besides Application.ReadWrite.All
    # (https://learn.microsoft.com/graph/api/application-post-owners): the writer alone is refused.
    refused = app(auth_vars(graph_emulator, tenant, writer, tmp_path), **options)
    assert refused.get("failed") is True and "403 Authorization_RequestDenied" in refused["msg"], refused.get("msg")
    graph_emulator.clock.advance(seconds=60)  # the app that run created has replicated
    owner_writer = graph_emulator.add_automation_identity(tenant, roles=[*WRITER, "Directory.Read.All"])
    auth = auth_vars(graph_emulator, tenant, owner_writer, tmp_path)
    graph_emulator.faults.replication_lag(seconds=5)
    graph_emulator.faults.throttle(burst=3, retry_after=1)
    first = app(auth, **options)
    assert not first.get("failed"), first.get("msg")
    # The retries are in the result, one line each, and print no warning (issue 12: a few seconds of 120).
    assert any(": 429, waited 1 s" in line or ": 429 (" in line for line in first["graph_retries"]), first.get("graph_retries")
    assert first["warnings"] == []
    # A rerun comes after replication has caught up (lag is seconds in Entra ID); throttling stays on.
    graph_emulator.clock.advance(seconds=60)
    graph_emulator.faults.throttle(burst=2, retry_after=1)
    second = app(auth, **options)
    assert not second.get("failed"), second.get("msg")
    assert second["changed"] is False
    assert len(apps(graph_emulator, tenant)) == 1
    [created] = apps(graph_emulator, tenant)
    assert owner_writer["service_principal_id"] in graph_emulator.state(tenant)["owners"].get(created["id"], [])


def test_identity_without_permission_is_told_which_it_needs(graph_emulator, tenant, tmp_path):
    reader = graph_emulator.add_automation_identity(tenant, roles=["Application.Read.All"])
    result = app(auth_vars(graph_emulator, tenant, reader, tmp_path), unique_name=UNIQUE, display_name=NAME)
    assert result.get("failed") is True
    msg = result["msg"]
    assert "403 Authorization_RequestDenied" in msg and "request-id" in msg
    assert "Application.ReadWrite" in msg
    assert apps(graph_emulator, tenant) == []


def test_certificate_auth_works(graph_emulator, tenant, tmp_path):
    ident = graph_emulator.add_automation_identity(tenant, roles=WRITER, credential="certificate")
    result = app(auth_vars(graph_emulator, tenant, ident, tmp_path), unique_name=UNIQUE, display_name=NAME)
    assert result["changed"] is True and len(apps(graph_emulator, tenant)) == 1, result
    assert graph_emulator.count(kind="token") == 1


@pytest.mark.slow
def test_wrong_secret_names_the_aadsts_code_and_never_prints_it(graph_emulator, tenant, writer, tmp_path):
    bad = dict(writer, client_secret="not-the-right-secret-value-1234")
    result = run_tasks(tmp_path, "badsecret", [app_task(unique_name=UNIQUE, display_name=NAME)], auth_vars(graph_emulator, tenant, bad, tmp_path), verbosity=4)
    assert result.rc != 0
    assert "AADSTS7000215" in one(result)["msg"]
    assert "not-the-right-secret-value-1234" not in result.output


@pytest.mark.slow
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
    assert app(auth, unique_name=UNIQUE, display_name=NAME)["changed"] is True
    [created] = apps(graph_emulator, tenant)
    token = graph_emulator.token(tenant, writer["client_id"], writer["client_secret"]).json()["access_token"]
    added = graph_emulator.graph("POST", f"/applications/{created['id']}/addPassword", token, json={"passwordCredential": {"displayName": "ucserver01"}}).json()
    out = info(auth, app_id=created["appId"])
    [secret] = out["secrets"]
    assert secret["key_id"] == added["keyId"] and secret["display_name"] == "ucserver01"
    # Default lifetime two years; days are counted on Graph's clock (its Date header).
    assert 729 <= secret["days_left"] <= 731 and secret["expired"] is False
    assert added["secretText"] not in out.output


def test_info_reports_consent_state(graph_emulator, tenant, tmp_path):
    roles = ["Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All"]
    admin_ident = graph_emulator.add_automation_identity(tenant, roles=roles)
    auth = auth_vars(graph_emulator, tenant, admin_ident, tmp_path)
    assert app(auth, unique_name=UNIQUE, display_name=NAME)["changed"] is True
    [created] = apps(graph_emulator, tenant)
    token = graph_emulator.token(tenant, admin_ident["client_id"], admin_ident["client_secret"]).json()["access_token"]
    graph_sp = graph_emulator.state(tenant)["graph_service_principal_id"]
    graph_emulator.clock.advance(seconds=3)  # a real admin makes the service principal after the app has replicated
    sp = graph_emulator.graph("POST", "/servicePrincipals", token, json={"appId": created["appId"]}).json()
    grant = {"clientId": sp["id"], "consentType": "AllPrincipals", "resourceId": graph_sp, "scope": "Presence.Read User.Read"}
    assert graph_emulator.graph("POST", "/oauth2PermissionGrants", token, json=grant).status_code == 201
    graph_emulator.clock.advance(seconds=3)  # the info run comes after replication of what an admin did out of band

    partial = info(auth, unique_name=UNIQUE)
    assert partial["service_principal_id"] == sp["id"]
    assert partial["consent"]["delegated"] == {"granted": ["Presence.Read", "User.Read"], "missing": ["Presence.Read.All"]}
    assert partial["consent"]["application"] == {"granted": [], "missing": ["Presence.ReadWrite.All"]}
    assert partial["consent"]["complete"] is False

    assignment = {"principalId": sp["id"], "resourceId": graph_sp, "appRoleId": PRESENCE_RW}
    assert graph_emulator.graph("POST", f"/servicePrincipals/{graph_sp}/appRoleAssignedTo", token, json=assignment).status_code == 201
    [grant_obj] = [g for g in graph_emulator.state(tenant)["oauth2PermissionGrants"] if g["clientId"] == sp["id"]]
    graph_emulator.graph("PATCH", f"/oauth2PermissionGrants/{grant_obj['id']}", token, json={"scope": "Presence.Read Presence.Read.All User.Read"})
    graph_emulator.clock.advance(seconds=3)
    full = info(auth, unique_name=UNIQUE)
    assert full["consent"]["application"] == {"granted": ["Presence.ReadWrite.All"], "missing": []}
    assert full["consent"]["complete"] is True

    # consent: false (what rotate_secret asks) reads the app alone: one Graph request instead of several.
    before = graph_emulator.count(kind="graph")
    lean = info(auth, unique_name=UNIQUE, consent=False)
    assert graph_emulator.count(kind="graph") - before == 1
    assert "consent" not in lean and "service_principal_id" not in lean
    assert (lean["app_id"], lean["secrets"], lean["permissions"]) == (full["app_id"], full["secrets"], full["permissions"])
    assert lean["secrets_read_at"]


@pytest.mark.parametrize("unique_name", [UNIQUE, None], ids=["upsert", "display-name"])
def test_a_create_answered_with_a_transient_error_is_not_duplicated(graph_emulator, tenant, writer, tmp_path, unique_name):
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path)
    options = {"display_name": NAME}
    if unique_name:
        options["unique_name"] = unique_name
    graph_emulator.faults.conflicts(burst=1)  # the create answers 409 once
    result = app(auth, **options)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    # Sent twice: the 409 was retried (the upsert as it is, a POST after a re-check by name).
    assert graph_emulator.count(writes=True) == 2
    if not unique_name:
        assert graph_emulator.count(method="GET", path="/v1.0/applications") == 2  # lookup + re-check
    assert len(apps(graph_emulator, tenant)) == 1
    # Without unique_name the rerun finds the app by a display-name list, which shows a new app
    # only after replication (the module documents this window): the rerun comes after it.
    graph_emulator.clock.advance(seconds=3)
    rerun = app(auth, **options)
    assert rerun["changed"] is False and len(apps(graph_emulator, tenant)) == 1


@pytest.fixture
def lose_answers(monkeypatch):
    """``lose_answers(method, pattern, times=1)``: such requests reach the emulator (and are
    processed) but their answer is lost on the way back, as a dropped connection after the write."""
    import requests

    real = requests.Session.request
    rules = []

    def request(self, method, url, *args, **kwargs):
        response = real(self, method, url, *args, **kwargs)
        for rule in rules:
            if rule["left"] and method == rule["method"] and re.search(rule["pattern"], url):
                rule["left"] -= 1
                raise requests.exceptions.ConnectionError("connection reset after the request was sent")
        return response

    monkeypatch.setattr(requests.Session, "request", request)
    return lambda method, pattern, times=1: rules.append({"method": method, "pattern": pattern, "left": times})


@pytest.mark.parametrize("unique_name", [UNIQUE, None], ids=["upsert", "display-name"])
def test_a_create_whose_answer_was_lost_is_not_duplicated(graph_emulator, tenant, writer, tmp_path, unique_name, lose_answers):
    # Issue 14: POST was retried on 429 only, so a dropped connection failed the create, and
    # nothing re-read before a retry. Now the create is resent only after a re-read by its key.
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path)
    options = {"display_name": NAME}
    if unique_name:
        options["unique_name"] = unique_name
    lose_answers("PATCH" if unique_name else "POST", r"/v1\.0/applications")
    result = app(auth, **options)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True and len(apps(graph_emulator, tenant)) == 1
    assert any("connection failed" in line for line in result["graph_retries"])
    assert not any("max_retry_wait" in w for w in result["warnings"])  # recorded, not warned
    assert app(auth, **options)["changed"] is False


@pytest.mark.parametrize("fault", ["server_errors", "drop_connections"])
def test_5xx_and_dropped_connections_are_retried_for_every_call(graph_emulator, tenant, writer, tmp_path, fault):
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path)
    assert info(auth, display_name=NAME)["exists"] is False  # token and discovery before the fault
    getattr(graph_emulator.faults, fault)(burst=2)
    result = app(auth, unique_name=UNIQUE, display_name=NAME)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True and len(apps(graph_emulator, tenant)) == 1
    assert sum(int(m.group(1)) if (m := re.search(r"\((\d+) times\)", line)) else 1 for line in result["graph_retries"]) == 2
    assert result["warnings"] == []


def test_throttling_beyond_max_retry_wait_is_one_sentence_naming_call_wait_and_rerun(graph_emulator, tenant, writer, tmp_path):
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path, max_retry_wait=3)
    assert info(auth, display_name=NAME)["exists"] is False
    graph_emulator.faults.server_errors(burst=50, status=503)
    result = app(auth, unique_name=UNIQUE, display_name=NAME)
    assert result.get("failed") is True
    msg = result["msg"]
    assert msg.startswith("Could not ") and "503" in msg and re.search(r"Gave up on GET /\w+ after waiting 3 s", msg) and "run again" in msg, msg
    assert "\n" not in msg and "Traceback" not in result.output


def test_managed_identity_reads_the_app(graph_emulator, tenant, writer, tmp_path):
    graph_emulator.admin(tenant).add_application({"displayName": NAME, "uniqueName": UNIQUE})
    identity = graph_emulator.add_managed_identity(tenant, roles=["Application.Read.All"])
    defaults = {
        "managed_identity": "system",
        "login_endpoint": graph_emulator.url,
        "graph_endpoint": graph_emulator.url,
        "ca_path": graph_emulator.ca_path,
    }
    result = info(defaults, env=identity["env"], unique_name=UNIQUE)
    assert not result.get("failed"), result.get("msg")
    assert result["exists"] is True and result["tenant_id"] == tenant
    assert identity["identity_header"] not in result.output
    # Without write permission, entra_app says which one it lacks.
    denied = app(defaults, env=identity["env"], unique_name=UNIQUE, display_name=NAME, notes="x")
    assert denied.get("failed") is True and "Application.ReadWrite" in denied["msg"]


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
    result = app(auth_vars(graph_emulator, tenant_id, ident, tmp_path), unique_name=UNIQUE, display_name=NAME)
    assert result.get("failed") is True
    msg = result["msg"]
    assert code in msg and meaning in msg, msg
    assert writer["client_secret"] not in result.output and "Traceback" not in msg


def test_malformed_ids_are_rejected_before_any_request(graph_emulator, tenant, writer, tmp_path):
    graph_emulator.reset_log()
    result = app(auth_vars(graph_emulator, "contoso onmicrosoft", writer, tmp_path), unique_name=UNIQUE, display_name=NAME)
    assert result.get("failed") is True and "tenant_id" in result["msg"]
    assert "contoso onmicrosoft" not in result["msg"]  # a mistyped secret pasted here must not be printed
    bad_object = app(auth_vars(graph_emulator, tenant, writer, tmp_path), object_id="?$top=1", notes="x")
    assert bad_object.get("failed") is True and "object_id" in bad_object["msg"] and "GUID" in bad_object["msg"]
    assert [r for r in graph_emulator.requests() if r["kind"] == "graph"] == []


@pytest.mark.parametrize(
    "overrides, needle",
    [({"timeout": -1}, "timeout"), ({"timeout": 0}, "timeout"), ({"max_retry_wait": -1}, "max_retry_wait")],
)
def test_bad_numbers_fail_before_any_request(graph_emulator, tenant, writer, tmp_path, overrides, needle):
    graph_emulator.reset_log()
    result = app(auth_vars(graph_emulator, tenant, writer, tmp_path, **overrides), unique_name=UNIQUE, display_name=NAME)
    assert result.get("failed") is True and needle in result["msg"]
    assert [r for r in graph_emulator.requests() if r["kind"] != "control"] == []


def test_a_hand_made_namesake_is_reported_not_adopted(graph_emulator, tenant, writer, tmp_path):
    portal = graph_emulator.admin(tenant).add_application({"displayName": NAME})
    result = app(auth_vars(graph_emulator, tenant, writer, tmp_path), unique_name=UNIQUE, display_name=NAME)
    assert not result.get("failed"), result.get("msg")
    assert any(portal["appId"] in w and "app_id" in w for w in result["warnings"])
    assert result["app_id"] != portal["appId"]


def test_ca_path_is_needed_and_validate_certs_false_is_warned(graph_emulator, tenant, writer, tmp_path):
    graph_emulator.admin(tenant).add_application({"displayName": NAME, "uniqueName": UNIQUE})
    auth = auth_vars(graph_emulator, tenant, writer, tmp_path)
    auth.pop("ca_path")
    untrusted = info(auth, unique_name=UNIQUE)
    assert untrusted.get("failed") is True and "Set ca_path" in untrusted["msg"]
    assert "graph_retries" not in untrusted  # a TLS failure is not retried
    unverified = info(dict(auth, validate_certs=False), unique_name=UNIQUE)
    assert not unverified.get("failed"), unverified.get("msg")
    assert any("validate_certs=false" in w for w in unverified["warnings"])


def test_the_env_awx_injects_works(graph_emulator, tenant, writer, tmp_path):
    # Exactly what AWX's Azure Resource Manager credential injects (service principal fields),
    # plus this collection's own credential type with its cloud field left empty.
    graph_emulator.admin(tenant).add_application({"displayName": NAME, "uniqueName": UNIQUE})
    env = {
        "AZURE_SUBSCRIPTION_ID": "",
        "AZURE_CLIENT_ID": writer["client_id"],
        "AZURE_SECRET": writer["client_secret"],
        "AZURE_TENANT": tenant,
        "AZURE_CLOUD_ENVIRONMENT": "AzureCloud",
        "AZURE_AD_USER": "",
        "AZURE_PASSWORD": "",
        "AZURE_CLOUD": "",
    }
    endpoints = {"login_endpoint": graph_emulator.url, "graph_endpoint": graph_emulator.url, "ca_path": graph_emulator.ca_path}
    endpoints["token_cache_path"] = str(tmp_path / "awx-cache")
    result = info(endpoints, env=env, unique_name=UNIQUE)
    assert not result.get("failed"), result.get("msg")
    assert result["exists"] is True and result["tenant_id"] == tenant
    assert writer["client_secret"] not in result.output
