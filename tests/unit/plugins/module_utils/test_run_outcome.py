"""Decisions of onboard and rotate_secret for one host: each step's plan and the host's outcome."""

import json

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _run_outcome as o
from ansible_collections.procall.msteams.plugins.module_utils._run_settings import RunInputError, host_settings

from .test_run_settings import TENANT, settings

APP = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
OTHER = "99999999-bbbb-cccc-dddd-eeeeeeeeeeee"
NEW_VALUE = "xyz-the-new-secret-value"


def started(mode="onboard"):
    return o.plan_start(mode, settings(), {"app_id": APP, "object_id": "obj", "tenant_id": TENANT})


def running(client_id=APP, enabled=False, pending=True):
    return {"client_id": client_id, "integration_enabled": enabled, "user_consent_pending": pending, "service_state": "running"}


def secret_result(changed=True, **extra):
    result = {"changed": changed, "key_id": "k-new" if changed else "k-old", "end_date": "2027-01-01T00:00:00Z", "days_left": 180}
    result.update({"secret": NEW_VALUE} if changed else {})
    result.update({"replaced_key_ids": ["k-old"] if changed else [], "rotated": changed, "reason": "why"})
    result.update({"superseded_key_ids": ["k-old"] if changed else []})
    result.update(extra)
    return result


def through_deploy(mode="onboard", current=None, has_secret=True, result=None, check_mode=False):
    plan = o.plan_secret(mode, started(mode), running() if current is None else current, has_secret)
    return o.plan_deploy(mode, plan, secret_result() if result is None else result, check_mode)


# -- start ---------------------------------------------------------------------------------------------------


def test_start_refuses_an_unknown_mode():
    with pytest.raises(RunInputError, match="mode must be one of onboard, rotate"):
        o.plan_start("deploy", settings())


def test_start_keeps_the_inventory_failure():
    plan = o.plan_start("onboard", host_settings("ucs1", {}))
    assert not plan["proceed"] and "no msteams_tenant_id" in plan["outcome"]["reason"]
    assert o.plan_start("onboard", None)["outcome"]["status"] == "failed"


def test_start_after_a_halt_is_not_attempted():
    plan = o.plan_start("rotate", settings(), {"app_id": APP}, halted="every host of a batch failed")
    assert plan == {
        "proceed": False,
        "outcome": {"status": "not_attempted", "reason": "every host of a batch failed"},
        # Every later step of the host skips on these alone.
        "change": False,
        "secret_call": False,
        "deploy": False,
        "revoke_key_ids": [],
    }


def test_start_when_the_app_step_failed_names_tenant_and_leader():
    plan = o.plan_start("onboard", settings(), None, app_error="Graph answered 403", leader="ucs0")
    assert plan["outcome"] == {"status": "failed", "reason": "the app registration of tenant contoso failed (on ucs0): Graph answered 403"}


def test_start_without_an_app_id_yet_is_skipped():
    plan = o.plan_start("onboard", settings(), {"app_id": None, "changed": True})
    assert plan["outcome"] == {"status": "skipped", "reason": o.NO_APP_YET_REASON}


def test_start_takes_the_tenant_guid_from_graph_else_from_the_inventory():
    plan = o.plan_start("onboard", settings(msteams_tenant_id="contoso.example"), {"app_id": APP, "tenant_id": TENANT})
    assert plan["proceed"] and plan["app"]["tenant_id"] == TENANT
    assert o.plan_start("onboard", settings(), {"app_id": APP})["app"]["tenant_id"] == TENANT


# -- secret step -------------------------------------------------------------------------------------------------


def test_secret_step_keeps_a_stopped_plan():
    stopped = o.plan_start("rotate", settings(), {"app_id": APP}, halted="halted")
    assert o.plan_secret("rotate", stopped, None, False) == stopped
    assert not o.plan_secret("rotate", None, None, False)["proceed"]


def test_same_app_compares_client_ids_case_insensitively():
    assert o.same_app({"client_id": APP.upper()}, APP)
    assert not o.same_app({"client_id": None}, APP)
    assert not o.same_app(None, APP)


