# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Record what happened to one host in onboard / rotate_secret (``_run_outcome.host_outcome``,
``failed_outcome`` when ``failed_task`` is given). The answer's ``outcome`` is the host's row
of the summary and of the JSON report."""

from __future__ import annotations

from ansible_collections.procall.msteams.plugins.module_utils._run_outcome import MODES, failed_outcome, host_outcome
from ansible_collections.procall.msteams.plugins.plugin_utils._run_action import RunAction


class ActionModule(RunAction):
    ARGUMENT_SPEC = {
        "mode": {"type": "str", "required": True, "choices": list(MODES)},
        "plan": {"type": "dict"},
        "role_result": {"type": "dict"},
        "revoke_result": {"type": "dict"},
        "failed_task": {"type": "str"},
        "failed_msg": {"type": "str"},
        "withdraw_result": {"type": "dict"},
        "readback_failed": {"type": "bool", "default": False},
    }

    def decide(self, args, task_vars):
        if args["failed_task"] is not None:
            outcome = failed_outcome(args["plan"], args["failed_task"], args["failed_msg"], args["withdraw_result"], args["readback_failed"])
        else:
            outcome = host_outcome(args["mode"], args["plan"], args["role_result"], args["revoke_result"], self.check_mode(task_vars))
        return {"outcome": outcome}
