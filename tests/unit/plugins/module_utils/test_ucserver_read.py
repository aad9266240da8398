"""The ucserver role's read of a host, branch by branch (module_utils/_ucserver_read.py)."""

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_input as inputs
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_read as host_read

from tests.unit.plugins.module_utils.ucserver_cases import CFG_PATH, SECRET, converged, service


def test_locate_from_the_service_binary_path():
    loc = host_read.locate(service(path='"D:\\UCS\\eucsrv.exe" -service', username="NT AUTHORITY\\LocalService"))
    assert loc == {
        "install_dir": "D:\\UCS", "config_dir": "D:\\UCS\\config", "config_path": "D:\\UCS\\config\\msteams.cfg",
        "service_exists": True, "service_state": "running", "service_account": "NT AUTHORITY\\LocalService",
    }  # fmt: skip


def test_locate_option_wins_and_vendor_default_last():
    assert host_read.locate(service(), "E:\\X")["install_dir"] == "E:\\X"
    missing = host_read.locate({"exists": False, "services": []})
    assert missing["install_dir"] == host_read.VENDOR_INSTALL_DIR and not missing["service_exists"] and missing["service_state"] is None
    assert host_read.locate(service(path="eucsrv.exe"))["install_dir"] == host_read.VENDOR_INSTALL_DIR  # no folder in the path
    assert host_read.locate({"skipped": True})["service_exists"] is False
    assert host_read.locate({"exists": True, "services": []})["service_exists"] is False


def test_locate_refuses_a_unc_install_dir():
    with pytest.raises(inputs.RoleInputError, match="ucserver_install_dir"):
        host_read.locate(service(), "\\\\srv\\share")


# -- the read: ansible.windows modules, step by step ---------------------------------------
UCS = host_read.VENDOR_INSTALL_DIR
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
    while (step := host_read.next_read(service_name, install_dir, results)) is not None:
        key, module, args = step
        assert key not in results and len(results) < 4, (key, results)
        results[key] = fake(key, module, args)
    return host_read.probe_from_results(results, service_name, install_dir)


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
    assert p["option_service_name"] == "eucsrv" and p["option_install_dir"] == "" and set(host_read._PROBE_KEYS) <= set(p)
    assert host_read.read_problem(p, CFG_PATH) == ""


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
    assert "exists but there is no service 'eucsrv'" in host_read.host_problem(host_read.location_of(p), p["install_dir_exists"], "eucsrv")


def test_service_missing_and_no_install_dir():
    fake = FakeHost(service=False, paths={})
    p = read(fake)
    assert modules(fake) == ["win_service_info", "win_stat"]  # nothing to slurp
    assert p["install_dir_exists"] is False and p["cfg_exists"] is False and p["content"] is None and p["read_error"] is None
    assert "UCServer is not installed on this host" in host_read.host_problem(host_read.location_of(p), p["install_dir_exists"], "eucsrv")
    # a file where the install dir should be is no install dir
    assert read(FakeHost(service=False, paths={UCS: "file"}))["install_dir_exists"] is False


def test_msteams_cfg_missing():
    fake = FakeHost(paths={UCS: "dir"})
    p = read(fake)
    assert modules(fake) == ["win_service_info", "slurp", "win_stat"] and fake.calls[2][1] == {"path": CFG_PATH, "get_checksum": False}
    assert p["cfg_exists"] is False and p["content"] is None and p["read_error"] is None and host_read.read_problem(p, CFG_PATH) == ""
    assert p["install_dir_exists"] is None  # not read: the service says UCServer is installed
    assert host_read.current(host_read.location_of(p), p)["installed"] is True


def test_msteams_cfg_is_a_folder():
    fake = FakeHost(paths={UCS: "dir", CFG_PATH: "dir"})
    p = read(fake)
    assert modules(fake) == ["win_service_info", "slurp", "win_stat"]
    assert p["cfg_exists"] and p["cfg_isdir"] and p["content"] is None and p["read_error"] is None
    assert "is a folder, not a file" in host_read.read_problem(p, CFG_PATH)


