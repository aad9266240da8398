"""The stand-ins must not drift from the real ansible.windows modules.

Reads the DOCUMENTATION of the installed ``ansible.windows`` (from the ``ansible`` package)
and fails when the role passes an option the real module does not have, when a stand-in
accepts an option (or default, type, alias) the real module does not, or when a stand-in is
missing for a module the role uses.
"""

from __future__ import annotations

import ast
import base64
import json
import pathlib
import re

import ansible_collections.ansible.windows as real_windows
import pytest
import yaml

from tests.simulator.fleet import STANDINS, ucsim

REPO = pathlib.Path(__file__).resolve().parents[2]
REAL = pathlib.Path(next(iter(real_windows.__path__))) / "plugins" / "modules"
STANDIN_MODULES = STANDINS / "ansible_collections" / "ansible" / "windows" / "plugins" / "modules"
# Task keywords that are not module options.
KEYWORDS = {
    "name", "register", "when", "loop", "loop_control", "vars", "no_log", "check_mode", "changed_when", "failed_when",
    "until", "retries", "delay", "async", "poll", "ignore_errors", "tags", "block", "rescue", "always", "become",
}  # fmt: skip


def real_doc(module):
    py, yml = REAL / f"{module}.py", REAL / f"{module}.yml"
    if py.exists():
        tree = ast.parse(py.read_text())
        for node in tree.body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
                return yaml.safe_load(node.value.value)
    return yaml.safe_load(yml.read_text())["DOCUMENTATION"]


def real_options(module):
    """option name -> doc entry, aliases included."""
    options = {}
    for name, spec in (real_doc(module).get("options") or {}).items():
        options[name] = spec
        for alias in spec.get("aliases") or []:
            options[alias] = spec
    return options


def standin_spec(module):
    tree = ast.parse((STANDIN_MODULES / f"{module}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "ARGUMENT_SPEC":
            return ast.literal_eval(node.value)
    raise AssertionError(f"stand-in {module} has no literal ARGUMENT_SPEC")


def role_module_uses():
    """(file, module, option names) for every ansible.windows task of the role."""
    uses = []
    for path in sorted((REPO / "roles" / "ucserver" / "tasks").glob("*.yml")):
        stack = list(yaml.safe_load(path.read_text()) or [])
        while stack:
            task = stack.pop()
            for key in ("block", "rescue", "always"):
                stack.extend(task.get(key, []))
            for key, args in task.items():
                if key.startswith("ansible.windows."):
                    uses.append((path.name, key.split(".")[-1], set((args or {}).keys())))
    return uses


STANDIN_NAMES = sorted(p.stem for p in STANDIN_MODULES.glob("*.py"))


def test_role_uses_only_ansible_windows_modules_with_real_options():
    uses = role_module_uses()
    assert {use[1] for use in uses} >= {"win_service", "win_service_info", "slurp", "win_copy", "win_command"}
    for file, module, options in uses:
        unknown = options - set(real_options(module))
        assert not unknown, f"{file}: ansible.windows.{module} has no option {sorted(unknown)}"
        assert module in STANDIN_NAMES, f"no stand-in for ansible.windows.{module}"


def option_mismatches(module, standin, real):
    """What a stand-in's ARGUMENT_SPEC accepts that the real module's documentation does not."""
    problems = []
    for name, spec in standin.items():
        if name not in real:
            problems.append(f"stand-in {module} accepts {name}, the real module does not")
            continue
        doc = real[name]
        if spec.get("type", "str") != doc.get("type", "str"):
            problems.append(f"{module}.{name}: type differs")
        if spec.get("default") != doc.get("default"):
            problems.append(f"{module}.{name}: default differs")
        if bool(spec.get("required")) != bool(doc.get("required")):
            problems.append(f"{module}.{name}: required differs")
        if not set(spec.get("aliases", [])) <= set(doc.get("aliases") or []):
            problems.append(f"{module}.{name}: aliases differ")
        # A stand-in may model fewer choices, never others, and limits an option exactly when the real one does.
        if bool(spec.get("choices")) != bool(doc.get("choices")) or not set(spec.get("choices") or []) <= set(doc.get("choices") or []):
            problems.append(f"{module}.{name}: choices differ")
    return problems


@pytest.mark.parametrize("module", STANDIN_NAMES)
def test_standin_options_match_the_real_module(module):
    assert option_mismatches(module, standin_spec(module), real_options(module)) == []


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"name": {"type": "str", "required": True, "choices": ["a"]}}, "choices differ"),  # real: no choices
        ({"state": {"type": "str", "choices": ["started", "flying"]}}, "choices differ"),
        ({"state": {"type": "str"}}, "choices differ"),  # real: limited
        ({"name": {"type": "int", "required": True}}, "type differs"),
        ({"nope": {}}, "accepts nope"),
    ],
)
def test_a_drifted_standin_is_caught(spec, problem):
    problems = option_mismatches("win_service", spec, real_options("win_service"))
    assert any(problem in p for p in problems), problems