def test_same_app_with_its_secret_keeps_it():
    plan = o.plan_secret("onboard", started(), running(), True)
    assert (plan["secret_state"], plan["send_current_secret"], plan["same_app"]) == ("present", True, True)


def test_same_app_without_a_deployed_secret_gets_a_new_one():
    plan = o.plan_secret("onboard", started(), running(), False)
    assert (plan["secret_state"], plan["send_current_secret"]) == ("rotated", False)


def test_onboard_of_a_host_on_another_app_gets_a_new_secret():
    plan = o.plan_secret("onboard", started(), running(OTHER), True)
    assert plan["proceed"] and not plan["same_app"] and plan["secret_state"] == "rotated"


def test_rotate_skips_a_host_on_another_app():
    plan = o.plan_secret("rotate", started("rotate"), running(OTHER), True)
    assert plan["outcome"] == {"status": "skipped", "reason": f"it runs another app (client id {OTHER}): run procall.msteams.onboard for it first"}


def test_rotate_skips_a_host_without_an_app():
    plan = o.plan_secret("rotate", started("rotate"), running(None), False)
    assert plan["outcome"]["reason"] == "it has no own app configured: run procall.msteams.onboard for it first"


# -- deploy step ---------------------------------------------------------------------------------------------------


def test_deploy_step_keeps_a_stopped_plan():
    stopped = o.plan_secret("rotate", started("rotate"), running(None), False)
    assert o.plan_deploy("rotate", stopped, {"skipped": True}, False) == stopped
    assert not o.plan_deploy("rotate", None, None, False)["proceed"]


def test_deploy_step_raises_the_secret_step_message():
    with pytest.raises(o.HostStepFailed, match="^Could not add the secret: 403$"):
        through_deploy(result={"failed": True, "msg": "Could not add the secret: 403"})
    with pytest.raises(o.HostStepFailed, match="failed without a message"):
        through_deploy(result={"failed": True})


def test_deploy_step_refuses_a_secret_step_that_did_not_run():
    with pytest.raises(o.HostStepFailed, match="did not run"):
        through_deploy(result={"skipped": True})


def test_deploy_step_refuses_a_new_secret_without_value():
    with pytest.raises(o.HostStepFailed, match="no secret value to deploy"):
        through_deploy(result=secret_result(secret=None))


def test_check_mode_deploys_a_stand_in_for_the_new_secret():
    result = secret_result()
    del result["secret"]
    plan = through_deploy("rotate", result=result, check_mode=True)
    assert plan["deploy"] and plan["use_new_secret"] and plan["check_mode_secret"] == o.CHECK_MODE_SECRET
    assert plan["revoke_key_ids"] == ["k-old"]


def test_onboard_deploys_a_kept_secret_too():
    plan = through_deploy("onboard", result=secret_result(changed=False))
    assert plan["deploy"] and not plan["use_new_secret"] and plan["revoke_key_ids"] == []


def test_rotate_leaves_a_host_with_a_kept_secret_alone():
    plan = through_deploy("rotate", result=secret_result(changed=False))
    assert not plan["deploy"] and plan["revoke_key_ids"] == []


def test_rotate_deploys_a_new_secret_and_revokes_the_old_after():
    plan = through_deploy("rotate")
    assert plan["deploy"] and plan["use_new_secret"] and plan["revoke_key_ids"] == ["k-old"]


def test_plans_never_hold_a_secret_value():
    assert NEW_VALUE not in json.dumps(through_deploy("rotate"))


# -- outcome -----------------------------------------------------------------------------------------------------------


def test_outcome_of_a_stopped_host_is_its_reason():
    stopped = o.plan_start("rotate", settings(), {"app_id": APP}, halted="halted")
    assert o.host_outcome("rotate", stopped) == {"status": "not_attempted", "reason": "halted"}
    assert o.host_outcome("rotate", None)["status"] == "failed"


def test_outcome_rotated_with_revoke_and_restart():
    revoked = {"changed": True, "revoked_key_ids": ["k-old"]}
    out = o.host_outcome("rotate", through_deploy("rotate"), {"restarted": True, "integration_enabled": True}, revoked)
    assert out["status"] == "rotated" and out["revoked_key_ids"] == ["k-old"] and out["restarted"] is True
    assert (out["secret_key_id"], out["secret_days_left"], out["secret_created"], out["secret_decision"]) == ("k-new", 180, True, "why")
    assert out["reason"] == "" and out["client_id"] == APP


