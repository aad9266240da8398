# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pick the one host of the play that talks to Graph for an app (``_run_settings.elect_leaders``).

``by: app`` groups the hosts by the app registration they should get (tenant and unique name,
from ``procall.msteams.run_prepare``); ``by: status`` by the app they run (tenant and client id
in msteams.cfg, from the role's ``ucserver_current``).
"""

from __future__ import annotations

from ansible_collections.procall.msteams.plugins.module_utils._run_settings import elect_leaders
from ansible_collections.procall.msteams.plugins.module_utils._run_status import status_key
from ansible_collections.procall.msteams.plugins.plugin_utils._run_action import RunAction


class ActionModule(RunAction):
    ARGUMENT_SPEC = {"by": {"type": "str", "required": True, "choices": ["app", "status"]}}

    def key_of(self, task_vars, host, by):
        prepared = self.host_var(task_vars, host, "__msteams_prepared") or {}
        if not prepared.get("proceed"):
            return ""
        if by == "app":
            return prepared.get("app_key") or ""
        if self.host_var(task_vars, host, "__msteams_read_error") is not None:
            return ""
        return status_key(prepared.get("tenant_id"), self.host_var(task_vars, host, "ucserver_current"))

    def decide(self, args, task_vars):
        hosts = list(task_vars.get("ansible_play_hosts") or [])
        keys = [(host, self.key_of(task_vars, host, args["by"])) for host in hosts]
        me = task_vars.get("inventory_hostname")
        key = dict(keys).get(me, "")
        leader = elect_leaders(keys).get(key, "") if key else ""
        return {"key": key, "host": leader, "is_leader": bool(leader) and leader == me}
