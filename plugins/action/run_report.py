# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The end of a run: every targeted host's outcome as printed lines, JSON (and for status CSV,
a Prometheus textfile and a Nagios/Icinga plugin result),
and the sentence that fails the run (``_run_summary.summary_report``, ``_status_report.status_report``).

The hosts are those of the inventory (in its order) that ``procall.msteams.run_prepare`` saw in
this run; a host without an outcome stopped outside the playbook's steps (unreachable).
"""

from __future__ import annotations

import time

from ansible_collections.procall.msteams.plugins.module_utils._run_status import DEFAULT_DUE_DAYS, DEFAULT_MIN_DAYS
from ansible_collections.procall.msteams.plugins.module_utils._run_summary import hosts_to_fail, summary_report
from ansible_collections.procall.msteams.plugins.module_utils._status_report import status_report
from ansible_collections.procall.msteams.plugins.plugin_utils._run_action import RunAction


class ActionModule(RunAction):
    ARGUMENT_SPEC = {
        "run": {"type": "str", "required": True, "choices": ["onboard", "rotate_secret", "status", "decommission"]},
        "min_days": {"type": "int", "default": DEFAULT_MIN_DAYS},
        "due_days": {"type": "int", "default": DEFAULT_DUE_DAYS},
    }

    def decide(self, args, task_vars):
        hosts = []
        for host in (task_vars.get("groups") or {}).get("all", []):
            prepared = self.host_var(task_vars, host, "__msteams_prepared")
            if not prepared:
                continue
            outcome = (self.host_var(task_vars, host, "__msteams_outcome") or {}).get("outcome")
            hosts.append((host, prepared.get("tenant", ""), outcome))
        if args["run"] == "status":
            report = status_report(hosts, args["min_days"], args["due_days"], generated_at=time.time())
        else:
            report = summary_report(args["run"], hosts)
        report["fail_hosts"] = hosts_to_fail(report["failing_hosts"], task_vars.get("ansible_play_hosts"), task_vars.get("inventory_hostname"))
        return report