def test_outcome_kept_uses_what_was_read():
    plan = through_deploy("rotate", current=running(enabled=True, pending=False), result=secret_result(changed=False))
    out = o.host_outcome("rotate", plan, {"restarted": True, "integration_enabled": False}, None)
    assert out["status"] == "kept" and out["restarted"] is False and out["integration_enabled"] is True
    assert out["revoked_key_ids"] == []


def test_outcome_revoke_that_failed_or_did_nothing_lists_no_key():
    plan = through_deploy("rotate")
    assert o.host_outcome("rotate", plan, {}, {"changed": False})["revoked_key_ids"] == []
    failed = o.host_outcome("rotate", plan, {}, {"changed": True, "failed": True, "revoked_key_ids": ["k-old"], "msg": "Graph answered 503."})
    assert failed["revoked_key_ids"] == []
    # The host runs its new secret: it is rotated, and the leftover is named for the next run.
    assert failed["status"] == "rotated"
    assert failed["reason"] == "revoking the replaced secret(s) k-old failed (Graph answered 503); the next onboard or rotate_secret run revokes them"


def test_outcome_onboard_configured_only_with_integration_and_user_consent():
    plan = through_deploy("onboard")
    assert o.host_outcome("onboard", plan, {"integration_enabled": True, "user_consent_pending": False})["status"] == "configured"
    assert o.host_outcome("onboard", plan, {"integration_enabled": True, "user_consent_pending": True})["status"] == "consent_pending"
    assert o.host_outcome("onboard", plan, {"integration_enabled": False, "user_consent_pending": False})["status"] == "consent_pending"
    assert o.host_outcome("onboard", plan, None)["status"] == "consent_pending"


def test_outcome_in_check_mode_says_so():
    assert o.host_outcome("onboard", through_deploy(), {}, check_mode=True)["reason"] == o.CHECK_MODE_REASON


def test_failed_outcome_names_the_step_and_keeps_the_old_keys():
    out = o.failed_outcome(through_deploy("rotate"), "Start the UCServer service", "the service did not start", {"changed": True})
    assert out == {
        "status": "failed",
        "reason": "Start the UCServer service: the service did not start",
        "client_id": APP,
        "secret_kept_key_ids": ["k-old"],
        "withdrawn_key_id": "k-new",
    }


def test_failed_outcome_when_the_host_could_not_be_read_back():
    out = o.failed_outcome(through_deploy("rotate"), None, None, None, readback_failed=True)
    assert out["reason"] == "a task: failed without a message (the new secret k-new was kept: the host could not be read back)"
    assert out["withdrawn_key_id"] == ""


def test_failed_outcome_before_any_plan():
    assert o.failed_outcome(None, "Read", "WinRM refused") == {
        "status": "failed",
        "reason": "Read: WinRM refused",
        "client_id": "",
        "secret_kept_key_ids": [],
        "withdrawn_key_id": "",
    }


def test_withdraw_only_a_secret_this_run_created():
    assert o.withdraw_key_id(through_deploy("rotate")) == "k-new"
    assert o.withdraw_key_id(through_deploy("onboard", result=secret_result(changed=False))) == ""
    assert o.withdraw_key_id(None) == ""


# -- the fast path: the leader's one read of the app decides a converged host ------------------------------------------------

READ_AT = "2026-06-01T12:00:00Z"
DEPLOYED = "Abc-the-deployed-value"
HOST = "ucs1"
NAME = "procall-msteams: " + HOST


def cred(key_id, hint="Abc", start="2026-01-01T00:00:00Z", end="2026-12-01T00:00:00Z", name=NAME):
    return {"key_id": key_id, "display_name": name, "hint": hint, "start_date": start, "end_date": end, "days_left": 0}


def app_result(*secrets, read_at=READ_AT):
    return {"app_id": APP, "object_id": "obj", "tenant_id": TENANT, "secrets": list(secrets), "secrets_read_at": read_at}


