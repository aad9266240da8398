# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""After a batch of rotate_secret: does the rollout stop (``_run_summary.rollout_halt``)?"""

from __future__ import annotations

from ansible_collections.procall.msteams.plugins.module_utils._run_settings import RunInputError
from ansible_collections.procall.msteams.plugins.module_utils._run_summary import rollout_halt
from ansible_collections.procall.msteams.plugins.plugin_utils._run_action import RunAction


class ActionModule(RunAction):
    ARGUMENT_SPEC = {"max_failed_hosts": {"type": "raw"}}

    def outcomes(self, task_vars, hosts):
        return [(self.host_var(task_vars, host, "__msteams_outcome") or {}).get("outcome") for host in hosts]

    def decide(self, args, task_vars):
        batch = self.outcomes(task_vars, task_vars.get("ansible_play_batch") or [])
        every = self.outcomes(task_vars, task_vars.get("ansible_play_hosts_all") or [])
        try:
            reason = rollout_halt(batch, every, args["max_failed_hosts"])
        except RunInputError as exc:
            return {"failed": True, "msg": str(exc)}
        return {"halt": bool(reason), "reason": reason or ""}
