"""The run_* action plugins: options in, the pure function's answer out, other hosts read through hostvars."""

from __future__ import annotations

import json
import types

import pytest
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar
from ansible_collections.procall.msteams.plugins.action import run_host_plan, run_leader, run_report, run_rollout_halt, run_status_host

TENANT = "11111111-2222-3333-4444-555555555555"
APP = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def run(module, args, task_vars, check_mode=False):
    task = Task()
    task.args = args
    loader = DataLoader()
    # A controller-only action never uses its connection; ActionBase only looks at its shell.
    connection = types.SimpleNamespace(_shell=types.SimpleNamespace(tmpdir=None))
    action = module.ActionModule(task, connection, PlayContext(), loader, Templar(loader=loader), None)
    return action.run(task_vars=dict(task_vars, ansible_check_mode=check_mode))


def prepared(key="", proceed=True, tenant="contoso"):
    return {"proceed": proceed, "app_key": key, "tenant": tenant, "tenant_id": TENANT}


def test_leader_by_app_is_the_first_play_host_of_the_key():
    hostvars = {
        "a": {"__msteams_prepared": prepared(proceed=False)},
        "b": {"__msteams_prepared": prepared("t/x")},
        "c": {"__msteams_prepared": prepared("t/x")},
    }
    task_vars = {"hostvars": hostvars, "ansible_play_hosts": ["a", "b", "c"], "inventory_hostname": "c"}
    assert run(run_leader, {"by": "app"}, task_vars) == {"changed": False, "key": "t/x", "host": "b", "is_leader": False}
    assert run(run_leader, {"by": "app"}, dict(task_vars, inventory_hostname="a"))["host"] == ""


def test_leader_by_status_skips_hosts_that_could_not_be_read():
    current = {"client_id": APP}
    hostvars = {
        "a": {"__msteams_prepared": prepared(), "ucserver_current": current, "__msteams_read_error": "WinRM refused"},
        "b": {"__msteams_prepared": prepared(), "ucserver_current": current},
        "c": {"__msteams_prepared": prepared(), "ucserver_current": {"client_id": None}},
    }
    task_vars = {"hostvars": hostvars, "ansible_play_hosts": ["a", "b", "c"], "inventory_hostname": "b"}
    assert run(run_leader, {"by": "status"}, task_vars)["is_leader"] is True
    assert run(run_leader, {"by": "status"}, dict(task_vars, inventory_hostname="c"))["host"] == ""


def test_leader_refuses_an_unknown_grouping():
    with pytest.raises(AnsibleActionFail):
        run(run_leader, {"by": "tenant"}, {"hostvars": {}, "ansible_play_hosts": []})


def test_host_plan_fails_with_the_secret_step_message_and_keeps_the_plan():
    start = {"proceed": True, "app": {"app_id": APP, "object_id": "o", "tenant_id": TENANT}, "same_app": True, "before": {}}
    secret = {"failed": True, "msg": "Could not add the secret: Graph answered 403", "secret": "never-shown"}
    result = run(run_host_plan, {"step": "deploy", "mode": "rotate", "previous": start, "secret_result": secret}, {})
    assert result["failed"] and result["msg"] == "Could not add the secret: Graph answered 403"
    assert result["app"]["app_id"] == APP
    assert "never-shown" not in json.dumps(result)


def test_host_plan_in_check_mode_deploys_a_stand_in():
    start = {"proceed": True, "app": {"app_id": APP, "object_id": "o", "tenant_id": TENANT}, "same_app": True, "before": {}}
    result = run(run_host_plan, {"step": "deploy", "mode": "rotate", "previous": start, "secret_result": {"changed": True}}, {}, check_mode=True)
    assert result["deploy"] and result["use_new_secret"] and not result.get("failed")


