"""Decisions of procall.msteams.decommission and of rotate_secret's prune switch, per branch."""

import base64
import json

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _run_decommission as d
from ansible_collections.procall.msteams.plugins.module_utils._msteams_cfg import VENDOR_DEFAULTS
from ansible_collections.procall.msteams.plugins.module_utils._run_settings import RunInputError
from ansible_collections.procall.msteams.plugins.module_utils._run_summary import TITLES

APP = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
VENDOR_APP = "00000000-0000-0000-0000-00000000e510"
SECRET = "own-app-secret-value-123"
LOCATION = {"config_path": "C:\\UCServer\\config\\msteams.cfg", "service_state": "running", "service_name": "eucsrv"}


def b64(values):
    return base64.b64encode(json.dumps(values).encode()).decode()


OWN = b64(dict(VENDOR_DEFAULTS, u8sClientID=APP, u8sTenant="t", u8sClientSecret=SECRET))
VENDOR = b64(dict(VENDOR_DEFAULTS, u8sClientID=VENDOR_APP))


def backup(stamp, content):
    return {"path": "C:\\UCServer\\config\\msteams.cfg.%s.bak" % stamp, "filename": "msteams.cfg.%s.bak" % stamp, "content": content}


# -- selection and gone -----------------------------------------------------------------------------


@pytest.mark.parametrize("limit, selected", [("ucs-old1", None), (None, "ucs-old1"), ("", ["ucs-old1"]), ("all", "")])
def test_a_named_selection_is_accepted(limit, selected):
    assert d.selection_problem(limit, selected) == ""


@pytest.mark.parametrize("selected", [None, "", [], "  "])
def test_no_selection_is_refused_naming_the_variable(selected):
    problem = d.selection_problem(None, selected)
    assert "msteams_decommission_hosts" in problem and "--limit" in problem


@pytest.mark.parametrize("value, gone", [(True, True), ("yes", True), ("True", True), (False, False), ("no", False), (None, False)])
def test_host_gone(value, gone):
    assert d.host_gone({} if value is None else {"msteams_host_gone": value}) is gone


def test_a_bad_gone_value_names_the_variable_not_the_value():
    with pytest.raises(RunInputError) as err:
        d.host_gone({"msteams_host_gone": "perhaps"})
    assert "msteams_host_gone" in str(err.value) and "perhaps" not in str(err.value)


# -- the file step -----------------------------------------------------------------------------------


def test_the_newest_backup_without_the_own_app_is_restored():
    newer_vendor = b64(dict(VENDOR_DEFAULTS, u8sClientID=VENDOR_APP, iPollingRate=9))
    backups = [backup("20240101T000000Z", VENDOR), backup("20240201T000000Z", newer_vendor), backup("20240301T000000Z", OWN)]
    plan = d.withdraw_plan(APP, LOCATION, OWN, backups, "20260101T000000Z")
    assert plan["action"] == "restore" and plan["act"] and plan["changed"]
    assert plan["restore_from"].endswith("20240201T000000Z.bak")
    assert plan["backup_path"] == LOCATION["config_path"] + ".20260101T000000Z.bak"
    assert SECRET not in json.dumps(plan)
    assert "REDACTED" in plan["diff"][0]["before"] and VENDOR_APP in plan["diff"][0]["after"]


@pytest.mark.parametrize("backups", [[], [backup("20240301T000000Z", OWN)], [backup("20240101T000000Z", b64("not json"))]])
def test_without_a_backup_from_before_the_own_app_the_file_is_removed(backups):
    plan = d.withdraw_plan(APP, LOCATION, OWN, backups, "s", check_mode=True)
    assert plan["action"] == "remove" and plan["act"] and plan["restore_from"] is None
    assert plan["diff"][0]["after"] == "" and "would be removed" in plan["msg"]


@pytest.mark.parametrize("current", [None, VENDOR])
def test_a_host_without_the_own_app_is_left(current):
    plan = d.withdraw_plan(APP.upper(), LOCATION, current, [backup("1", VENDOR)])
    assert plan["action"] == "none" and not plan["act"] and not plan["changed"] and plan["diff"] == []


def test_the_own_app_is_matched_case_insensitively():
    assert d.withdraw_plan(APP.upper(), LOCATION, OWN, [])["action"] == "remove"


def test_withdraw_needs_the_client_id():
    with pytest.raises(RunInputError, match="ucserver_client_id"):
        d.withdraw_plan("", LOCATION, OWN)


def test_backups_from_slurp_skips_failed_reads():
    results = [
        {"item": {"path": "p1", "filename": "f1"}, "content": VENDOR},
        {"item": {"path": "p2", "filename": "f2"}, "failed": True, "msg": "denied"},
        {"skipped": True},
    ]
    assert d.backups_from_slurp(results) == [{"path": "p1", "filename": "f1", "content": VENDOR}]


# -- revocation -----------------------------------------------------------------------------------------


def test_a_gone_host_is_revoked_at_once():
    assert d.plan_revoke(True, APP)["revoke"] is True


def test_a_reachable_host_is_revoked_only_once_it_no_longer_runs_the_own_app():
    assert d.plan_revoke(False, APP, {"act": True}, {"client_id": VENDOR_APP})["revoke"] is True
    assert d.plan_revoke(False, APP, {"act": True}, {"client_id": None})["revoke"] is True
    kept = d.plan_revoke(False, APP, {"act": True}, {"client_id": APP})
    assert kept["revoke"] is False and "still runs" in kept["reason"]


def test_check_mode_plans_the_revocation_the_file_step_allows():
    assert d.plan_revoke(False, APP, {"act": True}, {"client_id": APP}, check_mode=True)["revoke"] is True


# -- the app and orphans ------------------------------------------------------------------------------


