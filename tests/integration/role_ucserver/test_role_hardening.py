"""Role procall.msteams.ucserver on simulated hosts: a stopped converged service, file permissions,
bad input, an unencrypted connection. Each test builds its own hosts (any order, any xdist worker).

Every assertion reads the hosts' folders (disk, service, permissions, operation log).
"""

from __future__ import annotations

import pytest

from tests.integration.role_ucserver.test_role_simulated import CLIENT, OLD, PLAYBOOK, S1, TENANT, assert_no_secret, recap, task_hosts, vendor

pytestmark = pytest.mark.slow

SYSTEM, ADMINS, USERS = "S-1-5-18", "S-1-5-32-544", "S-1-5-32-545"


def run(fleet, tmp_path, name, secret=S1, **kwargs):
    play = tmp_path / "play.yml"
    play.write_text(PLAYBOOK)
    result = fleet.run(play, workdir=tmp_path / name, extra_vars={"tid": TENANT, "cid": CLIENT, "secret": secret}, env={"ANSIBLE_FORKS": "6"}, **kwargs)
    (tmp_path / name / "output.txt").write_text(result.output)  # kept for reading a failure
    return result


def facts(result):
    return {host: res.get("ucserver_result") for host, res in task_hosts(result, "Show the result").items()}


def failure(result, host):
    return task_hosts(result, "Fail with what happened and what is in place now")[host]["msg"]


def test_stopped_service_permissions_and_rollback(ucserver_fleet, tmp_path):
    fleet = ucserver_fleet(
        hosts=[
            # converged file, service left stopped (a lost connection or a killed run); explicit nulls
            # render as '' before ansible-core 2.19 and must still mean "unset"
            {"name": "stopped", "cfg": vendor(secret=S1), "service_state": "stopped", "vars": {"ucserver_get_from_teams": None, "ucserver_log_level": None}},
            {"name": "healthy", "cfg": vendor(secret=S1)},
            # a change on a service that runs as a local account: file and backup restricted to it
            {"name": "account", "cfg": vendor(secret=OLD), "service_account": ".\\ucsvc"},
            # the wrong account given: UCServer cannot read the file, so file and permissions roll back
            {"name": "wrongacl", "cfg": vendor(secret=OLD, enabled=0), "service_account": ".\\ucsvc", "accounts": [".\\other"],
             "vars": {"ucserver_service_account": ".\\other"}},
            # converged by an older role version (inherited permissions): restricted at once with "always"
            {"name": "always", "cfg": vendor(secret=S1), "vars": {"ucserver_file_acl": "always"}},
        ]
    )  # fmt: skip
    before = {h.name: h.msteams_cfg_bytes() for h in fleet}

    # -- check mode: the stopped service is reported, nothing is touched -----------------------
    result = run(fleet, tmp_path, "check", check=True, diff=True, callback="default")
    assert result.rc == 0, result
    assert_no_secret(result.output)
    assert recap(result.output, "stopped")["changed"] == 1 and recap(result.output, "healthy")["changed"] == 0
    assert "-eucsrv: stopped" in result.output and "+eucsrv: running" in result.output
    assert "+  allow .\\ucsvc Modify" in result.output  # the access rules 'account' would get
    for host in fleet:
        assert host.ops() == [] and host.acl_ops() == [] and host.msteams_cfg_bytes() == before[host.name], host.name
    assert fleet["stopped"].service_state() == "stopped"

    # -- the real run ---------------------------------------------------------------------------
    for host in fleet:
        host.reset_log()
    result = run(fleet, tmp_path, "apply")
    assert_no_secret(result.output)
    got = facts(result)

    # a converged, stopped service is started (not restarted), checked, and reported
    stopped = fleet["stopped"]
    assert stopped.op_names() == ["service_start"] and stopped.service_state() == "running"
    assert stopped.calls() == ["win_service_info", "slurp", "win_service", "win_service_info"]
    assert stopped.msteams_cfg_bytes() == before["stopped"]
    assert got["stopped"]["started"] and not got["stopped"]["restarted"] and got["stopped"]["changed"]
    assert result.changed("stopped") >= 1 and result.failed("stopped") == 0

    # a healthy converged host costs two round trips (win_service_info + slurp) and no permission call
    assert fleet["healthy"].calls() == ["win_service_info", "slurp"] and fleet["healthy"].ops() == []
    assert not got["healthy"]["started"] and not got["healthy"]["changed"]

    # the file and its backup: SYSTEM, Administrators, the service account; nothing inherited
    account = fleet["account"]
    assert result.failed("account") == 0 and account.msteams_cfg()["u8sClientSecret"] == S1
    backup = got["account"]["backup_path"]
    for path in (account.cfg_win_path, backup):
        acl = account.acl(path)
        assert acl["inherit"] is False, path
        assert sorted((r["user"], r["rights"]) for r in acl["rules"]) == sorted([(SYSTEM, "FullControl"), (ADMINS, "FullControl"), (".\\ucsvc", "Modify")])
        assert not account.readable_by(path, "CONTOSO\\someuser") and account.readable_by(path, ".\\ucsvc")
    assert account.service_state() == "running" and got["account"]["acl_changed"] and got["account"]["restarted"]

    # a wrong account: the service refuses to start, file and permissions are rolled back, it runs again
    wrong = fleet["wrongacl"]
    assert result.failed("wrongacl") == 1
    assert wrong.msteams_cfg_bytes() == before["wrongacl"] and wrong.service_state() == "running"
    assert wrong.acl(wrong.cfg_win_path)["inherit"] is True and wrong.readable_by(wrong.cfg_win_path, ".\\ucsvc")
    names = wrong.op_names()
    assert names[-3:] == ["service_start_failed", "file_write", "service_start"], names
    assert [op["reason"] for op in wrong.ops() if op["op"] == "service_start_failed"] == ["access_denied"]
    msg = failure(result, "wrongacl")
    assert "Start the UCServer service" in msg and "old configuration is back" in msg and "is running again" in msg
    failed = task_hosts(result, "Set ucserver_result for the failed change")["wrongacl"]["ansible_facts"]["ucserver_result"]
    assert failed["failed"] and failed["rolled_back"] and failed["service_state"] == "running" and failed["msg"] == msg

    # "always": a converged file gets its permissions without a restart
    always = fleet["always"]
    assert always.ops() == [] and always.acl(always.cfg_win_path)["inherit"] is False
    assert always.calls() == ["win_service_info", "slurp", "win_acl", "win_acl", "win_acl_inheritance"]
    assert got["always"]["acl_changed"] and got["always"]["changed"] and not got["always"]["restarted"]

    # -- rerun: every good host converged, running, nothing to do -------------------------------
    good = ["stopped", "healthy", "account", "always"]
    for host in fleet:
        host.reset_log()
    result = run(fleet, tmp_path, "rerun", limit=",".join(good), callback="default")
    assert result.rc == 0, result
    for name in good:
        assert recap(result.output, name)["changed"] == 0, name
        assert fleet[name].ops() == [] and fleet[name].acl_ops() == [], name
    assert fleet["stopped"].calls() == ["win_service_info", "slurp"]
    assert fleet["always"].module_calls() == 5  # "always" pays its three permission calls, and changes nothing


