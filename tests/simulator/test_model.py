"""The simulated eucsrv and admin GUI behave as reference/ucserver.md describes."""

from __future__ import annotations

import pytest

from tests.simulator.fleet import build_fleet, ucsim

GOOD = {k: 0 for k in ucsim.VENDOR_KEYS} | {"u8sTenant": "t", "u8sClientID": "c", "u8sClientSecret": "s", "u8sTokenCache": "T"}


def start(host):
    with host._host.locked() as state:
        return host._host.start_service(state, "eucsrv")


@pytest.mark.parametrize(("cfg", "why"), [("{oops", "not valid JSON"), ({"bEnabled": 0}, "bGetFromTeams")])
def test_service_refuses_to_start_on_a_bad_file(tmp_path, cfg, why):
    host = build_fleet(tmp_path, [{"name": "h", "service_state": "stopped", "cfg": cfg}])["h"]
    error = start(host)
    assert error and why in error and host.service_state() == "stopped"
    assert host.op_names() == ["service_start_failed"]


def test_service_without_a_file_starts(tmp_path):
    host = build_fleet(tmp_path, [{"name": "h", "service_state": "stopped"}])["h"]
    assert start(host) is None and host.service_state() == "running"


def test_enabled_service_writes_its_copy_back_on_stop(tmp_path):
    host = build_fleet(tmp_path, [{"name": "h", "cfg": GOOD | {"bEnabled": 1}, "refreshed_token_cache": "T2"}])["h"]
    host.write_cfg('{"written": "while running"}')  # a role that writes before the stop...
    host._host.stop_service("eucsrv")
    assert host.msteams_cfg() == GOOD | {"bEnabled": 1, "u8sTokenCache": "T2"}  # ...loses its change
    assert host.op_names() == ["service_writeback", "service_stop"]


def test_disabled_service_does_not_write_on_stop(tmp_path):
    host = build_fleet(tmp_path, [{"name": "h", "cfg": GOOD}])["h"]
    host._host.stop_service("eucsrv")
    assert host.op_names() == ["service_stop"] and host.msteams_cfg() == GOOD


def test_gui_writes_settings_on_a_graceful_close_only(tmp_path):
    fleet = build_fleet(
        tmp_path,
        [{"name": "a", "cfg": GOOD, "gui_open": True, "gui_writes_on_close": True}, {"name": "b", "cfg": GOOD, "gui_open": True, "gui_writes_on_close": True}],
    )
    for name, force in (("a", False), ("b", True)):
        host = fleet[name]
        with host._host.locked() as state:
            rc, _out, _err = host._host.kill_process(state, "SrvAdm.exe", force=force)
        assert rc == 0 and not host.gui_running()
        assert ("gui_settings_write" in host.op_names()) is (not force)
    with fleet["a"]._host.locked() as state:
        assert fleet["a"]._host.kill_process(state, "SrvAdm.exe", force=True)[0] == 128


def test_windows_paths_map_onto_the_host_folder(tmp_path):
    host = build_fleet(tmp_path, ["h"])["h"]
    assert (
        host.disk("c:\\Program Files\\estos\\UCServer\\config\\msteams.cfg")
        == tmp_path / "h" / "disk" / "C" / "Program Files" / "estos" / "UCServer" / "config" / "msteams.cfg"
    )
    with pytest.raises(ucsim.SimError):
        host.disk("config\\msteams.cfg")
    with pytest.raises(ucsim.SimError):
        host.disk("C:\\..\\etc")


def test_unreachable_trips_after_the_chosen_operation(tmp_path):
    host = build_fleet(tmp_path, [{"name": "h", "cfg": GOOD, "faults": {"unreachable_after": "service_stop"}}])["h"]
    assert host.state()["unreachable"] is False
    host._host.stop_service("eucsrv")
    assert host.state()["unreachable"] is True


CFG = "C:\\Program Files\\estos\\UCServer\\config\\msteams.cfg"


def protect(host, rules):
    def change(state):
        state["acls"][CFG.lower()] = {"inherit": False, "rules": rules}

    host._update(change)


def test_a_new_file_inherits_users_read(tmp_path):
    host = build_fleet(tmp_path, [{"name": "h", "cfg": GOOD, "service_account": ".\\ucsvc"}])["h"]
    assert host.acl(CFG) == {"inherit": True, "rules": []}
    assert host.readable_by(CFG, "CONTOSO\\anyone") and host.readable_by(CFG, ".\\ucsvc")


