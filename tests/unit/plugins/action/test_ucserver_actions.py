"""The role's action plugins, in-process: thin, they pass options through and word errors; the host answers are mocked."""

import base64
from types import SimpleNamespace
from unittest.mock import MagicMock

from ansible.template import Templar
from ansible_collections.procall.msteams.plugins.action import ucserver_plan, ucserver_preflight, ucserver_read, ucserver_withdraw_plan
from ansible_collections.procall.msteams.plugins.module_utils import _msteams_cfg, _ucserver_input, _ucserver_read

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SECRET = "Sup3r~Secret.value"


def action(cls, args, connection="ucsim.host.simhost", check_mode=False):
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = check_mode
    play_context = MagicMock()
    play_context.connection = connection
    play_context.check_mode = check_mode
    return cls.ActionModule(task, MagicMock(), play_context, MagicMock(), Templar(loader=MagicMock()), MagicMock())


def preflight(task_vars=None, **args):
    base = {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET}
    return action(ucserver_preflight, {**base, **args}).run(task_vars=task_vars or {})


def test_preflight_returns_settings_without_the_secret():
    result = preflight(log_level="7")
    assert not result.get("failed") and result["settings"]["cfg"]["log_level"] == 7 and result["changed"] is False
    assert SECRET not in repr(result) and result["unencrypted_transport"] is None


def test_preflight_fails_with_the_sentence():
    result = preflight(polling_rate=0, client_id=SECRET)
    assert result["failed"] and "ucserver_polling_rate" in result["msg"] and SECRET not in result["msg"]


def test_preflight_reads_the_host_connection_vars():
    plain = {"ansible_connection": "winrm", "ansible_port": 5985}
    refused = preflight(task_vars=plain)
    assert refused["failed"] and "ucserver_allow_unencrypted_winrm: true" in refused["msg"]
    allowed = preflight(task_vars=plain, allow_unencrypted_winrm=True)
    assert not allowed.get("failed") and "in clear" in allowed["warnings"][0]
    assert not preflight(task_vars={**plain, "ansible_winrm_transport": "ntlm"}).get("failed")


# -- reading the host: win_service_info + slurp, reused by the plan -----------------------------------
CFG_PATH = "C:\\Program Files\\estos\\UCServer\\config\\msteams.cfg"


def b64cfg(secret=SECRET, client=CLIENT):
    values = dict(_msteams_cfg.VENDOR_DEFAULTS, u8sTenant=TENANT, u8sClientID=client, u8sClientSecret=secret, bEnabled=1, u8sTokenCache="T")
    return base64.b64encode(_msteams_cfg.render_cfg(values).encode()).decode()


def host(content=None, service=True, cfg="file", dir_exists=True, fail=None):
    """The ansible.windows modules' answers on a host: ``cfg`` is "file", "missing", "folder" or "denied"; ``fail``: a module that fails."""
    text = b64cfg() if content is None else content

    def answer(module_name, module_args, task_vars):
        short = module_name.rsplit(".", 1)[1]
        if short == fail:
            return {"failed": True, "msg": "WMI is broken"}
        if short == "win_service_info":
            entry = {"name": "eucsrv", "state": "running", "path": '"C:\\Program Files\\estos\\UCServer\\eucsrv.exe" -service', "username": "LocalSystem"}
            return {"changed": False, "exists": service, "services": [entry] if service else []}
        if short == "win_stat":
            is_cfg = module_args["path"] == CFG_PATH
            exists = cfg != "missing" if is_cfg else dir_exists
            return {"changed": False, "stat": {"exists": True, "isdir": (cfg == "folder") if is_cfg else True} if exists else {"exists": False}}
        assert short == "slurp" and module_args == {"src": CFG_PATH}, (module_name, module_args)
        if cfg == "file":
            return {"changed": False, "content": text, "encoding": "base64", "source": CFG_PATH}
        return {"failed": True, "msg": {"missing": "Path x is not found", "folder": "Path x is a directory"}.get(cfg, "Access to the path 'x' is denied.")}

    return answer


def with_host(act, answer=None, play="PLAY-1"):
    """The action with its module calls answered by ``answer`` (each call recorded), in a play with this id."""
    act._task._play = None  # a task knows its play through its blocks
    act._task._parent = SimpleNamespace(_play=SimpleNamespace(_uuid=play), _parent=None)
    act._execute_module = MagicMock(side_effect=answer or host())
    return act


