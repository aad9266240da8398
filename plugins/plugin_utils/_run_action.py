# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The common part of the playbooks' controller-only action plugins (``procall.msteams.run_*``).

For internal collection use only; the interface may change without notice.

Each ``run_*`` action validates its options, hands plain data to a pure function in
``module_utils/_run_*.py`` and returns that function's answer as a module-shaped result
(``changed: false``; ``failed`` with one sentence when the function refuses). None of them
returns a secret, and only ``run_host_plan`` (its ``read`` option) contacts a host.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ansible.plugins.action import ActionBase


def plain(value):
    """Plain dicts, lists and scalars (hostvars and templated results are lazy mappings on some cores)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(v) for v in value]
    return value


class RunAction(ActionBase):
    """Base class: no connection, no file transfer, check mode supported (nothing is changed)."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    ARGUMENT_SPEC: dict = {}

    def decide(self, args, task_vars):  # pragma: no cover - each action defines it
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        answer = self.decide(plain(args), task_vars)
        result.update(answer)
        result.setdefault("changed", False)
        return result

    @staticmethod
    def host_var(task_vars, host, name, default=None):
        """A variable of another host of the run (``hostvars[host][name]``), as plain data."""
        hostvars = task_vars.get("hostvars") or {}
        try:
            values = hostvars[host]
        except KeyError:
            return default
        if name not in values:
            return default
        return plain(values[name])

    @staticmethod
    def check_mode(task_vars):
        return bool(task_vars.get("ansible_check_mode", False))