def fast(mode="rotate", *secrets, deployed=DEPLOYED, current=None, **variables):
    start = o.plan_start(mode, settings(**variables), app_result(*secrets), host=HOST)
    return o.plan_secret(mode, start, running() if current is None else current, deployed)


def test_snapshot_is_this_hosts_part_of_the_app_read():
    start = o.plan_start("rotate", settings(), app_result(cred("k1"), cred("k2", name="procall-msteams: ucs2")), host=HOST)
    snapshot = start["snapshot"]
    assert snapshot["consumer"] == NAME and snapshot["read_at"] == READ_AT
    assert [c["keyId"] for c in snapshot["credentials"]] == ["k1"], "never another host's secret"


@pytest.mark.parametrize(
    ("result", "host"),
    [({"app_id": APP}, HOST), (app_result(cred("k1"), read_at=None), HOST), (app_result(cred("k1"), read_at="soon"), HOST), (app_result(cred("k1")), None)],
)
def test_no_snapshot_without_secrets_clock_or_host(result, host):
    assert o.plan_start("rotate", settings(), result, host=host)["snapshot"] is None


def test_a_converged_host_is_kept_without_any_call():
    plan = fast("rotate", cred("k1"))
    assert plan["secret_call"] is False and plan["change"] is False and plan["deploy"] is False
    assert plan["secret"]["key_id"] == "k1" and not plan["secret"]["created"]
    assert plan["secret"]["days_left"] == 183 and "no token request" in plan["secret"]["why"]
    assert plan["revoke_key_ids"] == [] and DEPLOYED not in json.dumps(plan)
    out = o.host_outcome("rotate", plan)
    assert out["status"] == "kept" and out["secret_key_id"] == "k1" and out["secret_days_left"] == 183


@pytest.mark.parametrize("state", ["stopped", "start_pending", "paused"])
def test_a_kept_secret_on_a_stopped_service_goes_to_the_role_to_start_it(state):
    current = {**running(), "service_state": state}
    plan = fast("rotate", cred("k1"), current=current)
    assert plan["secret_call"] is False and not plan["use_new_secret"], "the secret is kept"
    assert plan["deploy"] and plan["change"], "the role starts the stopped service"
    plan = through_deploy("rotate", current=current, result=secret_result(changed=False))
    assert plan["deploy"] and not plan["use_new_secret"]


@pytest.mark.parametrize(
    ("current", "needs"),
    [({"service_state": "running"}, False), ({"service_state": None}, False), ({}, False), (None, False), ({"service_state": "Stopped"}, True)],
)
def test_service_needs_start(current, needs):
    assert o.service_needs_start(current) is needs


def test_onboard_deploys_a_kept_secret_without_the_module():
    plan = fast("onboard", cred("k1"))
    assert plan["secret_call"] is False and plan["deploy"] and plan["change"] and not plan["use_new_secret"]
    assert o.plan_deploy("onboard", plan, {"skipped": True}, False) == plan, "a settled plan passes the deploy step"


@pytest.mark.parametrize(
    ("secrets", "why"),
    [
        ((cred("k1"), cred("k2")), "two secrets share the hint: the module decides (with a token request)"),
        ((cred("k1", end="2026-07-01T00:00:00Z"),), "30 days left: due"),
        ((cred("k1", hint="Xyz"),), "no secret of the host has the deployed hint"),
        ((), "the host has no secret in the app"),
    ],
)
def test_the_module_decides_when_the_read_does_not_settle_it(secrets, why):
    plan = fast("rotate", *secrets)
    assert plan["secret_call"] and plan["change"] and plan["secret_state"] == "present", why


def test_health_check_asks_the_module_for_every_host():
    plan = fast("rotate", cred("k1"), msteams_secret_health_check="yes")
    assert plan["secret_call"] and plan["send_current_secret"]


def test_a_host_without_a_deployed_secret_gets_a_new_one():
    plan = fast("onboard", cred("k1"), deployed=None)
    assert plan["secret_call"] and plan["secret_state"] == "rotated"


# -- revokes: only what this run superseded, and stale replaced secrets --------------------------------------------------------

OLD = "2026-01-01T00:00:00Z"
RECENT = "2026-06-01T11:30:00Z"  # 30 minutes before READ_AT: inside the default grace of 60


