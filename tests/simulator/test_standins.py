"""The stand-ins must not drift from the real ansible.windows modules.

Reads the DOCUMENTATION of the installed ``ansible.windows`` (from the ``ansible`` package)
and fails when the role passes an option the real module does not have, when a stand-in
accepts an option (or default, type, alias) the real module does not, or when a stand-in is
missing for a module the role uses.
"""

from __future__ import annotations

import ast
import pathlib

import ansible_collections.ansible.windows as real_windows
import pytest
import yaml

from tests.simulator.fleet import STANDINS

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
