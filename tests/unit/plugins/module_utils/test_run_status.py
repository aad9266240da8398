"""The status playbook's decisions for one host: every problem, every state, the secret match."""

import json

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _run_status as st
from ansible_collections.procall.msteams.plugins.module_utils import _status_report as rp

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
HOST = "ucs1"
SECRET = "abcDEF-deployed-value"


def current(**changes):
    base = {
        "installed": True,
        "config_present": True,
        "config_valid": True,
        "tenant_id": TENANT,
        "client_id": CLIENT,
        "service_state": "running",
        "integration_enabled": True,
        "user_consent_pending": False,
    }
    base.update(changes)
    return base


def secret(key, days, hint="abc", host=HOST):
    return {"key_id": key, "display_name": "procall-msteams: " + host, "hint": hint, "end_date": "2027-01-01T00:00:00Z", "days_left": days}


def app(*secrets, **changes):
    base = {"exists": True, "display_name": "ProCall Integration in Microsoft Teams", "secrets": list(secrets)}
    base.update(changes)
    return base


def row(cur=None, info=None, deployed=SECRET, **kw):
    return st.status_row(HOST, current() if cur is None else cur, app(secret("k1", 100)) if info is None else info, deployed, TENANT, **kw)


# -- the five states -----------------------------------------------------------------------------------


def test_state_ok():
    r = row()
    assert (r["status"], r["reason"]) == ("ok", "")
    assert r["secret_key_id"] == "k1" and r["secret_days_left"] == 100 and r["app_display_name"].startswith("ProCall")


def test_state_consent_pending_when_integration_disabled():
    assert row(current(integration_enabled=False))["status"] == "consent_pending"


def test_state_consent_pending_when_user_consent_missing():
    assert row(current(user_consent_pending=True))["status"] == "consent_pending"


def test_state_rotation_due_inside_the_window():
    assert row(info=app(secret("k1", 30)))["status"] == "rotation_due"
    assert row(info=app(secret("k1", 31)))["status"] == "ok"


def test_state_expiring_below_min_days():
    assert row(info=app(secret("k1", 13)))["status"] == "expiring"
    assert row(info=app(secret("k1", 14)))["status"] == "rotation_due"
    assert row(info=app(secret("k1", 20)), min_days=21)["status"] == "expiring"


def test_state_broken_wins():
    r = row(current(service_state="stopped", integration_enabled=False), info=app(secret("k1", 5)))
    assert r["status"] == "broken" and r["reason"] == "service stopped, not running"


# -- the nine problems -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cur", "info", "deployed", "problem"),
    [
        (current(installed=False, config_present=False, client_id=None, service_state=None), app(), None, "UCServer not installed"),
        (current(config_present=False, config_valid=False, client_id=None, tenant_id=None), app(), None, "msteams.cfg missing"),
        (current(config_valid=False, client_id=None), app(), None, "msteams.cfg is not valid JSON"),
        (current(client_id=None), app(), None, "no client id configured"),
        (current(service_state="stopped"), None, SECRET, "service stopped, not running"),
        (current(service_state=None), None, SECRET, "service unknown, not running"),
        (current(), {"failed": True, "msg": "Could not read the application: Graph answered 403"}, SECRET, "app not readable in Graph: Could not read"),
        (current(), {"failed": True}, SECRET, "app not readable in Graph: ?"),
        (current(), app(exists=False), SECRET, "the configured app does not exist in the tenant (deleted?)"),
        (current(), app(secret("k1", 100, hint="zzz")), SECRET, "the deployed secret is not a secret of the app (revoked or mistyped)"),
        (current(), app(secret("k1", 100)), None, "the deployed secret is not a secret of the app (revoked or mistyped)"),
        (current(), app(secret("k1", 0)), SECRET, "secret expired"),
        (current(), app(secret("k1", -3)), SECRET, "secret expired"),
    ],
)
def test_each_problem_makes_the_host_broken(cur, info, deployed, problem):
    r = row(cur, info, deployed)
    assert r["status"] == "broken"
    assert problem in r["reason"].split("; ") or r["reason"].startswith(problem)


def test_problems_are_listed_together_in_fix_order():
    r = row(current(config_valid=False, client_id=None, service_state="stopped"), app(), None)
    assert r["reason"] == "msteams.cfg is not valid JSON; no client id configured; service stopped, not running"


def test_not_installed_host_lists_each_missing_piece():
    r = row(current(installed=False, config_present=False, client_id=None, service_state=None), app(), None)
    assert r["reason"] == "UCServer not installed; msteams.cfg missing; service unknown, not running"


