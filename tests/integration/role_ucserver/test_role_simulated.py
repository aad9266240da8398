"""Role procall.msteams.ucserver through ansible-playbook on several simulated hosts at once.

Few playbook runs, many assertions each: one fleet is converged, rerun, checked and rotated.
Every assertion reads the hosts' folders (disk, service, operation log), not what Ansible said.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.simulator.test_standins import undocumented_result_keys

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
OTHER_CLIENT = "99999999-8888-7777-6666-555555555555"
OLD = "Old~Secret.0000000000000000000000"
S1 = "First~Secret.1111111111111111111111"
S2 = "Check~Secret.2222222222222222222222"
S3 = "Third~Secret.3333333333333333333333"
TOKENS = "TOKEN-CACHE-AFTER-USER-CONSENT"
SECRETS = (OLD, S1, S2, S3, TOKENS)

pytestmark = pytest.mark.slow

PLAYBOOK = """
- name: Converge msteams.cfg on the simulated UCServer hosts
  hosts: ucservers
  gather_facts: false
  vars:
    ucserver_tenant_id: "{{ tid }}"
    ucserver_client_id: "{{ cid }}"
    ucserver_client_secret: "{{ secret }}"
    ucserver_service_timeout: "{{ sim_service_timeout | default(20) }}"
    ucserver_backups_keep: "{{ sim_backups_keep | default(5) }}"
  tasks:
    - name: Run the role
      ansible.builtin.include_role:
        name: procall.msteams.ucserver
    - name: Show the result
      ansible.builtin.debug:
        var: ucserver_result