def called(act):
    return [c.kwargs["module_name"] for c in act._execute_module.call_args_list]


def test_read_is_two_module_calls_marked_no_log():
    act = with_host(action(ucserver_read, {"service_name": "eucsrv", "install_dir": ""}))
    result = act.run(task_vars={})
    assert called(act) == ["ansible.windows.win_service_info", "ansible.windows.slurp"]
    assert act._execute_module.call_args_list[0].kwargs["module_args"] == {"name": "eucsrv"}
    # the secret is in the result (for ucserver_current_secret), so the result censors itself
    assert result["_ansible_no_log"] is True and result["secret"] == SECRET and result["changed"] is False
    assert SECRET not in repr(result["current"]) and result["current"]["config_valid"] and result["current"]["service_state"] == "running"
    assert result["location"]["config_dir"].endswith("\\config") and result["probe"]["play"] == "PLAY-1"
    assert result["probe"]["version"] == _ucserver_read.PROBE_VERSION


def test_read_runs_the_modules_in_check_mode_too():
    act = with_host(action(ucserver_read, {}, check_mode=True))
    result = act.run(task_vars={})
    assert not result.get("failed") and len(called(act)) == 2 and result["secret"] == SECRET


def test_read_of_a_missing_file_stats_it():
    act = with_host(action(ucserver_read, {}), host(cfg="missing"))
    result = act.run(task_vars={})
    assert called(act)[-1] == "ansible.windows.win_stat" and len(called(act)) == 3
    assert not result.get("failed") and result["current"]["config_present"] is False and result["secret"] is None


def test_read_failures_are_shown_and_hold_no_secret():
    denied = with_host(action(ucserver_read, {}), host(cfg="denied"))
    result = denied.run(task_vars={})
    assert result["failed"] and "Could not read" in result["msg"] and "is denied" in result["msg"] and "_ansible_no_log" not in result
    assert len(called(denied)) == 3
    folder = with_host(action(ucserver_read, {}), host(cfg="folder")).run(task_vars={})
    assert folder["failed"] and "is a folder, not a file" in folder["msg"]
    broken = with_host(action(ucserver_read, {}), host(fail="win_service_info")).run(task_vars={})
    assert broken["failed"] and "WMI is broken" in broken["msg"] and "ansible.windows.win_service_info" in broken["msg"]
    bad = action(ucserver_read, {"install_dir": "\\\\srv\\share"}).run(task_vars={})
    assert bad["failed"] and "ucserver_install_dir must be a local folder" in bad["msg"]