def test_no_graph_problem_without_a_configured_app():
    # Without a client id there is no app to ask Graph about: no Graph sentence on top.
    r = row(current(client_id=None), {"failed": True, "msg": "boom"}, None)
    assert "Graph" not in r["reason"]


def test_unknown_days_left_never_count_as_ok():
    # A secret without an end date cannot be trusted to last: expired (as the Jinja rule had it).
    assert row(info=app(secret("k1", None)))["reason"] == "secret expired"
    assert st.state_of([], None, current()) == "expiring"


# -- matching the deployed secret ------------------------------------------------------------------------------


def test_match_prefers_the_host_own_secret_by_exact_name():
    other = secret("k-other", 10, host="ucs10")  # "ucs1" is a substring of "ucs10": a regex search took it
    mine = secret("k-mine", 100)
    assert st.match_secret([other, mine], SECRET, HOST)["key_id"] == "k-mine"


def test_match_falls_back_to_any_secret_with_the_hint():
    shared = {"key_id": "k-shared", "display_name": "procall-msteams", "hint": "abc", "days_left": 50}
    assert st.match_secret([shared], SECRET, HOST)["key_id"] == "k-shared"


def test_match_takes_the_soonest_expiry_among_equals():
    assert st.match_secret([secret("k-late", 100), secret("k-soon", 40)], SECRET, HOST)["key_id"] == "k-soon"


def test_match_needs_a_deployed_value():
    assert st.match_secret([secret("k1", 100)], None, HOST) is None
    assert st.match_secret([secret("k1", 100)], "", HOST) is None
    assert st.match_secret(None, SECRET, HOST) is None


def test_status_key_is_tenant_and_client_case_insensitive():
    assert st.status_key(TENANT.upper(), {"client_id": CLIENT.upper()}) == f"{TENANT}/{CLIENT}"
    assert st.status_key(TENANT, {"client_id": None}) == ""
    assert st.status_key(TENANT, None) == ""


def test_row_never_holds_the_deployed_secret():
    assert SECRET not in json.dumps(row())


def test_unread_row_has_a_reason():
    assert st.unread_row(None)["reason"] == "the host could not be read"


# -- replaced secrets that still work (an overlapping run, a revoke that failed) ---------------------------------------


def dated(key, hint, start, days=100, end="2027-01-01T00:00:00Z", host=HOST):
    return dict(secret(key, days, hint, host), start_date=start, end_date=end)


def test_replaced_secrets_are_reported_per_host_without_a_problem():
    info = app(
        dated("k-run", "abc", "2026-05-01T00:00:00Z"),
        dated("k-left", "old", "2026-01-01T00:00:00Z", days=20),
        dated("k-expired", "exp", "2025-01-01T00:00:00Z", days=-3, end="2026-05-29T00:00:00Z"),
        dated("k-newer", "new", "2026-05-31T00:00:00Z"),
        dated("k-other", "oth", "2026-01-01T00:00:00Z", host="ucs2"),
        secrets_read_at="2026-06-01T00:00:00Z",
    )
    r = row(info=info)
    assert r["status"] == "ok" and r["reason"] == ""
    assert r["replaced_secrets"] == [{"key_id": "k-left", "days_left": 20}, {"key_id": "k-newer", "days_left": 100}]
    report = rp.status_report([(HOST, "contoso", r)])
    assert report["lines"][-3].startswith("Replaced secrets still valid") and report["lines"][-2].split() == [HOST, "k-left", "20"]
    assert json.loads(report["json"])["hosts"][0]["replaced_secrets"] == r["replaced_secrets"]


def test_no_replaced_secrets_without_the_read_time_or_a_match_of_the_hosts_own_name():
    secrets = (dated("k-run", "abc", "2026-05-01T00:00:00Z"), dated("k-left", "old", "2026-01-01T00:00:00Z"))
    assert row(info=app(*secrets))["replaced_secrets"] == []
    shared = dict(dated("k-run", "abc", "2026-05-01T00:00:00Z"), display_name="procall-msteams")
    assert row(info=app(shared, secrets[1], secrets_read_at="2026-06-01T00:00:00Z"))["replaced_secrets"] == []
    assert row(info=app(*secrets, secrets_read_at="2026-06-01T00:00:00Z"), deployed="zzz-unknown")["replaced_secrets"] == []
    assert rp.report_row(HOST, "contoso", {"status": "failed"})["replaced_secrets"] == []