def test_protected_rules_decide_who_reads(tmp_path):
    host = build_fleet(tmp_path, [{"name": "h", "cfg": GOOD, "service_state": "stopped", "service_account": "ucsvc"}])["h"]
    protect(host, [{"user": "S-1-5-18", "rights": "FullControl", "type": "allow"}])
    assert host.readable_by(CFG, "LocalSystem") and host.readable_by(CFG, "NT AUTHORITY\\SYSTEM")
    assert not host.readable_by(CFG, ".\\ucsvc") and not host.readable_by(CFG, "someone")
    error = start(host)  # the service account cannot read its file: the start is refused
    assert "access denied for ucsvc" in error and host.service_state() == "stopped"
    assert host.ops()[-1] == {**host.ops()[-1], "op": "service_start_failed", "reason": "access_denied"}
    protect(host, [{"user": ".\\ucsvc", "rights": "Modify", "type": "allow"}])
    assert start(host) is None and host.service_state() == "running"


def test_a_deny_rule_wins_and_write_only_rights_do_not_read(tmp_path):
    host = build_fleet(tmp_path, [{"name": "h", "cfg": GOOD}])["h"]
    protect(host, [{"user": "S-1-5-18", "rights": "FullControl", "type": "allow"}, {"user": "S-1-5-18", "rights": "Read", "type": "deny"}])
    assert not host.readable_by(CFG, "LocalSystem")
    protect(host, [{"user": "bob", "rights": "Write", "type": "allow"}])
    assert not host.readable_by(CFG, "bob")


def test_a_deleted_file_forgets_its_rules(tmp_path):
    host = build_fleet(tmp_path, [{"name": "h", "cfg": GOOD}])["h"]
    protect(host, [])
    with host._host.locked() as state:
        host._host.forget_acl(state, CFG.upper())
    assert host.acl(CFG)["inherit"] is True


def test_pause_after_holds_the_next_command(tmp_path):
    # A fixed window right after an operation, in which a test can kill the run.
    fleet = build_fleet(tmp_path, [{"name": "h", "cfg": GOOD, "faults": {"pause_after": "service_stop", "pause_seconds": 3}}])
    host = fleet["h"]
    host._host.stop_service("eucsrv")
    assert host.state()["pause_pending"] == 3
    (tmp_path / "play.yml").write_text(
        "- hosts: h\n  gather_facts: false\n  tasks:\n"
        "    - ansible.windows.win_service_info:\n        name: eucsrv\n"
        "    - ansible.windows.win_service_info:\n        name: eucsrv\n"
    )
    result = fleet.run(tmp_path / "play.yml", workdir=tmp_path / "run")
    assert result.rc == 0, result
    assert "pause_pending" not in host.state(), "the pause holds one command only"
    assert host.module_calls() == 2
    (paused,) = host.state()["pauses"]
    assert 3 <= paused < 10


def test_a_fault_cue_can_name_the_file_written(tmp_path):
    # The role's backup and msteams.cfg are both "file_write": "file_write:msteams.cfg" trips on the latter only.
    host = build_fleet(tmp_path, [{"name": "h", "cfg": GOOD, "faults": {"unreachable_after": "file_write:msteams.cfg"}}])["h"]
    with host._host.locked() as state:
        host._host.write_file(state, CFG + ".20260101T000000Z.bak", b"{}")
    assert host.state()["unreachable"] is False
    with host._host.locked() as state:
        host._host.write_file(state, CFG, b"{}")
    assert host.state()["unreachable"] is True
    assert ucsim.Host.trips("file_write", "file_write", {"path": "C:\\x\\any.bak"})
    assert ucsim.Host.trips("file_write:msteams.cfg", "file_write", {"path": "C:\\X\\MSTEAMS.CFG"})
    assert not ucsim.Host.trips("service_stop", "file_write", {})


def test_a_module_run_in_a_fork_answers_as_in_a_new_interpreter(tmp_path):
    # The simhost connection runs pipelined modules in a fork of its worker (cheaper); the answers,
    # failures included, are those of a module run by a new interpreter as `local` runs it.
    fleet = build_fleet(tmp_path, [{"name": "h", "cfg": GOOD}])
    host = fleet["h"]
    (tmp_path / "play.yml").write_text(
        "- hosts: h\n  gather_facts: false\n  tasks:\n"
        "    - name: read\n      ansible.windows.slurp:\n        src: 'C:\\Program Files\\estos\\UCServer\\config\\msteams.cfg'\n"
        "    - name: missing\n      ansible.windows.slurp:\n        src: 'C:\\nothing\\here.cfg'\n      ignore_errors: true\n"
        "    - name: service\n      ansible.windows.win_service_info:\n        name: eucsrv\n"
    )
    answers = {}
    for fork in ("1", "0"):
        before = host.state().get("forked_calls", 0)
        result = fleet.run(tmp_path / "play.yml", workdir=tmp_path / f"run{fork}", env={"UCSIM_FORK_MODULES": fork})
        assert result.rc == 0, result
        assert host.state().get("forked_calls", 0) - before == (3 if fork == "1" else 0)
        answers[fork] = {name: result.task_results(name)["h"] for name in ("read", "missing", "service")}
    assert answers["1"] == answers["0"]
    assert answers["1"]["missing"]["failed"] is True and "content" in answers["1"]["read"]
