"""The ucserver role's plan for a host, branch by branch (module_utils/_ucserver_plan.py)."""

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _msteams_cfg as cfg
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_plan as host_plan
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_read as host_read

from tests.unit.plugins.module_utils.ucserver_cases import CFG_PATH, OLD, SECRET, converged, plan, service, settings


# -- access rules -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("account", "sid"),
    [(None, host_plan.SID_SYSTEM), ("", host_plan.SID_SYSTEM), ("LocalSystem", host_plan.SID_SYSTEM), ("NT AUTHORITY\\SYSTEM", host_plan.SID_SYSTEM),
     ("NT AUTHORITY\\LocalService", host_plan.SID_LOCAL_SERVICE), ("nt authority\\network service", host_plan.SID_NETWORK_SERVICE),
     (".\\ucsvc", ".\\ucsvc"), ("CONTOSO\\ucs$", "CONTOSO\\ucs$")],
)  # fmt: skip
def test_service_account_sid(account, sid):
    assert host_plan.service_account_sid(account) == sid


def test_acl_rules_system_admins_and_the_account_with_modify():
    everyone = [{"user": host_plan.SID_SYSTEM, "rights": "FullControl"}, {"user": host_plan.SID_ADMINISTRATORS, "rights": "FullControl"}]
    assert host_plan.acl_rules("LocalSystem") == everyone
    assert host_plan.acl_rules(".\\ucsvc")[-1] == {"user": ".\\ucsvc", "rights": "Modify"}


# -- the plan -----------------------------------------------------------------------------
def test_new_file_is_written_started_and_restricted():
    p = plan(None)
    assert p["write"] and p["start"] and p["restart"] and p["act"] and p["changed"]
    assert p["start_state"] == "restarted"  # an overlapping run may have started it since the stop
    assert p["backup"] is False and p["backup_path"] is None
    assert p["acl_paths"] == [CFG_PATH] and len(p["acl_entries"]) == 2
    assert [d["before_header"] for d in p["diff"]] == [CFG_PATH, "access rules"]
    assert SECRET not in repr(p)
    assert p["msg"].startswith("msteams.cfg changes (")


def test_changed_file_is_backed_up_and_both_restricted():
    p = plan(converged(OLD))
    assert p["changed_keys"] == ["u8sClientSecret"] and p["reason"] == "same_app" and p["mode"] == "update"
    assert p["backup_path"] == CFG_PATH + ".20260101T000000Z.bak" and p["backup"]
    assert p["acl_paths"] == [CFG_PATH, p["backup_path"]]
    assert {e["path"] for e in p["acl_entries"]} == set(p["acl_paths"])
    assert OLD not in repr(p) and SECRET not in repr(p)


def test_converged_and_running_does_nothing():
    p = plan(converged())
    assert not (p["write"] or p["start"] or p["restart"] or p["act"] or p["changed"])
    assert p["diff"] == [] and p["acl_paths"] == [] and "nothing to do" in p["msg"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_converged_but_stopped_is_started_not_restarted(check_mode):
    p = plan(converged(), state="stopped", check_mode=check_mode)
    assert p["start"] and p["changed"] and p["act"] and not p["write"] and not p["restart"]
    assert p["start_state"] == "started"
    assert p["diff"] == [{"before": "eucsrv: stopped\n", "after": "eucsrv: running\n", "before_header": "service eucsrv", "after_header": "service eucsrv"}]
    assert ("would be started" in p["msg"]) is check_mode


def test_changed_file_on_a_stopped_service_is_started_not_restarted():
    p = plan(converged(OLD), state="stopped")
    assert p["write"] and p["start"] and not p["restart"] and len(p["diff"]) == 3
    assert p["start_state"] == "restarted"


def test_acl_modes():
    assert plan(converged(), file_acl="always")["acl_paths"] == [CFG_PATH]
    assert plan(converged(), file_acl="always")["changed"] is False  # known only once win_acl ran
    assert plan(converged(), file_acl="always")["act"] is True
    never = plan(None, file_acl="never")
    assert never["acl_paths"] == [] and never["acl_entries"] == [] and len(never["diff"]) == 1


def test_service_account_override_and_check_mode_wording():
    p = host_plan.plan(settings(service_account=".\\other"), SECRET, host_read.locate(service(username=".\\ucsvc")), None, "s", check_mode=True)
    assert p["service_account"] == ".\\other" and p["acl_rules"][-1]["user"] == ".\\other"
    assert "would change" in p["msg"]


def test_content_is_decided_from_what_the_stopped_service_left():
    left = converged(OLD, u8sTokenCache="REFRESHED")
    text = host_plan.content({"content": left}, settings(log_level=6), SECRET)
    values = cfg.parse_cfg(text)["values"]
    assert values["u8sTokenCache"] == "REFRESHED" and values["u8sClientSecret"] == SECRET and values["iLogLevel"] == 6
    for no_file in ({"failed": True, "msg": "Path not found"}, {"skipped": True}, None):
        assert cfg.parse_cfg(host_plan.content(no_file, settings(), SECRET))["values"]["bEnabled"] == 0