def secret(key_id, consumer, expired=False):
    name = "procall-msteams: %s" % consumer if consumer else "another tool"
    return {"key_id": key_id, "display_name": name, "expired": expired}


def test_the_app_is_left_without_the_opt_in():
    decision = d.app_delete(False, [])
    assert decision["delete"] is False and "msteams_decommission_delete_app" in decision["reason"]


def test_the_app_is_deleted_when_no_unexpired_secret_remains():
    decision = d.app_delete("true", [secret("k1", "ucs1"), secret("k2", "ucs2", expired=True)], revoked_key_ids=["k1"])
    assert decision["delete"] is True and "is deleted (restorable for 30 days" in decision["reason"]
    preview = d.app_delete("true", [secret("k1", "ucs1")], revoked_key_ids=["k1"], check_mode=True)
    assert preview["delete"] is True and "would be deleted (restorable for 30 days" in preview["reason"]


def test_the_app_is_left_while_a_secret_remains_or_a_host_failed():
    left = d.app_delete(True, [secret("k1", "ucs1"), secret("k9", "ucs9")], revoked_key_ids=["k1"])
    assert left["delete"] is False and left["remaining"] == ["k9"] and "ucs9" in left["reason"]
    failed = d.app_delete(True, [], failed_hosts=["ucs1"])
    assert failed["delete"] is False and "ucs1" in failed["reason"]


def test_orphans_are_secrets_of_consumers_in_no_inventory_host():
    secrets = [secret("k1", "ucs1"), secret("k2", "UCS2"), secret("k3", "ucs-old"), secret("k4", None), secret("k5", "ucs-gone"), secret("k6", "ucs-old")]
    orphans = d.orphan_key_ids(secrets, ["ucs1", "ucs2"], keep_key_ids=["k5"])
    assert orphans == [{"key_id": "k3", "consumer": "ucs-old"}, {"key_id": "k6", "consumer": "ucs-old"}]


def test_no_orphan_without_secrets():
    assert d.orphan_key_ids(None, ["ucs1"]) == []


# -- the outcome ------------------------------------------------------------------------------------------


def test_outcome_of_a_reachable_host():
    withdraw = {"act": True, "action": "restore", "restore_from": "b.bak", "msg": "msteams.cfg is restored from b.bak"}
    outcome = d.decommission_outcome(False, withdraw, {"revoke": True}, {"revoked_key_ids": ["k1"]}, None, {"service_state": "running"})
    assert outcome["status"] == "decommissioned" and outcome["revoked_key_ids"] == ["k1"] and outcome["restored_from"] == "b.bak"
    assert outcome["check_mode"] is False and "would_revoke_key_ids" not in outcome and "would_delete_app" not in outcome
    assert "service running" in outcome["reason"] and "k1" in outcome["reason"]
    assert outcome["status"] in TITLES


def test_outcome_of_a_gone_host_in_check_mode_with_the_app_decision():
    app = {"delete": True, "reason": "the app registration is deleted"}
    outcome = d.decommission_outcome(True, None, {"revoke": True}, {"revoked_key_ids": ["k2"]}, app, check_mode=True)
    assert outcome["status"] == "gone_revoked" and outcome["file_action"] == "not_contacted"
    assert "would be revoked" in outcome["reason"] and outcome["app_deleted"] is False
    # The preview row (decommission-check.json): nothing revoked or deleted, what would be is named apart.
    assert outcome["check_mode"] is True and outcome["revoked_key_ids"] == [] and outcome["would_revoke_key_ids"] == ["k2"]
    assert outcome["would_delete_app"] is True


def test_check_mode_outcome_of_a_reachable_host_names_the_planned_file_step():
    withdraw = {"act": True, "action": "restore", "restore_from": "b.bak", "msg": "msteams.cfg would be restored from b.bak"}
    outcome = d.decommission_outcome(False, withdraw, {"revoke": True}, {"revoked_key_ids": ["k1"]}, None, None, check_mode=True)
    assert outcome["file_action"] == "restore" and outcome["restored_from"] == "b.bak" and outcome["would_revoke_key_ids"] == ["k1"]
    assert outcome["revoked_key_ids"] == [] and outcome["would_delete_app"] is False and "check mode" in outcome["reason"]


def test_outcome_of_a_host_left_and_of_a_failed_revocation():
    outcome = d.decommission_outcome(False, {"act": False, "action": "none", "msg": "nothing"}, {"revoke": False, "reason": "kept"}, {"failed": True})
    assert outcome["status"] == "left" and outcome["revoked_key_ids"] == [] and "kept" in outcome["reason"]


# -- prune inside an AWX workflow (a job slice sees only its own hosts) ------------------------------


@pytest.mark.parametrize(
    "variables",
    [{}, {"awx_workflow_job_id": None}, {"awx_workflow_job_id": ""}, {"awx_workflow_job_id": 7, "msteams_prune_inventory_complete": "yes"}],
)
def test_prune_runs_outside_a_workflow_or_with_the_users_word(variables):
    assert d.prune_refusal(variables) is None


@pytest.mark.parametrize("name", ["awx_workflow_job_id", "tower_workflow_job_id"])
def test_prune_refuses_inside_a_workflow(name):
    sentence = d.prune_refusal({name: 40})
    assert "msteams_prune" in sentence and "msteams_prune_inventory_complete=true" in sentence


def test_prune_refusal_names_a_bad_flag_without_its_value():
    with pytest.raises(RunInputError) as err:
        d.prune_refusal({"awx_workflow_job_id": 40, "msteams_prune_inventory_complete": "s3cr3t-typo"})
    assert "msteams_prune_inventory_complete" in str(err.value) and "s3cr3t" not in str(err.value)