"""


def vendor(client=CLIENT, secret=OLD, enabled=1, cache=TOKENS, **extra):
    cfg = {
        "bEnabled": enabled,
        "bGetFromTeams": 1,
        "bSendToTeams": 1,
        "iLogLevel": 4,
        "iPollingRate": 5,
        "u8sTenant": TENANT,
        "u8sClientID": client,
        "u8sClientSecret": secret,
        "u8sTokenCache": cache,
    }
    cfg.update(extra)
    return cfg


def assert_no_secret(text):
    for secret in SECRETS:
        assert secret not in text, f"a secret value ({secret[:5]}...) appears in the output"


def task_hosts(result, name):
    """Per-host results of every task with this name (included tasks repeat per include)."""
    found = {}
    for play in (result.report or {}).get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"] == name or task["task"]["name"].endswith(" : " + name):
                found.update(task["hosts"])
    return found


def recap(output, host):
    match = re.search(rf"^{re.escape(host)}\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output, re.M)
    assert match, f"no recap line for {host}"
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


@pytest.fixture
def fleet(ucserver_fleet):
    return ucserver_fleet(
        hosts=[
            {"name": "fresh"},
            {"name": "rotate", "cfg": vendor(zCustom="kept"), "gui_open": True, "gui_writes_on_close": True, "refreshed_token_cache": TOKENS + "-REFRESHED"},
            {"name": "converged", "cfg": vendor(secret=S1)},
            {"name": "other", "cfg": vendor(client=OTHER_CLIENT)},
            {"name": "broken", "cfg": '{"bEnabled": 1, oops', "service_state": "stopped"},
            {"name": "startfail", "cfg": vendor(enabled=0), "faults": {"start_fails": 1}},
            {"name": "hang", "cfg": vendor(), "faults": {"stop_hang_seconds": 900}, "vars": {"sim_service_timeout": 3}},
            {"name": "writefail", "cfg": vendor(enabled=0), "faults": {"write_fails": True}},
            {"name": "unreachable", "cfg": vendor(enabled=0), "faults": {"unreachable_after": "service_stop"}},
            {"name": "notinstalled", "installed": False},
            {"name": "noservice", "service": False, "cfg": vendor()},
        ],
        tenant_of=lambda name: "contoso",
    )


def run(fleet, tmp_path, name, secret, extra=None, **kwargs):
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    result = fleet.run(
        tmp_path / "play.yml",
        workdir=tmp_path / name,
        extra_vars={"tid": TENANT, "cid": CLIENT, "secret": secret, **(extra or {})},
        env={"ANSIBLE_FORKS": "11"},
        **kwargs,
    )
    (tmp_path / name / "output.txt").write_text(result.output)  # kept for reading a failure
    return result


def test_role_on_a_simulated_fleet(fleet, tmp_path):
    before = {h.name: h.msteams_cfg_bytes() for h in fleet}

    # -- 1. converge: every case at once ------------------------------------------------------
    result = run(fleet, tmp_path, "converge", S1)
    assert_no_secret(result.output)
    # the stand-ins return what the real modules document, no more
    assert undocumented_result_keys(result.report) == []
    facts = {host: res.get("ucserver_result") for host, res in task_hosts(result, "Show the result").items()}

    # fresh host: vendor template, bEnabled 0, restarted once, consent pending
    fresh = fleet["fresh"]
    assert fresh.msteams_cfg() == vendor(secret=S1, enabled=0, cache="")
    raw = fresh.msteams_cfg_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and raw.startswith(b'{\n   "bEnabled" : 0,\n')
    assert fresh.op_names() == ["service_stop", "file_write", "service_start"]
    assert facts["fresh"]["restarted"] and facts["fresh"]["user_consent_pending"] and not facts["fresh"]["integration_enabled"]
    assert facts["fresh"]["backup_path"] is None and facts["fresh"]["reason"] == "absent"

    # same app, new secret: only the secret changes; token cache (as the service left it at its
    # stop), bEnabled 1 and unknown keys kept; GUI closed before the stop; one restart
    rotate = fleet["rotate"]
    assert rotate.msteams_cfg() == vendor(secret=S1, cache=TOKENS + "-REFRESHED", zCustom="kept")
    ops = rotate.op_names()
    assert ops[:3] == ["gui_close", "service_writeback", "service_stop"], ops
    assert ops.count("service_stop") == 1 and ops.count("service_start") == 1 and ops[-1] == "service_start"
    assert not rotate.gui_running() and "gui_settings_write" not in ops  # taskkill /F: the GUI wrote nothing
    assert facts["rotate"]["changed_keys"] == ["u8sClientSecret"] and facts["rotate"]["integration_enabled"]
    assert not facts["rotate"]["user_consent_pending"] and facts["rotate"]["gui_closed"]
    assert len(rotate.backups()) == 1 and facts["rotate"]["backup_path"].endswith(rotate.backups()[0].name)
    assert json.loads(rotate.backups()[0].read_text())["u8sClientSecret"] == OLD
    down = [op["t"] for op in rotate.ops() if op["op"] in ("service_stop", "service_start")]
    print(f"\nservice down on 'rotate' for {down[1] - down[0]:.2f} s (simulated)")

    # converged host: nothing happens at all
    conv = fleet["converged"]
    assert conv.ops() == [] and conv.msteams_cfg_bytes() == before["converged"]
    assert result.changed("converged") == 0 and facts["converged"]["changed"] is False

    # another app: reset to the template
    assert fleet["other"].msteams_cfg() == vendor(secret=S1, enabled=0, cache="")
    assert facts["other"]["reason"] == "other_app"

    # broken JSON: backed up, replaced, warned
    broken = fleet["broken"]
    assert broken.msteams_cfg() == vendor(secret=S1, enabled=0, cache="")
    assert [b.read_bytes() for b in broken.backups()] == [before["broken"]]
    assert broken.service_state() == "running"
    assert "not valid JSON" in result.output and "backed up and replaced" in result.output

    # start failure: old file back, service running, host failed with a clear message
    sf = fleet["startfail"]
    assert result.failed("startfail") == 1
    assert sf.msteams_cfg_bytes() == before["startfail"] and sf.service_state() == "running"
    assert sf.op_names() == ["service_stop", "file_write", "file_write", "service_start_failed", "file_write", "service_start"]
    sf_msg = task_hosts(result, "Fail with what happened and what is in place now")["startfail"]["msg"]
    assert "Start the UCServer service" in sf_msg and "old configuration is back" in sf_msg and "is running again" in sf_msg

    # stop hangs (900 s, longer than the runner timeout): bounded by ucserver_service_timeout (3 s), nothing written
    hang = fleet["hang"]
    hang_ops = hang.ops()
    # On a loaded machine the async timeout can end the job before the stand-in even ran (no op
    # logged); either way the stop never completed and the wait was bounded.
    assert "service_stop" not in hang.op_names()
    assert not hang_ops or (hang_ops[0]["op"] == "service_stop_hang" and hang_ops[-1]["t"] - hang_ops[0]["t"] < 120)
    assert result.failed("hang") == 1
    assert hang.msteams_cfg_bytes() == before["hang"] and hang.service_state() == "running"
    assert "file_write" not in hang.op_names()
    hang_msg = task_hosts(result, "Fail with what happened and what is in place now")["hang"]["msg"]
    assert "did not stop within 3 seconds" in hang_msg and "old configuration is still in place" in hang_msg

    # write fails: backup restored, service started again
    wf = fleet["writefail"]
    assert result.failed("writefail") == 1
    assert wf.msteams_cfg_bytes() == before["writefail"] and wf.service_state() == "running"
    assert "Write msteams.cfg" in task_hosts(result, "Fail with what happened and what is in place now")["writefail"]["msg"]

    # unreachable after the stop: that host alone fails, with the step that lost it; nothing was
    # written on it. It stays in the play (a lost host must not end a serial batch's playbook), so
    # no later step ran on it and the failure is its own task's.
    un = fleet["unreachable"]
    assert result.stats["unreachable"].get("unreachable", 0) == 0 and result.failed("unreachable") == 1
    assert un.msteams_cfg_bytes() == before["unreachable"] and un.service_state() == "stopped"
    assert un.op_names() == ["service_stop"]
    un_msg = task_hosts(result, "Fail with what happened and what is in place now")["unreachable"]["msg"]
    # The fault trips after the stop, so the stop's own status poll (async) is the first to lose the host.
    assert "the host stopped answering while stopping the service (" in un_msg and "fault unreachable_after" in un_msg, un_msg
    assert "msteams.cfg was not written" in un_msg and "a rerun once the host answers again is safe" in un_msg.lower(), un_msg

    # not installed / no service: one sentence each, nothing touched
    assert result.failed("notinstalled") == 1
    assert "UCServer is not installed on this host" in result.output
    assert result.failed("noservice") == 1 and fleet["noservice"].msteams_cfg_bytes() == before["noservice"]
    assert "exists but there is no service 'eucsrv'" in result.output

    for good in ("fresh", "rotate", "converged", "other", "broken"):
        assert result.failed(good) == 0, good
    calls_change = {h: fleet[h].module_calls() for h in ("fresh", "rotate", "other", "broken")}
    execs_change = {h: fleet[h].state()["connection_execs"] for h in ("fresh", "rotate", "other", "broken")}

    # -- 2. rerun on the converged hosts, at -vvvv: nothing changes, nothing restarts ----------
    good = ["fresh", "rotate", "converged", "other", "broken"]
    for h in fleet:
        h.reset_log()
    result = run(fleet, tmp_path, "rerun", S1, limit=",".join(good), verbosity=4, callback="default")
    assert_no_secret(result.output)
    assert result.rc == 0, result
    calls_converged = {}
    for name in good:
        assert recap(result.output, name)["changed"] == 0, name
        host = fleet[name]
        assert host.ops() == [], (name, host.ops())
        calls_converged[name] = host.module_calls()
        assert host.calls() == ["win_service_info", "slurp"], host.calls()  # two round trips: the service, the file

    print(f"connection commands per host, change run (async launch and polls included): {execs_change}")
    print(f"module calls (WinRM round trips) per host, change run: {calls_change}")
    print(f"module calls per host, converged run: {calls_converged}")


# What the five good hosts of test_role_on_a_simulated_fleet hold after its converge run (asserted
# there), built directly so that the check-mode and rotation runs are a test of their own that
# another xdist worker can run at the same time.
CONVERGED = {
    "fresh": vendor(secret=S1, enabled=0, cache=""),
    "rotate": vendor(secret=S1, cache=TOKENS + "-REFRESHED", zCustom="kept"),
    "converged": vendor(secret=S1),
    "other": vendor(secret=S1, enabled=0, cache=""),
    "broken": vendor(secret=S1, enabled=0, cache=""),
}


def test_check_mode_and_rotation_on_converged_hosts(ucserver_fleet, tmp_path):
    fleet = ucserver_fleet(hosts=[{"name": name, "cfg": cfg} for name, cfg in CONVERGED.items()])
    good = list(CONVERGED)
    # an older backup, so that ucserver_backups_keep=1 below has one to remove
    (fleet["rotate"].cfg_file.parent / "msteams.cfg.20200101T000000Z.bak").write_text(json.dumps(vendor(secret=OLD)))

    # -- check mode with a new secret, diff, -vvvv: reported, masked, nothing touched ------
    snapshot = {name: (fleet[name].msteams_cfg_bytes(), [b.name for b in fleet[name].backups()]) for name in good}
    for h in fleet:
        h.reset_log()
    result = run(fleet, tmp_path, "check", S2, limit=",".join(good), check=True, diff=True, verbosity=4, callback="default")
    assert_no_secret(result.output)
    assert result.rc == 0, result
    assert '-   "u8sClientSecret" : "REDACTED",' in result.output and '+   "u8sClientSecret" : "CHANGED REDACTED",' in result.output
    for name in good:
        assert recap(result.output, name)["changed"] >= 1, name
        host = fleet[name]
        assert (host.msteams_cfg_bytes(), [b.name for b in host.backups()]) == snapshot[name], name
        assert host.ops() == [] and host.service_state() == "running"
        assert "win_copy" not in host.calls() and "win_service" not in host.calls()

    # -- a real rotation at -vvvv: the new secret is written and never printed -------------
    extra = {"sim_backups_keep": 1, "ucserver_log_level": "7"}
    result = run(fleet, tmp_path, "rotate", S3, extra=extra, limit="rotate", verbosity=4, diff=True, callback="default")
    assert_no_secret(result.output)
    assert result.rc == 0, result
    assert fleet["rotate"].msteams_cfg()["u8sClientSecret"] == S3
    # a whole number given as text (as `-e ucserver_log_level=7` gives it) is written as an integer
    assert fleet["rotate"].msteams_cfg()["iLogLevel"] == 7
    # two backups exist now (the old one and this run's); ucserver_backups_keep=1 keeps the newest only
    assert [json.loads(b.read_text())["u8sClientSecret"] for b in fleet["rotate"].backups()] == [S1]


def test_read_entry_point_reports_without_changing(ucserver_fleet, tmp_path):
    fleet = ucserver_fleet(
        hosts=[
            {"name": "ok", "cfg": vendor(secret=S1), "bom": True},
            {"name": "empty"},
            {"name": "broken", "cfg": "{", "service_state": "stopped"},
            {"name": "custom", "install_dir": "D:\\UCServer", "cfg": vendor(secret=S1, cache="")},
            {"name": "gone", "installed": False},
        ]
    )
    (tmp_path / "read.yml").write_text(
        """