def plan_args(**over):
    settings = _ucserver_input.check_inputs({"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET})
    args = {"settings": settings, "client_secret": SECRET}
    args.update(over)
    return args


def test_plan_reports_a_module_shaped_result_without_the_secret():
    act = with_host(action(ucserver_plan, plan_args(), check_mode=True), host(content=b64cfg("Old~Secret")))
    result = act.run(task_vars={})
    assert len(called(act)) == 2 and result["reused_read"] is False
    assert result["changed"] and result["write"] and result["diff"][0]["before_header"] == CFG_PATH
    assert "would change" in result["msg"] and SECRET not in repr(result) and "Old~Secret" not in repr(result) and "warnings" not in result
    assert result["may_write"] is False  # check mode writes nothing
    assert "_ansible_no_log" not in result  # the diff is shown


def test_plan_reuses_the_read_of_the_play_until_the_role_may_have_written():
    read = with_host(action(ucserver_read, {}), host(content=b64cfg("Old~Secret"))).run(task_vars={})
    first = with_host(action(ucserver_plan, plan_args(read=read)))
    planned = first.run(task_vars={})
    assert first._execute_module.call_count == 0 and planned["reused_read"] and planned["write"] and planned["may_write"]
    # the role wrote after that plan: the next plan reads the host again
    second = with_host(action(ucserver_plan, plan_args(read=read, previous=planned)))
    again = second.run(task_vars={})
    assert len(called(second)) == 2 and not again["reused_read"] and not again["act"]
    # a read of another play is not reused
    other = with_host(action(ucserver_plan, plan_args(read=read)), play="PLAY-2")
    assert not other.run(task_vars={})["reused_read"] and len(called(other)) == 2


def test_plan_fails_for_a_host_without_ucserver_and_for_a_bad_current_file():
    act = with_host(action(ucserver_plan, plan_args()), host(service=False, dir_exists=False))
    result = act.run(task_vars={})
    assert called(act) == ["ansible.windows.win_service_info", "ansible.windows.win_stat"]
    assert result["failed"] and "UCServer is not installed on this host" in result["msg"]
    result = with_host(action(ucserver_plan, plan_args()), host(content="not base64!")).run(task_vars={})
    assert result["failed"] and "not base64" in result["msg"]
    result = with_host(action(ucserver_plan, plan_args()), host(cfg="denied")).run(task_vars={})
    assert result["failed"] and "Could not read" in result["msg"]


def test_withdraw_plan_takes_the_read():
    read = with_host(action(ucserver_read, {})).run(task_vars={})
    result = action(ucserver_withdraw_plan, {"client_id": CLIENT, "read": read}, check_mode=True).run(task_vars={})
    assert not result.get("failed") and result["action"] == "remove" and result["config_path"] == CFG_PATH
    assert SECRET not in repr(result)


def test_a_host_that_stops_answering_during_the_read_is_a_failure_not_unreachable():
    """ansible-playbook ends the playbook once every host of a serial batch is unreachable: the read fails instead."""
    from ansible.errors import AnsibleConnectionFailure

    def lost(module_name, module_args, task_vars):
        raise AnsibleConnectionFailure("winrm: connection timed out")

    result = with_host(action(ucserver_read, {}), lost).run(task_vars={})
    assert result["failed"] and not result.get("unreachable")
    assert result["msg"] == "The host stopped answering while it was read (winrm: connection timed out); nothing was changed, a rerun is safe."


# -- run_host_plan step start with read: the read and the secret step in one task ------------------------


def host_plan(args, answer=None):
    from ansible_collections.procall.msteams.plugins.action import run_host_plan

    act = with_host(action(run_host_plan, args), answer)
    act._templar = Templar(loader=MagicMock())
    return act, act.run(task_vars={"inventory_hostname": "ucs1", "ansible_check_mode": False})


def start_args(**over):
    settings = {"proceed": True, "tenant": "contoso", "tenant_id": TENANT, "rotate_before_days": 30}
    return {"step": "start", "mode": "rotate", "settings": settings, "app_result": {"app_id": CLIENT, "object_id": "o", "tenant_id": TENANT}, **over}


def test_host_plan_start_reads_the_host_and_decides_the_secret_step_without_returning_the_secret():
    act, result = host_plan(start_args(read=True))
    assert called(act) == ["ansible.windows.win_service_info", "ansible.windows.slurp"]
    assert not result.get("failed") and result["proceed"] and result["same_app"] and result["secret_state"] == "present"
    # The plan before the read, for host_change.yml to decide again on the role's read.
    assert result["start"]["proceed"] and "same_app" not in result["start"]
    assert SECRET not in repr(result) and "_ansible_no_log" not in result


def test_host_plan_start_reads_nothing_without_read_or_when_the_host_does_not_proceed():
    act, result = host_plan(start_args())
    assert called(act) == [] and result["proceed"] and "same_app" not in result
    act, result = host_plan(start_args(read=True, halted="every host of a batch failed"))
    assert called(act) == [] and not result["proceed"] and result["outcome"]["status"] == "not_attempted"


def test_host_plan_start_fails_with_the_read_sentence():
    act, result = host_plan(start_args(read=True), host(cfg="denied"))
    assert result["failed"] and "is denied" in result["msg"] and result["proceed"] and SECRET not in repr(result)
    act, result = host_plan(start_args(read=True, install_dir="\\\\srv\\share"))
    assert result["failed"] and "ucserver_install_dir must be a local folder" in result["msg"] and called(act) == []


def test_host_plan_start_of_onboard_leaves_the_read_to_the_role():
    """onboard runs the role on every host, whose main entry reuses the read of tasks_from: read: one read per host."""
    act, result = host_plan(start_args(read=True, mode="onboard"))
    assert called(act) == [] and result["proceed"] and result["change"] and result["start"]["proceed"]
