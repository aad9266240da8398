"""The ucserver role's result and failure sentence, branch by branch (module_utils/_ucserver_outcome.py)."""

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_outcome as outcome

from tests.unit.plugins.module_utils.ucserver_cases import OLD, SECRET, converged, plan

# -- the result and the failure sentence --------------------------------------------------
OK = {"changed": True}
FAILED = {"failed": True, "msg": "boom"}
SKIPPED = {"skipped": True}


def test_outcome_of_a_change():
    p = plan(converged(OLD))
    r = outcome.outcome(p, {"gui": OK, "stop": OK, "backup": OK, "write": OK, "acl": {"results": [OK, {"changed": False}]}, "start": OK}, check_mode=False)
    assert r["restarted"] and r["started"] and r["gui_closed"] and r["acl_changed"] and r["changed"] and not r["failed"]
    assert r["backup_path"] == p["backup_path"] and r["changed_keys"] == ["u8sClientSecret"] and "msg" not in r


def test_outcome_of_a_start_only_and_of_a_converged_host():
    r = outcome.outcome(plan(converged(), state="stopped"), {"start": OK, "stop": SKIPPED, "gui": SKIPPED, "backup": SKIPPED})
    assert r["started"] and not r["restarted"] and r["changed"] and r["backup_path"] is None and not r["gui_closed"]
    quiet = outcome.outcome(plan(converged()), {}, check_mode=True)
    assert not quiet["changed"] and not quiet["started"] and quiet["check_mode"] and not quiet["acl_changed"]
    assert outcome.outcome(plan(converged(), file_acl="always"), {"acl": {"results": [OK]}})["changed"] is True


def fail(p, steps, step, result=None, no_log=False):
    return outcome.outcome(p, steps, failure={"step": step, "result": FAILED if result is None else result, "no_log": no_log})


RUNNING = {"changed": True, "state": "running"}


def test_outcome_ignores_steps_of_an_earlier_run():
    # the role's second run in a play: nothing to do, the steps' registered results are the first run's
    first_run = {"start": OK, "acl": {"results": [OK]}, "gui": OK, "backup": dict(OK, dest="x")}
    result = outcome.outcome(plan(converged()), first_run)
    assert not (result["changed"] or result["started"] or result["acl_changed"] or result["gui_closed"]) and result["backup_path"] is None
    assert not outcome.outcome(plan(converged(OLD)), first_run, check_mode=True)["started"]


def test_failure_stop_timeout():
    r = fail(
        plan(converged(OLD), service_timeout=3),
        {"stop": {"failed": True, "msg": "Timeout exceeded"}, "restart": RUNNING},
        "ucserver : Stop the UCServer service",
    )
    assert "did not stop within 3 seconds" in r["msg"] and "still in place" in r["msg"] and "running again" in r["msg"]
    assert r["failed"] and r["rolled_back"] and r["service_state"] == "running" and r["changed_keys"] == [] and not r["restarted"]


def test_failure_before_the_write():
    r = fail(plan(converged(OLD)), {"stop": OK, "backup": FAILED, "write": SKIPPED, "restart": RUNNING}, "Back up msteams.cfg")
    assert 'failed at "Back up msteams.cfg" (boom); msteams.cfg was not written' in r["msg"] and r["rolled_back"]


def test_failure_after_the_write_restored():
    p = plan(converged(OLD))
    r = fail(p, {"stop": OK, "backup": OK, "write": OK, "start": FAILED, "restore": OK, "restart": RUNNING}, "Start the UCServer service")
    assert f"restored from {p['backup_path']}" in r["msg"] and r["rolled_back"]


def test_failure_after_the_write_removed():
    r = fail(plan(None), {"stop": OK, "write": OK, "start": FAILED, "restore": SKIPPED, "unwrite": OK, "restart": RUNNING}, "Start the UCServer service")
    assert "the new msteams.cfg was removed" in r["msg"] and r["rolled_back"]


def test_failure_restore_failed_and_service_down():
    restart = {"failed": True, "msg": "Failed to start service 'eucsrv'", "state": "stopped"}
    r = fail(plan(converged(OLD)), {"stop": OK, "write": OK, "restore": FAILED, "unwrite": SKIPPED, "acl_undo": FAILED, "restart": restart}, "Start")
    assert "RESTORING THE PREVIOUS msteams.cfg FAILED" in r["msg"] and "by hand" in r["msg"] and not r["rolled_back"]
    assert "inherited permissions" in r["msg"] and "is NOT running: Failed to start service 'eucsrv'" in r["msg"]
    assert r["service_state"] == "stopped"


def test_failure_restart_never_ran():
    r = fail(plan(converged(OLD)), {"stop": OK, "write": SKIPPED}, "Back up msteams.cfg")
    assert "NOT running: state unknown" in r["msg"] and r["service_state"] == "unknown"


def test_failure_of_a_start_only():
    r = fail(plan(converged(), state="stopped"), {"stop": SKIPPED, "write": SKIPPED, "start": FAILED, "restart": {"failed": True, "msg": "x"}}, "Start")
    assert r["msg"].startswith('Starting the stopped UCServer service eucsrv failed at "Start" (boom); msteams.cfg was up to date')


@pytest.mark.parametrize("no_log", [True, "True", "true"])
def test_failure_of_a_no_log_step_hides_its_uncensored_result(no_log):
    # ansible-core 2.19 hands the rescue an uncensored ansible_failed_result of a no_log task.
    leaky = {"failed": True, "msg": "could not write " + SECRET}
    r = fail(plan(converged(OLD)), {"stop": OK, "write": leaky, "restore": OK, "restart": RUNNING}, "Write msteams.cfg", leaky, no_log)
    assert "details hidden by no_log" in r["msg"] and SECRET not in r["msg"]