def test_msteams_cfg_unreadable():
    fake = FakeHost(paths={UCS: "dir", CFG_PATH: "denied"})
    p = read(fake)
    assert modules(fake) == ["win_service_info", "slurp", "win_stat"]
    assert p["cfg_exists"] and not p["cfg_isdir"] and p["content"] is None
    assert p["read_error"] == f"Access to the path '{CFG_PATH}' is denied"
    problem = host_read.read_problem(p, CFG_PATH)
    assert "Could not read" in problem and "is denied." in problem and "denied.." not in problem and "read access" in problem
    assert "unknown error" in host_read.read_problem(probe(content=None, read_error=None), CFG_PATH)


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
    with pytest.raises(host_read.ProbeError, match=words) as caught:
        read(failing(step, answer))
    assert SECRET not in str(caught.value) and converged() not in str(caught.value) and "\n" not in str(caught.value)


def test_a_failed_slurp_is_an_answer_and_an_incomplete_read_is_refused():
    # slurp failing is how a missing / folder / unreadable file shows; the next step tells which
    service = FakeHost()("service", "ansible.windows.win_service_info", {"name": "eucsrv"})
    step = host_read.next_read("eucsrv", "", {"service": service, "slurp": {"failed": True, "msg": "x"}})
    assert step == ("cfg_stat", "ansible.windows.win_stat", {"path": CFG_PATH, "get_checksum": False})
    with pytest.raises(host_read.ProbeError, match="incomplete"):
        host_read.probe_from_results({}, "eucsrv")
    with pytest.raises(host_read.ProbeError, match="incomplete"):
        host_read.probe_from_results({"service": {"changed": False, "exists": True, "services": [{"name": "eucsrv", "path": BINARY}]}}, "eucsrv")


def test_location_of_a_probe():
    loc = host_read.location_of(probe())
    assert loc["config_path"] == CFG_PATH and loc["install_dir_exists"] and loc["service_state"] == "running" and "read_path_ok" not in loc
    assert host_read.location_of(probe(), "D:\\U")["config_path"] == "D:\\U\\config\\msteams.cfg"


def test_read_problem_branches():
    assert host_read.read_problem(probe(), CFG_PATH) == ""
    assert host_read.read_problem(probe(cfg_exists=False, content=None), CFG_PATH) == ""
    folder = host_read.read_problem(probe(cfg_isdir=True, content=None), CFG_PATH)
    assert "is a folder, not a file" in folder and "read access" not in folder


def test_host_problem_branches():
    assert host_read.host_problem(host_read.locate(service()), False, "eucsrv") == ""
    gone = host_read.locate({"exists": False})
    assert "UCServer is not installed on this host" in host_read.host_problem(gone, False, "eucsrv")
    assert "exists but there is no service 'eucsrv'" in host_read.host_problem(gone, True, "eucsrv")


# -- reusing a read of the play -----------------------------------------------------------
def read_result(play="P", stamp=100, **over):
    return {"changed": False, "probe": {**probe(), "version": host_read.PROBE_VERSION, "stamp": stamp, "play": play, **over}}


def test_a_read_of_the_same_play_is_reused():
    assert host_read.reusable_probe(read_result(), "eucsrv", "", "P")["content"] == converged()
    # a plan since that could not write (converged, or check mode) leaves the read true
    assert host_read.reusable_probe(read_result(), "eucsrv", "", "P", {"may_write": False, "stamp": 200}) is not None
    # a plan made before the read, even one that wrote, does not matter
    assert host_read.reusable_probe(read_result(), "eucsrv", "", "P", {"may_write": True, "stamp": 50}) is not None


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
    assert host_read.reusable_probe(read, name, install_dir, play, previous) is None


# -- read ---------------------------------------------------------------------------------
def test_current_and_current_secret():
    p = probe(service_account=".\\ucsvc")
    cur = host_read.current(host_read.location_of(p), p)
    assert cur["installed"] and cur["config_valid"] and cur["integration_enabled"] and cur["service_account"] == ".\\ucsvc"
    assert cur["config_path"] == CFG_PATH and cur["service_state"] == "running" and SECRET not in repr(cur)
    assert host_read.current_secret(p) == SECRET
    assert host_read.current_secret(probe(content=None, cfg_exists=False)) is None
    nothing = probe(service_exists=False, install_dir_exists=False, cfg_exists=False, content=None)
    gone = host_read.current(host_read.location_of(nothing), nothing)
    assert gone["installed"] is False and gone["install_dir"] is None and gone["config_present"] is False and gone["service_state"] is None
    dir_only = probe(service_exists=False, content=None, cfg_exists=False)
    assert host_read.current(host_read.location_of(dir_only), dir_only)["installed"] is True