def test_cleanup_of_a_converged_host_revokes_only_old_replaced_secrets():
    plan = fast("rotate", cred("k-run", start="2026-03-01T00:00:00Z"), cred("k-left", hint="Old", start=OLD), cred("k-young", hint="New", start=RECENT))
    assert plan["secret_call"] is False and plan["change"] and not plan["deploy"]
    assert plan["revoke_key_ids"] == ["k-left"] and not plan["reread"]


def test_cleanup_spares_everything_while_the_running_secret_is_young():
    plan = fast("rotate", cred("k-run", start=RECENT), cred("k-left", hint="Old", start=OLD))
    assert plan["revoke_key_ids"] == [] and not plan["change"]


def test_cleanup_revokes_an_unused_secret_newer_than_the_running_one_once_past_the_grace():
    plan = fast("rotate", cred("k-run", start="2026-03-01T00:00:00Z"), cred("k-newer", hint="New", start="2026-04-01T00:00:00Z"))
    assert plan["revoke_key_ids"] == ["k-newer"]


def test_grace_zero_revokes_every_older_replaced_secret():
    plan = fast("rotate", cred("k-run", start="2026-06-01T11:59:00Z"), cred("k-left", hint="Old", start=RECENT), msteams_secret_revoke_grace_minutes=0)
    assert plan["revoke_key_ids"] == ["k-left"]


def created(superseded=("k-old",), key_id="k-new"):
    return secret_result(key_id=key_id, superseded_key_ids=list(superseded), replaced_key_ids=["k-old", "k-other-run"])


def test_a_new_secret_revokes_what_this_run_superseded_and_old_leftovers_not_an_overlapping_runs_secret():
    secrets = (cred("k-old", end="2026-06-20T00:00:00Z"), cred("k-left", hint="Lft", start=OLD), cred("k-other-run", hint="Oth", start=RECENT))
    plan = fast("rotate", *secrets)
    assert plan["secret_call"]
    deploy = o.plan_deploy("rotate", plan, created(), False)
    assert deploy["deploy"] and deploy["use_new_secret"]
    assert deploy["revoke_key_ids"] == ["k-old", "k-left"], "never k-other-run: younger than the grace"
    assert deploy["reread"], "the host is read again: the revoke keeps what it runs then"
    assert not o.plan_deploy("rotate", plan, dict(created(), secret=None), True)["reread"], "check mode changed nothing to read back"


def test_a_new_secret_for_a_host_that_ran_none_of_its_secrets_revokes_only_old_leftovers():
    plan = fast("onboard", cred("k-left", hint="Lft", start=OLD), cred("k-fresh", hint="Frs", start=RECENT))
    deploy = o.plan_deploy("onboard", plan, created(superseded=()), False)
    assert deploy["revoke_key_ids"] == ["k-left"]


def test_a_secret_the_module_kept_settles_cleanup_by_its_start():
    secrets = (cred("k1", start="2026-03-01T00:00:00Z"), cred("k2", start="2026-02-01T00:00:00Z"), cred("k-left", hint="Lft", start=OLD))
    plan = fast("rotate", *secrets)  # k1 and k2 share the deployed hint: the module picks (token request)
    kept = o.plan_deploy("rotate", plan, secret_result(changed=False, key_id="k1"), False)
    assert not kept["deploy"] and kept["revoke_key_ids"] == ["k-left", "k2"] and not kept["reread"]
    unknown = o.plan_deploy("rotate", plan, secret_result(changed=False, key_id="k-made-meanwhile"), False)
    assert unknown["revoke_key_ids"] == [], "a kept secret missing from the read settles nothing"


def test_without_a_snapshot_only_the_superseded_secret_goes():
    deploy = through_deploy("rotate", result=created())
    assert deploy["revoke_key_ids"] == ["k-old"]


def test_only_rotate_reads_the_host_in_its_start_step():
    assert o.reads_first("rotate") and not o.reads_first("onboard")
    start = {"proceed": True, "app": {"app_id": APP}}
    deferred = o.deferred_read(start)
    assert deferred["change"] and deferred["start"] == start and "change" not in start
