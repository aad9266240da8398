# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Count the tasks Ansible ran per host, for the fleet benchmark (tests only, never shipped).

Enabled by the benchmark through the environment (``ANSIBLE_CALLBACK_PLUGINS`` = this folder,
``ANSIBLE_CALLBACKS_ENABLED=bench_task_counts``); at the end of the playbook it writes
``{host: {"ok": n, "failed": n, "skipped": n, "unreachable": n, "includes": n}, ...}`` and the
number of handler tasks started to the file named by ``PROCALL_BENCH_TASK_COUNTS``.

A task counts once per host it ran for, whatever its outcome: a skipped task costs the
controller a templated ``when`` and a callback round, so it is counted like any other. A loop
counts once (its items are the same task). ``include_tasks`` counts as Ansible reports it: one
result per host (ok, or skipped when its ``when`` is false) plus one ``includes`` per host and
included file. A result of a task delegated to localhost counts for the host it was run for.
"""

from __future__ import annotations

import collections
import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: bench_task_counts
    type: aggregate
    short_description: count tasks per host for the fleet benchmark
    description:
        - Writes per-host task counts to the file in C(PROCALL_BENCH_TASK_COUNTS) at the end of the run.
    author: procall.msteams contributors
    version_added: 0.1.0
"""

OUTCOMES = ("ok", "failed", "skipped", "unreachable", "includes")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_task_counts"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.counts = collections.defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
        self.handlers = 0

    def _count(self, result, outcome):
        self.counts[result._host.get_name()][outcome] += 1

    def v2_runner_on_ok(self, result):
        self._count(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._count(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._count(result, "unreachable")

    def v2_playbook_on_include(self, included_file):
        for host in included_file._hosts:
            self.counts[host.get_name()]["includes"] += 1

    def v2_playbook_on_handler_task_start(self, task):
        self.handlers += 1

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("PROCALL_BENCH_TASK_COUNTS")
        if not path:
            return
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"hosts": dict(self.counts), "handler_tasks": self.handlers}, f)