- name: Read status
  hosts: ucservers
  gather_facts: false
  tasks:
    - name: Read
      ansible.builtin.include_role:
        name: procall.msteams.ucserver
        tasks_from: read
    - name: Show
      ansible.builtin.debug:
        var: ucserver_current
    - name: Secret matches
      ansible.builtin.assert:
        that: ucserver_current_secret == expected
      vars:
        expected: "{{ '%s' if inventory_hostname in ['ok', 'custom'] else none }}"
"""
        % S1
    )
    result = fleet.run(tmp_path / "read.yml", workdir=tmp_path / "w", check=True, verbosity=4, callback="default")
    assert_no_secret(result.output)
    assert result.rc == 0, result
    # the module calls of the read, per host: two on a host with its file, win_stat only where those cannot tell
    reads = {
        "ok": ["win_service_info", "slurp"],
        "empty": ["win_service_info", "slurp", "win_stat"],  # no file: slurp failed, win_stat says missing
        "broken": ["win_service_info", "slurp"],
        "custom": ["win_service_info", "slurp"],
        "gone": ["win_service_info", "win_stat"],  # no service, no install dir: nothing to slurp
    }
    for host in fleet:
        assert host.calls() == reads[host.name], (host.name, host.calls())  # check mode reads too
        host.reset_log()
    result = fleet.run(tmp_path / "read.yml", workdir=tmp_path / "w2")
    assert result.rc == 0, result
    cur = {h: r["ucserver_current"] for h, r in result.task_results("Show").items()}
    assert cur["ok"]["config_valid"] and cur["ok"]["tenant_id"] == TENANT and cur["ok"]["integration_enabled"]
    assert not cur["ok"]["user_consent_pending"] and cur["ok"]["service_state"] == "running"
    assert cur["empty"]["config_present"] is False and cur["empty"]["installed"] is True
    assert cur["broken"]["config_present"] and not cur["broken"]["config_valid"] and cur["broken"]["service_state"] == "stopped"
    assert cur["custom"]["install_dir"] == "D:\\UCServer" and cur["custom"]["user_consent_pending"]
    assert cur["gone"]["installed"] is False and cur["gone"]["service_state"] is None
    for host in fleet:
        assert host.ops() == [], host.name
        assert host.calls() == reads[host.name], (host.name, host.calls())
    assert all(r["changed"] is False for r in result.task_results("Read").values())