@pytest.mark.parametrize(
    ("result", "reason"),
    [({"censored": "the output has been hidden", "failed": True}, "details hidden by no_log"), ("not a dict", "no message"),
     ({"failed": True}, "no message"),
     ({"failed": True, "msg": "One or more items failed", "results": [{"changed": False}, {"failed": True, "msg": "x is not a valid user"}]},
      "x is not a valid user")],
)  # fmt: skip
def test_failure_reasons(result, reason):
    r = fail(plan(converged(OLD)), {"stop": OK, "write": SKIPPED, "restart": RUNNING}, "Allow", result)
    assert f"({reason})" in r["msg"]


def test_failure_default_step_name():
    assert 'failed at "a step"' in outcome.outcome(plan(converged(OLD)), {"stop": OK}, failure={"result": FAILED})["msg"]


def test_old_backups():
    files = [{"filename": f"msteams.cfg.2026010{i}T000000Z.bak"} for i in (3, 1, 2)]
    assert [f["filename"][-20:-12] for f in outcome.old_backups(files, 1)] == ["20260101", "20260102"]
    assert outcome.old_backups(files, "5") == [] and outcome.old_backups(None, 1) == []
    assert len(outcome.old_backups(files, 0)) == 3


# -- a host that stops answering (apply.yml runs its steps with ignore_unreachable) -----------------------------------------

LOST = {"unreachable": True, "msg": "Failed to connect to the host via winrm: timed out", "changed": False}


def test_unreachable_step_names_the_first_lost_step_in_the_role_order():
    assert outcome.unreachable_step({}) == "" and outcome.unreachable_step(None) == ""
    assert outcome.unreachable_step({"gui": OK, "stop": OK, "write": SKIPPED, "restart": FAILED}) == ""
    steps = {"gui": OK, "stop": LOST, "write": LOST}
    assert outcome.unreachable_step(steps) == "the host stopped answering while stopping the service (Failed to connect to the host via winrm: timed out)"
    # A key the role does not word yet is named as it is.
    assert outcome.unreachable_step({"cleanup": LOST}).startswith("the host stopped answering while cleanup (")


@pytest.mark.parametrize("step", ["slurp", "write"])
def test_unreachable_step_never_repeats_the_error_of_a_step_that_holds_msteams_cfg(step):
    leaked = dict(LOST, msg="winrm send_input failed; stdout: u8sClientSecret=" + OLD)
    sentence = outcome.unreachable_step({step: leaked})
    assert sentence.endswith("(details hidden by no_log)") and OLD not in sentence


def test_a_lost_step_is_not_ok_so_nothing_claims_it_was_undone():
    # The host stopped answering after the write: the restore and the restart could not run either.
    p = plan(converged(OLD))
    r = fail(p, {"stop": OK, "backup": OK, "write": OK, "acl": LOST, "restore": LOST, "restart": LOST}, "Stop when the host stopped answering")
    assert r["msg"].startswith("Configuring the host stopped: the host stopped answering while setting the access rules of msteams.cfg")
    assert "msteams.cfg may already hold the new configuration" in r["msg"] and "A rerun once the host answers again is safe" in r["msg"]
    assert "restored" not in r["msg"] and not r["rolled_back"] and r["service_state"] == "unknown"


def test_a_host_lost_before_the_write_says_the_file_is_untouched():
    r = fail(plan(converged(OLD)), {"gui": OK, "stop": LOST, "restart": LOST}, "Stop when the host stopped answering")
    assert "while stopping the service" in r["msg"] and "msteams.cfg was not written, the old configuration is in place" in r["msg"]
    assert r["rolled_back"]


def test_a_lost_start_is_not_reported_as_started():
    p = plan(converged(OLD))
    r = outcome.outcome(p, {"stop": OK, "write": OK, "start": dict(LOST, changed=True)})
    assert not r["started"] and not r["restarted"]


# -- the withdraw entry point's failure sentence -------------------------------------------
WITHDRAW = {"action": "restore", "backup_path": "C:\\U\\config\\msteams.cfg.20260101T000000Z.bak"}
STEP = "Restore msteams.cfg from before the own app"


def withdraw_failure(putback, restart, result=None, no_log=False):
    failure = {"step": STEP, "result": result if result is not None else FAILED, "no_log": no_log}
    return outcome.withdraw_failure(WITHDRAW, {"putback": putback, "restart": restart}, "eucsrv", failure=failure)


def test_withdraw_failure_with_the_own_app_file_put_back():
    msg = withdraw_failure(OK, RUNNING)
    assert msg.startswith(f'Taking the host off the own app failed at "{STEP}" (boom); the own-app msteams.cfg was put back;')
    assert msg.endswith("the service eucsrv is running. The host still runs the own app: its secrets are kept.")


def test_withdraw_failure_before_the_backup_changed_nothing():
    assert "; msteams.cfg was not changed; the service eucsrv is running." in withdraw_failure(SKIPPED, RUNNING)


@pytest.mark.parametrize("putback", [FAILED, {"unreachable": True, "msg": "timed out"}])
def test_withdraw_failure_when_the_put_back_failed_names_the_backup(putback):
    msg = withdraw_failure(putback, {"failed": True, "msg": "no"})
    assert f"PUTTING THE OWN-APP msteams.cfg BACK FAILED: copy {WITHDRAW['backup_path']} back by hand" in msg
    assert "the service eucsrv is in an unknown state." in msg


def test_withdraw_failure_of_a_no_log_step_hides_its_message():
    msg = withdraw_failure(OK, {"changed": True, "state": "stopped"}, result={"failed": True, "msg": SECRET}, no_log="True")
    assert SECRET not in msg and "(details hidden by no_log)" in msg and "eucsrv is stopped." in msg