def test_bad_input_fails_before_any_host_call(ucserver_fleet, tmp_path):
    bad = {
        "loglevel": ({"ucserver_log_level": 10**12}, "ucserver_log_level must be a whole number from 0 to 10"),
        "polling": ({"ucserver_polling_rate": 0}, "ucserver_polling_rate must be a whole number from 1 to 3600 seconds"),
        "unc": ({"ucserver_install_dir": "\\\\fileserver\\share\\UCServer"}, "ucserver_install_dir must be a local folder with a drive letter"),
        "flag": ({"ucserver_send_to_teams": "maybe"}, "ucserver_send_to_teams must be true or false (yes/no, on/off, 1/0)"),
        # WinRM over http with basic auth (the default transport over http): the secret would travel in clear
        "plainhttp": ({"ansible_connection": "winrm", "ansible_port": 5985, "ansible_host": "192.0.2.10"}, "ucserver_allow_unencrypted_winrm: true"),
    }
    fleet = ucserver_fleet(hosts=[{"name": name, "cfg": vendor(secret=OLD), "vars": hv} for name, (hv, _msg) in bad.items()] + [{"name": "folder"}])
    fleet["folder"].cfg_file.mkdir()  # a folder where msteams.cfg should be
    result = run(fleet, tmp_path, "bad", verbosity=2, callback="default")
    assert_no_secret(result.output)
    assert result.rc != 0
    for name, (_hv, message) in bad.items():
        assert recap(result.output, name)["failed"] == 1, name
        assert message in result.output, name
        if name != "plainhttp":  # a real WinRM host here: no simulated folder to read
            assert fleet[name].module_calls() == 0 and fleet[name].ops() == [], name
    assert "is a folder, not a file" in result.output and "read access" not in result.output
    assert fleet["folder"].ops() == [] and fleet["folder"].cfg_file.is_dir()


