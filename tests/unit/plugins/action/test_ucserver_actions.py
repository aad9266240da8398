"""The role's two action plugins, in-process: thin, they pass options through and word errors."""

from unittest.mock import MagicMock

from ansible.template import Templar
from ansible_collections.procall.msteams.plugins.action import ucserver_plan, ucserver_preflight
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_input

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


def plan_args(current=None, **over):
    settings = _ucserver_input.check_inputs({"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET})
    location = {
        "install_dir": "C:\\U", "config_dir": "C:\\U\\config", "config_path": "C:\\U\\config\\msteams.cfg",
        "service_exists": True, "service_state": "running", "service_account": "LocalSystem",
    }  # fmt: skip
    args = {"settings": settings, "client_secret": SECRET, "location": location}
    if current is not None:
        args["current"] = current
    args.update(over)
    return args


def test_plan_reports_a_module_shaped_result_without_the_secret():
    result = action(ucserver_plan, plan_args(), check_mode=True).run(task_vars={})
    assert result["changed"] and result["write"] and result["diff"][0]["before_header"] == "C:\\U\\config\\msteams.cfg"
    assert "would change" in result["msg"] and SECRET not in repr(result) and "warnings" not in result


def test_plan_fails_for_a_host_without_ucserver_and_for_a_bad_current_file():
    args = plan_args()
    args["location"] = dict(args["location"], service_exists=False, service_state=None)
    result = action(ucserver_plan, args).run(task_vars={})
    assert result["failed"] and "UCServer is not installed on this host" in result["msg"]
    result = action(ucserver_plan, plan_args(current="not base64!")).run(task_vars={})
    assert result["failed"] and "not base64" in result["msg"]
