"""The ucserver role's decisions about a host, branch by branch (module_utils/_ucserver_plan.py)."""

import base64

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _msteams_cfg as cfg
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_input as inputs
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_plan as m

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SECRET = "New~Secret.1111"
OLD = "Old~Secret.0000"
CFG_PATH = "C:\\Program Files\\estos\\UCServer\\config\\msteams.cfg"


def service(state="running", path='"C:\\Program Files\\estos\\UCServer\\eucsrv.exe" -service', username="LocalSystem"):
    return {"exists": True, "services": [{"name": "eucsrv", "state": state, "path": path, "username": username}]}


def b64(values):
    return base64.b64encode(cfg.render_cfg(values).encode()).decode()


def converged(secret=SECRET, **over):
    values = dict(cfg.VENDOR_DEFAULTS, u8sTenant=TENANT, u8sClientID=CLIENT, u8sClientSecret=secret, bEnabled=1, u8sTokenCache="T")
    values.update(over)
    return b64(values)


def settings(**over):
    return inputs.check_inputs({"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET, **over})


def plan(current=None, state="running", check_mode=False, **over):
    return m.plan(settings(**over), SECRET, m.locate(service(state)), current, backup_stamp="20260101T000000Z", check_mode=check_mode)


# -- locate -------------------------------------------------------------------------------
def test_locate_from_the_service_binary_path():
    loc = m.locate(service(path='"D:\\UCS\\eucsrv.exe" -service', username="NT AUTHORITY\\LocalService"))
    assert loc == {
        "install_dir": "D:\\UCS", "config_dir": "D:\\UCS\\config", "config_path": "D:\\UCS\\config\\msteams.cfg",
        "service_exists": True, "service_state": "running", "service_account": "NT AUTHORITY\\LocalService",
    }  # fmt: skip


def test_locate_option_wins_and_vendor_default_last():
    assert m.locate(service(), "E:\\X")["install_dir"] == "E:\\X"
    missing = m.locate({"exists": False, "services": []})
    assert missing["install_dir"] == m.VENDOR_INSTALL_DIR and not missing["service_exists"] and missing["service_state"] is None
    assert m.locate(service(path="eucsrv.exe"))["install_dir"] == m.VENDOR_INSTALL_DIR  # no folder in the path
    assert m.locate({"skipped": True})["service_exists"] is False
    assert m.locate({"exists": True, "services": []})["service_exists"] is False


def test_locate_refuses_a_unc_install_dir():
    with pytest.raises(inputs.RoleInputError, match="ucserver_install_dir"):
        m.locate(service(), "\\\\srv\\share")


# -- the read: ansible.windows modules, step by step ---------------------------------------
UCS = m.VENDOR_INSTALL_DIR
BINARY = '"C:\\Program Files\\estos\\UCServer\\eucsrv.exe" -service'


class FakeHost:
    """Answers the read's modules as the real ones would for a host with these paths ("dir", "file", "denied")."""

    def __init__(self, service=True, state="running", path=BINARY, account="LocalSystem", paths=None, content=None):
        self.service = {"name": "eucsrv", "state": state, "path": path, "username": account} if service else None
        self.paths = {k.lower(): v for k, v in (paths if paths is not None else {UCS: "dir", CFG_PATH: "file"}).items()}
        self.content = converged() if content is None else content
        self.calls = []

    def __call__(self, key, module, args):
        self.calls.append((module, args))
        if module == "ansible.windows.win_service_info":
            found = [self.service] if self.service and args["name"] == "eucsrv" else []
            return {"changed": False, "exists": bool(found), "services": found}
        if module == "ansible.windows.win_stat":
            kind = self.paths.get(args["path"].lower())
            return {"changed": False, "stat": {"exists": False} if kind is None else {"exists": True, "isdir": kind == "dir"}}
        assert module == "ansible.windows.slurp", module
        kind = self.paths.get(args["src"].lower())
        if kind == "file":
            return {"changed": False, "content": self.content, "encoding": "base64", "source": args["src"]}
        words = {None: "is not found", "dir": "is a directory"}.get(kind)
        return {"failed": True, "msg": f"Path {args['src']} {words}" if words else f"Access to the path '{args['src']}' is denied."}


def read(fake, service_name="eucsrv", install_dir=""):
    results = {}
    while (step := m.next_read(service_name, install_dir, results)) is not None:
        key, module, args = step
        assert key not in results and len(results) < 4, (key, results)
        results[key] = fake(key, module, args)
    return m.probe_from_results(results, service_name, install_dir)


def modules(fake):
    return [module.rsplit(".", 1)[1] for module, _args in fake.calls]


def probe(**over):
    return {**read(FakeHost()), **over}


def test_a_converged_host_is_two_round_trips():
    fake = FakeHost(state="start_pending")
    p = read(fake)
    assert fake.calls == [("ansible.windows.win_service_info", {"name": "eucsrv"}), ("ansible.windows.slurp", {"src": CFG_PATH})]
    assert p["content"] == converged() and p["cfg_exists"] and not p["cfg_isdir"] and p["read_error"] is None
    assert p["service_exists"] and p["service_state"] == "start_pending" and p["service_account"] == "LocalSystem"
    assert p["service_path"] == BINARY and p["config_path"] == CFG_PATH and p["install_dir"] == UCS and p["install_dir_exists"] is True
    assert p["option_service_name"] == "eucsrv" and p["option_install_dir"] == "" and set(m._PROBE_KEYS) <= set(p)
    assert m.read_problem(p, CFG_PATH) == ""


def test_the_install_dir_comes_from_the_option_else_the_binary_path():
    custom = FakeHost(path='"D:\\UCS\\eucsrv.exe"', paths={"D:\\UCS": "dir", "D:\\UCS\\config\\msteams.cfg": "file"})
    assert read(custom)["config_path"] == "D:\\UCS\\config\\msteams.cfg" and custom.calls[1][1] == {"src": "D:\\UCS\\config\\msteams.cfg"}
    option = FakeHost(paths={"E:\\X": "dir", "E:\\X\\config\\msteams.cfg": "file"})
    assert read(option, install_dir="E:\\X")["content"] == converged() and modules(option) == ["win_service_info", "slurp"]
    named = FakeHost()
    read(named, service_name="ucs2")
    assert named.calls[0][1] == {"name": "ucs2"}


def test_service_missing_and_install_dir_present():
    fake = FakeHost(service=False)
    p = read(fake)
    assert modules(fake) == ["win_service_info", "win_stat", "slurp"] and fake.calls[1][1] == {"path": UCS, "get_checksum": False}
    assert not p["service_exists"] and p["service_state"] is None and p["install_dir_exists"] is True and p["content"] == converged()
    assert "exists but there is no service 'eucsrv'" in m.host_problem(m.location_of(p), p["install_dir_exists"], "eucsrv")


def test_service_missing_and_no_install_dir():
    fake = FakeHost(service=False, paths={})
    p = read(fake)
    assert modules(fake) == ["win_service_info", "win_stat"]  # nothing to slurp
    assert p["install_dir_exists"] is False and p["cfg_exists"] is False and p["content"] is None and p["read_error"] is None
    assert "UCServer is not installed on this host" in m.host_problem(m.location_of(p), p["install_dir_exists"], "eucsrv")
    # a file where the install dir should be is no install dir
    assert read(FakeHost(service=False, paths={UCS: "file"}))["install_dir_exists"] is False


def test_msteams_cfg_missing():
    fake = FakeHost(paths={UCS: "dir"})
    p = read(fake)
    assert modules(fake) == ["win_service_info", "slurp", "win_stat"] and fake.calls[2][1] == {"path": CFG_PATH, "get_checksum": False}
    assert p["cfg_exists"] is False and p["content"] is None and p["read_error"] is None and m.read_problem(p, CFG_PATH) == ""
    assert p["install_dir_exists"] is None  # not read: the service says UCServer is installed
    assert m.current(m.location_of(p), p)["installed"] is True


def test_msteams_cfg_is_a_folder():
    fake = FakeHost(paths={UCS: "dir", CFG_PATH: "dir"})
    p = read(fake)
    assert modules(fake) == ["win_service_info", "slurp", "win_stat"]
    assert p["cfg_exists"] and p["cfg_isdir"] and p["content"] is None and p["read_error"] is None
    assert "is a folder, not a file" in m.read_problem(p, CFG_PATH)


def test_msteams_cfg_unreadable():
    fake = FakeHost(paths={UCS: "dir", CFG_PATH: "denied"})
    p = read(fake)
    assert modules(fake) == ["win_service_info", "slurp", "win_stat"]
    assert p["cfg_exists"] and not p["cfg_isdir"] and p["content"] is None
    assert p["read_error"] == f"Access to the path '{CFG_PATH}' is denied"
    problem = m.read_problem(p, CFG_PATH)
    assert "Could not read" in problem and "is denied." in problem and "denied.." not in problem and "read access" in problem
    assert "unknown error" in m.read_problem(probe(content=None, read_error=None), CFG_PATH)


def failing(step_key, answer):
    """A healthy host whose answer to step ``step_key`` is ``answer``."""
    fake = FakeHost(paths={UCS: "dir", CFG_PATH: "denied"}, service=step_key != "dir_stat")
    return lambda key, module, args: answer if key == step_key else fake(key, module, args)


@pytest.mark.parametrize(
    ("step", "answer", "words"),
    [
        ("service", {"failed": True, "msg": "WMI is down."}, r"failed reading the UCServer service \(ansible.windows.win_service_info\): WMI is down\.$"),
        ("service", {"failed": True}, r"\(ansible.windows.win_service_info\): no message"),
        ("service", {"changed": False, "skipped": True, "msg": "check mode"}, r"skipped reading the UCServer service .* must run also in check mode"),
        ("service", {"changed": False}, r"did not answer reading the UCServer service \(ansible.windows.win_service_info\) with 'exists'"),
        ("service", None, "gave no answer reading the UCServer service"),
        ("dir_stat", {"failed": True, "msg": "Access is denied."}, r"failed reading the install dir \(ansible.windows.win_stat\): Access is denied.$"),
        ("cfg_stat", {"failed": True, "msg": "Access is denied."}, r"failed reading msteams.cfg's attributes \(ansible.windows.win_stat\)"),
        ("cfg_stat", {"changed": False}, r"\(ansible.windows.win_stat\) with 'stat'"),
        ("slurp", {"changed": False, "encoding": "base64"}, r"did not answer reading msteams.cfg \(ansible.windows.slurp\) with 'content'"),
        ("slurp", {"skipped": True}, r"skipped reading msteams.cfg \(ansible.windows.slurp\)"),
    ],
)
def test_a_module_failure_is_one_sentence_naming_the_module(step, answer, words):
    with pytest.raises(m.ProbeError, match=words) as caught:
        read(failing(step, answer))
    assert SECRET not in str(caught.value) and converged() not in str(caught.value) and "\n" not in str(caught.value)


def test_a_failed_slurp_is_an_answer_and_an_incomplete_read_is_refused():
    # slurp failing is how a missing / folder / unreadable file shows; the next step tells which
    service = FakeHost()("service", "ansible.windows.win_service_info", {"name": "eucsrv"})
    step = m.next_read("eucsrv", "", {"service": service, "slurp": {"failed": True, "msg": "x"}})
    assert step == ("cfg_stat", "ansible.windows.win_stat", {"path": CFG_PATH, "get_checksum": False})
    with pytest.raises(m.ProbeError, match="incomplete"):
        m.probe_from_results({}, "eucsrv")
    with pytest.raises(m.ProbeError, match="incomplete"):
        m.probe_from_results({"service": {"changed": False, "exists": True, "services": [{"name": "eucsrv", "path": BINARY}]}}, "eucsrv")


def test_location_of_a_probe():
    loc = m.location_of(probe())
    assert loc["config_path"] == CFG_PATH and loc["install_dir_exists"] and loc["service_state"] == "running" and "read_path_ok" not in loc
    assert m.location_of(probe(), "D:\\U")["config_path"] == "D:\\U\\config\\msteams.cfg"


def test_read_problem_branches():
    assert m.read_problem(probe(), CFG_PATH) == ""
    assert m.read_problem(probe(cfg_exists=False, content=None), CFG_PATH) == ""
    folder = m.read_problem(probe(cfg_isdir=True, content=None), CFG_PATH)
    assert "is a folder, not a file" in folder and "read access" not in folder


def test_host_problem_branches():
    assert m.host_problem(m.locate(service()), False, "eucsrv") == ""
    gone = m.locate({"exists": False})
    assert "UCServer is not installed on this host" in m.host_problem(gone, False, "eucsrv")
    assert "exists but there is no service 'eucsrv'" in m.host_problem(gone, True, "eucsrv")


# -- reusing a read of the play -----------------------------------------------------------
def read_result(play="P", stamp=100, **over):
    return {"changed": False, "probe": {**probe(), "version": m.PROBE_VERSION, "stamp": stamp, "play": play, **over}}


def test_a_read_of_the_same_play_is_reused():
    assert m.reusable_probe(read_result(), "eucsrv", "", "P")["content"] == converged()
    # a plan since that could not write (converged, or check mode) leaves the read true
    assert m.reusable_probe(read_result(), "eucsrv", "", "P", {"may_write": False, "stamp": 200}) is not None
    # a plan made before the read, even one that wrote, does not matter
    assert m.reusable_probe(read_result(), "eucsrv", "", "P", {"may_write": True, "stamp": 50}) is not None


@pytest.mark.parametrize(
    ("read", "name", "install_dir", "play", "previous"),
    [
        (None, "eucsrv", "", "P", None),
        ({"failed": True, "msg": "x"}, "eucsrv", "", "P", None),
        ({"skipped": True}, "eucsrv", "", "P", None),
        (read_result(play="Q"), "eucsrv", "", "P", None),  # another play
        (read_result(), "eucsrv", "", None, None),  # play unknown
        (read_result(), "ucs2", "", "P", None),  # another service name
        (read_result(), "eucsrv", "D:\\U", "P", None),  # another install dir
        (read_result(version="procall.msteams ucserver probe v1"), "eucsrv", "", "P", None),
        (read_result(), "eucsrv", "", "P", {"may_write": True, "stamp": 200}),  # the role may have written since
        (read_result(), "eucsrv", "", "P", {"may_write": True, "stamp": 100}),
    ],
)
def test_a_read_is_not_reused(read, name, install_dir, play, previous):
    assert m.reusable_probe(read, name, install_dir, play, previous) is None


# -- access rules -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("account", "sid"),
    [(None, m.SID_SYSTEM), ("", m.SID_SYSTEM), ("LocalSystem", m.SID_SYSTEM), ("NT AUTHORITY\\SYSTEM", m.SID_SYSTEM),
     ("NT AUTHORITY\\LocalService", m.SID_LOCAL_SERVICE), ("nt authority\\network service", m.SID_NETWORK_SERVICE),
     (".\\ucsvc", ".\\ucsvc"), ("CONTOSO\\ucs$", "CONTOSO\\ucs$")],
)  # fmt: skip
def test_service_account_sid(account, sid):
    assert m.service_account_sid(account) == sid


def test_acl_rules_system_admins_and_the_account_with_modify():
    assert m.acl_rules("LocalSystem") == [{"user": m.SID_SYSTEM, "rights": "FullControl"}, {"user": m.SID_ADMINISTRATORS, "rights": "FullControl"}]
    assert m.acl_rules(".\\ucsvc")[-1] == {"user": ".\\ucsvc", "rights": "Modify"}


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
    p = m.plan(settings(service_account=".\\other"), SECRET, m.locate(service(username=".\\ucsvc")), None, "s", check_mode=True)
    assert p["service_account"] == ".\\other" and p["acl_rules"][-1]["user"] == ".\\other"
    assert "would change" in p["msg"]


def test_content_is_decided_from_what_the_stopped_service_left():
    left = converged(OLD, u8sTokenCache="REFRESHED")
    text = m.content(left, settings(log_level=6), SECRET)
    values = cfg.parse_cfg(text)["values"]
    assert values["u8sTokenCache"] == "REFRESHED" and values["u8sClientSecret"] == SECRET and values["iLogLevel"] == 6
    assert cfg.parse_cfg(m.content(None, settings(), SECRET))["values"]["bEnabled"] == 0


# -- read ---------------------------------------------------------------------------------
def test_current_and_current_secret():
    p = probe(service_account=".\\ucsvc")
    cur = m.current(m.location_of(p), p)
    assert cur["installed"] and cur["config_valid"] and cur["integration_enabled"] and cur["service_account"] == ".\\ucsvc"
    assert cur["config_path"] == CFG_PATH and cur["service_state"] == "running" and SECRET not in repr(cur)
    assert m.current_secret(p) == SECRET
    assert m.current_secret(probe(content=None, cfg_exists=False)) is None
    nothing = probe(service_exists=False, install_dir_exists=False, cfg_exists=False, content=None)
    gone = m.current(m.location_of(nothing), nothing)
    assert gone["installed"] is False and gone["install_dir"] is None and gone["config_present"] is False and gone["service_state"] is None
    dir_only = probe(service_exists=False, content=None, cfg_exists=False)
    assert m.current(m.location_of(dir_only), dir_only)["installed"] is True


# -- the result and the failure sentence --------------------------------------------------
OK = {"changed": True}
FAILED = {"failed": True, "msg": "boom"}
SKIPPED = {"skipped": True}


def test_outcome_of_a_change():
    p = plan(converged(OLD))
    r = m.outcome(p, {"gui": OK, "stop": OK, "backup": OK, "write": OK, "acl": {"results": [OK, {"changed": False}]}, "start": OK}, check_mode=False)
    assert r["restarted"] and r["started"] and r["gui_closed"] and r["acl_changed"] and r["changed"] and not r["failed"]
    assert r["backup_path"] == p["backup_path"] and r["changed_keys"] == ["u8sClientSecret"] and "msg" not in r


def test_outcome_of_a_start_only_and_of_a_converged_host():
    r = m.outcome(plan(converged(), state="stopped"), {"start": OK, "stop": SKIPPED, "gui": SKIPPED, "backup": SKIPPED})
    assert r["started"] and not r["restarted"] and r["changed"] and r["backup_path"] is None and not r["gui_closed"]
    quiet = m.outcome(plan(converged()), {}, check_mode=True)
    assert not quiet["changed"] and not quiet["started"] and quiet["check_mode"] and not quiet["acl_changed"]
    assert m.outcome(plan(converged(), file_acl="always"), {"acl": {"results": [OK]}})["changed"] is True


def fail(p, steps, step, result=None, no_log=False):
    return m.outcome(p, steps, failure={"step": step, "result": FAILED if result is None else result, "no_log": no_log})


RUNNING = {"changed": True, "state": "running"}


def test_outcome_ignores_steps_of_an_earlier_run():
    # the role's second run in a play: nothing to do, the steps' registered results are the first run's
    first_run = {"start": OK, "acl": {"results": [OK]}, "gui": OK, "backup": dict(OK, dest="x")}
    result = m.outcome(plan(converged()), first_run)
    assert not (result["changed"] or result["started"] or result["acl_changed"] or result["gui_closed"]) and result["backup_path"] is None
    assert not m.outcome(plan(converged(OLD)), first_run, check_mode=True)["started"]


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
    assert 'failed at "a step"' in m.outcome(plan(converged(OLD)), {"stop": OK}, failure={"result": FAILED})["msg"]


def test_old_backups():
    files = [{"filename": f"msteams.cfg.2026010{i}T000000Z.bak"} for i in (3, 1, 2)]
    assert [f["filename"][-20:-12] for f in m.old_backups(files, 1)] == ["20260101", "20260102"]
    assert m.old_backups(files, "5") == [] and m.old_backups(None, 1) == []
    assert len(m.old_backups(files, 0)) == 3


# -- a host that stops answering (apply.yml runs its steps with ignore_unreachable) -----------------------------------------

LOST = {"unreachable": True, "msg": "Failed to connect to the host via winrm: timed out", "changed": False}


def test_unreachable_step_names_the_first_lost_step_in_the_role_order():
    assert m.unreachable_step({}) == "" and m.unreachable_step(None) == ""
    assert m.unreachable_step({"gui": OK, "stop": OK, "write": SKIPPED, "restart": FAILED}) == ""
    steps = {"gui": OK, "stop": LOST, "write": LOST}
    assert m.unreachable_step(steps) == "the host stopped answering while stopping the service (Failed to connect to the host via winrm: timed out)"
    # A key the role does not word yet is named as it is.
    assert m.unreachable_step({"cleanup": LOST}).startswith("the host stopped answering while cleanup (")


@pytest.mark.parametrize("step", ["slurp", "write"])
def test_unreachable_step_never_repeats_the_error_of_a_step_that_holds_msteams_cfg(step):
    leaked = dict(LOST, msg="winrm send_input failed; stdout: u8sClientSecret=" + OLD)
    sentence = m.unreachable_step({step: leaked})
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
    r = m.outcome(p, {"stop": OK, "write": OK, "start": dict(LOST, changed=True)})
    assert not r["started"] and not r["restarted"]