REUSE_PLAYBOOK = """
- name: Read, then converge twice, then read, in one play
  hosts: ucservers
  gather_facts: false
  vars:
    ucserver_tenant_id: "{{ tid }}"
    ucserver_client_id: "{{ cid }}"
    ucserver_client_secret: "{{ secret }}"
  tasks:
    - name: Read
      ansible.builtin.include_role:
        name: procall.msteams.ucserver
        tasks_from: read
    - name: Converge
      ansible.builtin.include_role:
        name: procall.msteams.ucserver
    - name: Record the first converge
      ansible.builtin.set_fact:
        first_result: "{{ ucserver_result }}"
    - name: Converge again
      ansible.builtin.include_role:
        name: procall.msteams.ucserver
    - name: Read back
      ansible.builtin.include_role:
        name: procall.msteams.ucserver
        tasks_from: read
    - name: Show
      ansible.builtin.debug:
        msg: "{{ {'first': first_result, 'second': ucserver_result, 'current': ucserver_current} }}"

- name: Converge in the next play
  hosts: ucservers
  gather_facts: false
  tasks:
    - name: Converge
      ansible.builtin.include_role:
        name: procall.msteams.ucserver
      vars:
        ucserver_tenant_id: "{{ tid }}"
        ucserver_client_id: "{{ cid }}"
        ucserver_client_secret: "{{ secret }}"
"""


def test_main_reuses_the_read_of_the_play_until_the_role_writes(ucserver_fleet, tmp_path):
    hosts = [{"name": "converged", "cfg": vendor(secret=S1)}, {"name": "change", "cfg": vendor(secret=OLD)}, {"name": "denied", "cfg": vendor()}]
    fleet = ucserver_fleet(hosts=hosts)
    # the connecting user (an administrator) may not read this one: one sentence, nothing touched
    deny = {"inherit": True, "rules": [{"user": ADMINS, "rights": "Read", "type": "deny"}]}
    fleet["denied"]._update(lambda s: s["acls"].update({fleet["denied"].cfg_win_path.lower(): deny}))
    play = tmp_path / "reuse.yml"
    play.write_text(REUSE_PLAYBOOK)
    result = fleet.run(play, workdir=tmp_path / "reuse", extra_vars={"tid": TENANT, "cid": CLIENT, "secret": S1}, verbosity=4, env={"ANSIBLE_FORKS": "3"})
    assert_no_secret(result.output)
    shown = result.task_results("Show")

    # converged: the two converges use the first read (no round trip), the read back reads, the next play reads again
    conv = fleet["converged"]
    assert conv.calls() == ["win_service_info", "slurp"] * 3 and conv.ops() == [], conv.calls()
    assert shown["converged"]["msg"]["current"]["config_valid"] and not shown["converged"]["msg"]["second"]["changed"]

    # a change: the first converge uses the read and writes; the second reads again (and finds it converged),
    # the read back reads again; the next play reads again
    change = fleet["change"]
    assert change.msteams_cfg()["u8sClientSecret"] == S1
    assert change.op_names() == ["service_writeback", "service_stop", "file_write", "file_write", "service_start"]  # backup, file: once
    calls = change.calls()
    # read, then taskkill (the read was reused), ..., the second converge, the read back, the next play
    read = ["win_service_info", "slurp"]
    assert calls[:3] == [*read, "win_command"] and calls[-6:] == read * 3, calls
    # the one slurp between: apply.yml's read of what the stopped service left
    assert calls.count("slurp") == 5 and calls[3:5] == ["win_service", "slurp"], calls
    assert shown["change"]["msg"]["first"]["restarted"] and not shown["change"]["msg"]["second"]["changed"], shown["change"]
    assert result.failed("change") == 0 and result.failed("converged") == 0

    # unreadable: the read fails with the sentence (not censored although the read is no_log on success)
    assert result.failed("denied") == 1 and fleet["denied"].ops() == [] and fleet["denied"].calls() == ["win_service_info", "slurp", "win_stat"]
    message = task_hosts(result, "Read the host's UCServer service and msteams.cfg")["denied"]["msg"]
    assert "Could not read" in message and "is denied" in message and "read access" in message
