"""Every playbook's run_prepare task passes every inventory variable run_prepare reads.

run_prepare gets the variables as options (not from hostvars), so a variable the action knows
but a playbook does not pass is silently ignored: msteams_secret_revoke_grace_minutes and
msteams_secret_health_check once were.
"""

from __future__ import annotations

import pathlib

import yaml
from ansible_collections.procall.msteams.plugins.action.run_prepare import VARIABLES

PLAYBOOKS = pathlib.Path(__file__).resolve().parents[2] / "playbooks"


def _tasks(node):
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        yield node
        for key in ("tasks", "block", "rescue", "always"):
            yield from _tasks(node.get(key))


def prepare_calls():
    for path in sorted(PLAYBOOKS.rglob("*.yml")):
        for task in _tasks(yaml.safe_load(path.read_text())):
            if "procall.msteams.run_prepare" in task:
                yield path.relative_to(PLAYBOOKS), task["procall.msteams.run_prepare"]


def test_every_run_prepare_call_passes_every_variable():
    calls = list(prepare_calls())
    assert len(calls) >= 2, "prepare.yml and status.yml call run_prepare"
    for path, options in calls:
        assert set(options) == set(VARIABLES), f"{path}: missing {sorted(set(VARIABLES) - set(options))}"
        for option, variable in VARIABLES.items():
            assert variable in options[option], f"{path}: {option} is not fed from {variable}"