# Keys every task result may carry, added by Ansible itself or by a task keyword.
GENERIC_RESULT_KEYS = {
    "changed", "failed", "msg", "invocation", "_ansible_no_log", "action", "skipped", "skip_reason", "false_condition",
    "failed_when_result", "failed_when_suppressed_exception", "attempts", "retries", "ansible_job_id", "finished",
    "started", "results_file", "exception", "censored", "warnings", "deprecations", "item", "ansible_loop_var",
    "_ansible_item_label", "results", "unreachable", "child_pid", "stderr", "stdout", "stdout_lines", "stderr_lines", "rc", "cmd",
}  # fmt: skip


def real_returns(module):
    py, yml = REAL / f"{module}.py", REAL / f"{module}.yml"
    if py.exists():
        for node in ast.parse(py.read_text()).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "RETURN":
                return yaml.safe_load(node.value.value) or {}
        return {}  # win_acl, win_acl_inheritance: no documented returns beyond the generic ones
    return yaml.safe_load(yml.read_text()).get("RETURN") or {}


def undocumented_result_keys(report):
    """Keys in stand-in results (from an ansible.posix.json report) the real module does not document."""
    problems = set()
    for play in (report or {}).get("plays", []):
        for task in play.get("tasks", []):
            for res in task["hosts"].values():
                action = res.get("action", "")
                if not action.startswith("ansible.windows.") or res.get("skipped") or res.get("censored"):
                    continue
                module = action.split(".")[-1]
                documented = real_returns(module)
                for key in set(res) - GENERIC_RESULT_KEYS - set(documented):
                    problems.add(f"{module}: {key}")
                for key, spec in documented.items():
                    if spec.get("type") == "list" and spec.get("contains") and isinstance(res.get(key), list):
                        for entry in res[key]:
                            for sub in set(entry) - set(spec["contains"]):
                                problems.add(f"{module}: {key}[].{sub}")
    return sorted(problems)


def test_slurp_returns_are_documented():
    assert set(real_returns("slurp")) >= {"content", "encoding", "source"}


# -- the read: ansible.windows modules run by the actions ucserver_read / ucserver_plan -------
def read_steps():
    """Every (module, args) ``next_read`` can give: a host with the service, one without, a slurp that failed."""
    from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_read

    service = {"changed": False, "exists": True, "services": [{"name": "eucsrv", "path": "C:\\U\\eucsrv.exe", "state": "running", "username": None}]}
    nothing = {"changed": False, "exists": False, "services": []}
    answers = [
        {},
        {"service": service},
        {"service": service, "slurp": {"failed": True, "msg": "Path x is not found"}},
        {"service": nothing},
        {"service": nothing, "dir_stat": {"changed": False, "stat": {"exists": True, "isdir": True}}},
    ]
    return [_ucserver_read.next_read("eucsrv", "", results)[1:] for results in answers]


