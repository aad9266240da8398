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


# -- the probe: the role's one PowerShell script, through win_powershell --------------------
PROBE_SCRIPT = REPO / "roles" / "ucserver" / "files" / "ucserver_probe.ps1"


def test_the_probe_passes_only_real_win_powershell_options_and_the_script_parameters():
    from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_plan

    script = PROBE_SCRIPT.read_text()
    args = _ucserver_plan.probe_module_args(script, "eucsrv", "")
    assert set(args) <= set(real_options("win_powershell"))
    assert args["error_action"] in real_options("win_powershell")["error_action"]["choices"]
    declared = set(re.findall(r"^\s*\$(\w+)(?:\s*=.*)?,?\s*$", script.split("param (", 1)[1].split("\n)", 1)[0], re.M))
    assert set(args["parameters"]) == declared
    # the marker the stand-in and the controller know the script by; check mode runs it (win_powershell's rule)
    assert script.startswith(_ucserver_plan.PROBE_MARKER + "\n")
    assert "[CmdletBinding(SupportsShouldProcess)]" in script and "$Ansible.Changed = $false" in script
    # nothing goes to a stream: the content (the secret) leaves the host only in $Ansible.Result
    for writer in ("Write-Host", "Write-Output", "Write-Verbose", "Write-Debug", "Write-Information", "Write-Warning", "echo ", "[Console]"):
        assert writer not in script, writer


PROBE_PLAY = """
- name: Run win_powershell on simulated hosts
  hosts: ucservers
  gather_facts: false
  tasks:
    - name: Probe
      ansible.windows.win_powershell:
        script: "{{ lookup('ansible.builtin.file', probe_script) }}"
        parameters:
          ServiceName: eucsrv
          InstallDir: ""
          DefaultInstallDir: C:\\Program Files\\estos\\UCServer
      register: probed
    - name: Probe in check mode
      ansible.windows.win_powershell:
        script: "{{ lookup('ansible.builtin.file', probe_script) }}"
        parameters:
          ServiceName: eucsrv
          DefaultInstallDir: C:\\Program Files\\estos\\UCServer
      check_mode: true
    - name: Another script
      ansible.windows.win_powershell:
        script: Get-Service
      ignore_errors: true
    - name: Another script in check mode
      ansible.windows.win_powershell:
        script: Remove-Item C:\\x
      check_mode: true
      when: inventory_hostname == 'ok'
"""


def test_win_powershell_standin_answers_the_probe_as_the_script_would(ucserver_fleet, tmp_path):
    cfg = json.dumps({k: 0 for k in ucsim.VENDOR_KEYS} | {"u8sClientSecret": "Probe~Secret.0000"})
    fleet = ucserver_fleet(
        hosts=[
            {"name": "ok", "cfg": cfg, "service_account": "NT AUTHORITY\\LocalService", "service_state": "stopped"},
            {"name": "custom", "install_dir": "D:\\UCS", "cfg": cfg},
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
    (tmp_path / "play.yml").write_text(PROBE_PLAY)
    result = fleet.run(tmp_path / "play.yml", workdir=tmp_path / "w", extra_vars={"probe_script": str(PROBE_SCRIPT)})
    assert result.rc == 0, result
    assert undocumented_result_keys(result.report) == []
    got = {h: r["result"] for h, r in result.task_results("Probe").items()}
    assert got["ok"]["service_state"] == "Stopped" and got["ok"]["service_account"] == "NT AUTHORITY\\LocalService"
    assert base64.b64decode(got["ok"]["content"]).decode() == cfg and got["ok"]["read_error"] is None
    assert got["custom"]["install_dir"] == "D:\\UCS" and got["custom"]["config_path"] == "D:\\UCS\\config\\msteams.cfg"
    assert got["denied"]["cfg_exists"] and got["denied"]["content"] is None and "is denied" in got["denied"]["read_error"]
    assert got["folder"]["cfg_exists"] and got["folder"]["cfg_isdir"] and got["folder"]["content"] is None
    assert not got["noservice"]["service_exists"] and got["noservice"]["install_dir_exists"] and got["noservice"]["service_state"] is None
    assert not got["gone"]["install_dir_exists"] and not got["gone"]["cfg_exists"]
    assert all(r["changed"] is False for r in result.task_results("Probe").values())
    checked = result.task_results("Probe in check mode")
    assert all(not r.get("skipped") and r["result"]["probe"] == "procall.msteams ucserver probe v1" for r in checked.values())
    other = result.task_results("Another script")
    assert all(r["failed"] and "runs only the ucserver role's probe script" in r["msg"] for r in other.values())
    # like the real module: a script without SupportsShouldProcess does not run in check mode
    assert result.task_results("Another script in check mode")["ok"]["msg"] == "skipped, running in check mode"
    for host in fleet:
        assert host.calls() == ["win_powershell"] * (4 if host.name == "ok" else 3) and host.ops() == [], host.name
