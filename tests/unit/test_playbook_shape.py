"""The playbooks and the role only sequence steps: a budget on set_fact tasks and on the size of Jinja expressions.

Decisions live in plugins/module_utils/ (unit-tested branch by branch); a rule that grows back
into a template shows up here first. The budgets are those of the "Decisions in Python" issue:
at most 10 set_fact tasks in playbooks/ and roles/, no expression over 150 characters.
"""

from __future__ import annotations

import pathlib
import re

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted((REPO / "playbooks").rglob("*.yml"))
ROLE_TASKS = sorted((REPO / "roles").glob("*/tasks/*.yml"))
MAX_SET_FACT_TASKS = 10
MAX_EXPRESSION = 150
EXPRESSION = re.compile(r"{{.*?}}|{%.*?%}", re.S)


def tasks_of(node):
    if isinstance(node, list):
        for item in node:
            yield from tasks_of(item)
    elif isinstance(node, dict):
        if "name" in node and not {"hosts", "import_playbook"} & set(node):
            yield node
        for key in ("tasks", "block", "rescue", "always", "pre_tasks", "post_tasks", "handlers"):
            if key in node:
                yield from tasks_of(node[key])


def all_tasks():
    for path in PLAYBOOKS + ROLE_TASKS:
        for task in tasks_of(yaml.safe_load(path.read_text())):
            yield path, task


def test_playbooks_exist():
    assert {p.name for p in PLAYBOOKS} >= {"onboard.yml", "rotate_secret.yml", "status.yml"}


def test_at_most_ten_set_fact_tasks_in_the_playbooks_and_the_role():
    set_facts = [(p.name, t["name"]) for p, t in all_tasks() if {"ansible.builtin.set_fact", "set_fact"} & set(t)]
    assert len(set_facts) <= MAX_SET_FACT_TASKS, set_facts


def test_no_jinja_expression_over_150_characters():
    assert ROLE_TASKS, "the role's task files are read too"
    for path in PLAYBOOKS + sorted((REPO / "roles").rglob("*.yml")):
        for expression in EXPRESSION.findall(path.read_text()):
            flat = " ".join(expression.split())
            assert len(flat) <= MAX_EXPRESSION, f"{path.name}: {flat}"


def test_every_task_is_named():
    for path, task in all_tasks():
        assert task["name"], path


MAX_MODULE_UTILS_LINES = 400


def test_no_module_utils_file_over_400_lines():
    """One concern a file (the "Decisions in Python" issue): a file past the budget is split by what it holds."""
    files = sorted((REPO / "plugins" / "module_utils").glob("*.py"))
    assert len(files) > 10
    too_long = {f.name: n for f in files if (n := len(f.read_text().splitlines())) > MAX_MODULE_UTILS_LINES}
    assert not too_long, too_long