def test_the_read_uses_only_ansible_windows_modules_with_real_options_that_run_in_check_mode():
    steps = read_steps()
    assert sorted({module for module, _args in steps}) == ["ansible.windows.slurp", "ansible.windows.win_service_info", "ansible.windows.win_stat"]
    for module, args in steps:
        short = module.split(".")[-1]
        assert set(args) <= set(real_options(short)), (module, args)
        assert short in STANDIN_NAMES, f"no stand-in for {module}"
        # the actions run them also in check mode: the real module must support it (else Ansible skips it)
        source = (REAL / f"{short}.ps1").read_text()
        assert re.search(r"supports_check_mode\s*=?\s*\$true", source, re.I), module


READ_PLAY = """
- name: The read's modules on simulated hosts, in check mode
  hosts: ucservers
  gather_facts: false
  check_mode: true
  tasks:
    - name: Service
      ansible.windows.win_service_info:
        name: eucsrv
    - name: Install dir
      ansible.windows.win_stat:
        path: C:\\Program Files\\estos\\UCServer
        get_checksum: false
    - name: Slurp
      ansible.windows.slurp:
        src: C:\\Program Files\\estos\\UCServer\\config\\msteams.cfg
      ignore_errors: true
    - name: Cfg
      ansible.windows.win_stat:
        path: C:\\Program Files\\estos\\UCServer\\config\\msteams.cfg
        get_checksum: false
"""


def test_the_read_modules_answer_in_check_mode_as_the_real_ones(ucserver_fleet, tmp_path):
    cfg = json.dumps({k: 0 for k in ucsim.VENDOR_KEYS} | {"u8sClientSecret": "Probe~Secret.0000"})
    fleet = ucserver_fleet(
        hosts=[
            {"name": "ok", "cfg": cfg, "service_account": "NT AUTHORITY\\LocalService", "service_state": "stopped"},
            {"name": "denied", "cfg": cfg},
            {"name": "folder"},
            {"name": "noservice", "service": False},
            {"name": "gone", "installed": False},
        ]
    )
    fleet["folder"].cfg_file.mkdir()
    # Administrators denied reading the file: the connecting user (an administrator) cannot read it
    deny = {"inherit": True, "rules": [{"user": "S-1-5-32-544", "rights": "Read", "type": "deny"}]}
    fleet["denied"]._update(lambda s: s["acls"].update({fleet["denied"].cfg_win_path.lower(): deny}))
    (tmp_path / "play.yml").write_text(READ_PLAY)
    result = fleet.run(tmp_path / "play.yml", workdir=tmp_path / "w")
    assert result.rc == 0, result
    assert undocumented_result_keys(result.report) == []
    service = result.task_results("Service")
    entry = service["ok"]["services"][0]
    assert entry["state"] == "stopped" and entry["username"] == "NT AUTHORITY\\LocalService" and "eucsrv.exe" in entry["path"]
    assert service["noservice"]["exists"] is False and service["noservice"]["services"] == []
    folder_stat = result.task_results("Install dir")
    assert folder_stat["noservice"]["stat"]["isdir"] and folder_stat["gone"]["stat"] == {"exists": False}
    slurp = result.task_results("Slurp")
    assert base64.b64decode(slurp["ok"]["content"]).decode() == cfg and not slurp["ok"].get("failed")
    assert slurp["denied"]["failed"] and "is denied" in slurp["denied"]["msg"] and "content" not in slurp["denied"]
    assert slurp["folder"]["failed"] and "is a directory" in slurp["folder"]["msg"]
    assert slurp["gone"]["failed"] and "not found" in slurp["gone"]["msg"]
    stat = result.task_results("Cfg")
    assert stat["denied"]["stat"]["exists"] and stat["denied"]["stat"]["isreg"] and "checksum" not in stat["denied"]["stat"]
    assert stat["folder"]["stat"]["isdir"] and stat["gone"]["stat"] == {"exists": False}
    for task in ("Service", "Install dir", "Slurp", "Cfg"):
        assert not any(r.get("skipped") or r.get("changed") for r in result.task_results(task).values()), task
    for host in fleet:
        assert host.calls() == ["win_service_info", "win_stat", "slurp", "win_stat"] and host.ops() == [], host.name