def test_status_host_never_returns_the_deployed_secret():
    args = {
        "settings": prepared(),
        "current": {"client_id": APP, "config_present": True, "service_state": "running"},
        "app_info": {"exists": True, "secrets": [{"key_id": "k", "hint": "abc", "display_name": "procall-msteams: ucs1", "days_left": 90}]},
        "deployed_secret": "abc-the-deployed-value",
    }
    result = run(run_status_host, args, {"inventory_hostname": "ucs1"})
    assert result["outcome"]["secret_key_id"] == "k" and result["outcome"]["status"] == "consent_pending"
    assert "abc-the-deployed-value" not in json.dumps(result)
    assert run(run_status_host, dict(args, read_error="WinRM refused"), {})["outcome"] == {"status": "failed", "reason": "WinRM refused"}
    assert (
        run(run_status_host, {"settings": {"proceed": False, "outcome": {"status": "failed", "reason": "no tenant"}}}, {})["outcome"]["reason"] == "no tenant"
    )


def test_rollout_halt_reads_the_batch_outcomes():
    hostvars = {h: {"__msteams_outcome": {"outcome": {"status": s}}} for h, s in {"a": "failed", "b": "failed", "c": "kept"}.items()}
    task_vars = {"hostvars": hostvars, "ansible_play_batch": ["a"], "ansible_play_hosts_all": ["a", "b", "c"]}
    assert run(run_rollout_halt, {}, task_vars)["reason"] == "every host of a batch failed"
    task_vars["ansible_play_batch"] = ["c"]
    assert run(run_rollout_halt, {"max_failed_hosts": 2}, task_vars)["halt"] is True
    assert run(run_rollout_halt, {"max_failed_hosts": "lots"}, task_vars)["failed"] is True


def test_report_lists_the_targeted_hosts_in_inventory_order():
    hostvars = {
        "a": {"__msteams_prepared": prepared(), "__msteams_outcome": {"outcome": {"status": "kept", "reason": ""}}},
        "b": {},
        "c": {"__msteams_prepared": prepared(tenant="fabrikam")},
    }
    result = run(run_report, {"run": "rotate_secret"}, {"hostvars": hostvars, "groups": {"all": ["c", "b", "a"]}})
    assert [(r["host"], r["tenant"], r["status"]) for r in result["rows"]] == [("c", "fabrikam", "failed"), ("a", "contoso", "kept")]
    assert result["fail_msg"].startswith("1 host(s) failed: c.")
    status = run(run_report, {"run": "status"}, {"hostvars": hostvars, "groups": {"all": ["a", "c"]}})
    assert status["csv"].splitlines()[0].startswith("host,tenant,") and status["rows"][1]["status"] == "broken"


def test_status_host_judges_orphans_against_the_whole_inventory():
    secrets = [
        {"key_id": "k", "hint": "abc", "display_name": "procall-msteams: ucs1", "days_left": 90},
        {"key_id": "o", "hint": "zzz", "display_name": "procall-msteams: ucs-gone", "days_left": 12},
        {"key_id": "l", "hint": "yyy", "display_name": "procall-msteams: ucs2", "days_left": 50},
    ]
    args = {
        "settings": prepared(),
        "current": {"client_id": APP, "config_present": True, "service_state": "running"},
        "app_info": {"exists": True, "secrets": secrets, "consent": {"not_checked": ["x not checked: needs Directory.Read.All"]}},
        "deployed_secret": "abc-the-deployed-value",
    }
    # ucs2 is outside this run (--limit) but in the inventory: its secret is no orphan.
    result = run(run_status_host, args, {"inventory_hostname": "ucs1", "groups": {"all": ["ucs1", "ucs2"]}})
    notes = result["outcome"]["app_notes"]
    assert [(o["consumer"], o["key_id"], o["days_left"]) for o in notes["orphans"]] == [("ucs-gone", "o", 12)]
    assert notes["not_checked"] == ["x not checked: needs Directory.Read.All"]
    hostvars = {"ucs1": {"__msteams_prepared": prepared(), "__msteams_outcome": result}}
    report = run(run_report, {"run": "status", "due_days": 20}, {"hostvars": hostvars, "groups": {"all": ["ucs1", "ucs2"]}})
    assert "app_notes" not in report["rows"][0]
    assert json.loads(report["json"])["orphans"][0]["key_id"] == "o"
    assert "procall_msteams_status_last_run_timestamp_seconds " in report["prometheus"]
    assert report["nagios_exit_code"] == 1 and ";21:;14:;;" in report["nagios_line"]
