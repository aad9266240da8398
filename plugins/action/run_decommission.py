# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The decisions of procall.msteams.decommission and of rotate_secret's prune switch, step by step
(``module_utils/_run_decommission.py``). Thin: options in, the pure function's answer out."""

from __future__ import annotations

from ansible_collections.procall.msteams.plugins.module_utils import _run_decommission as decom
from ansible_collections.procall.msteams.plugins.module_utils._run_outcome import plan_start
from ansible_collections.procall.msteams.plugins.module_utils._run_settings import RunInputError
from ansible_collections.procall.msteams.plugins.plugin_utils._run_action import RunAction


class ActionModule(RunAction):
    ARGUMENT_SPEC = {
        "step": {"type": "str", "required": True, "choices": ["select", "start", "revoke", "app", "outcome", "prune"]},
        "selected": {"type": "raw"},
        "settings": {"type": "dict"},
        "leader": {"type": "str"},
        "app_result": {"type": "dict"},
        "app_error": {"type": "str"},
        "gone": {"type": "raw", "default": False},
        "previous": {"type": "dict"},
        "withdraw": {"type": "dict"},
        "current": {"type": "dict"},
        "revoke_result": {"type": "dict"},
        "opt_in": {"type": "raw", "default": False},
        "app_info": {"type": "dict"},
        "app_decision": {"type": "dict"},
        "failed_task": {"type": "str"},
        "failed_msg": {"type": "str"},
    }

    def _app_hosts(self, task_vars, app_key):
        """The run's hosts of this app (same ``app_key``), in inventory order."""
        hosts = []
        for host in (task_vars.get("groups") or {}).get("all", []):
            prepared = self.host_var(task_vars, host, "__msteams_prepared") or {}
            if prepared.get("app_key") and prepared.get("app_key") == app_key:
                hosts.append(host)
        return hosts

    def decide(self, args, task_vars):
        try:
            return getattr(self, "_" + args["step"])(args, task_vars)
        except RunInputError as exc:
            return {"failed": True, "msg": str(exc)}

    def _select(self, args, task_vars):
        problem = decom.selection_problem(task_vars.get("ansible_limit"), args["selected"])
        return {"failed": True, "msg": problem} if problem else {"msg": "the hosts are named"}

    def _start(self, args, task_vars):
        plan = plan_start("rotate", args["settings"], args["app_result"], args["app_error"], args["leader"])
        plan["gone"] = decom.to_bool(args["gone"], decom.GONE_VARIABLE)
        return plan

    def _revoke(self, args, task_vars):
        plan = dict(args["previous"] or {})
        if not plan.get("proceed"):
            return dict(plan, revoke=False)
        plan.update(decom.plan_revoke(plan.get("gone"), plan["app"]["app_id"], args["withdraw"], args["current"], self.check_mode(task_vars)))
        return plan

    def _app(self, args, task_vars):
        settings = args["settings"] or {}
        hosts = self._app_hosts(task_vars, settings.get("app_key"))
        revoked, failed = [], []
        for host in hosts:
            revoked.extend((self.host_var(task_vars, host, "__msteams_revoked") or {}).get("revoked_key_ids") or [])
            if self.host_var(task_vars, host, "__msteams_decom_failure") or not (self.host_var(task_vars, host, "__msteams_decom") or {}).get("proceed"):
                failed.append(host)
        secrets = (args["app_info"] or {}).get("secrets") or []
        return decom.app_delete(args["opt_in"], secrets, revoked, failed, check_mode=self.check_mode(task_vars))

    def _outcome(self, args, task_vars):
        plan = args["previous"] or {}
        if args["failed_task"] is not None:
            reason = "%s: %s" % (args["failed_task"], args["failed_msg"] or "failed without a message")
            return {"outcome": {"status": "failed", "reason": reason + " (its secrets are kept)", "revoked_key_ids": []}}
        if not plan.get("proceed"):
            return {"outcome": dict(plan.get("outcome") or {"status": "failed", "reason": "the host stopped before its outcome was decided"})}
        outcome = decom.decommission_outcome(
            plan.get("gone"), args["withdraw"], plan, args["revoke_result"], args["app_decision"], args["current"], self.check_mode(task_vars)
        )
        return {"outcome": outcome}

    def _prune(self, args, task_vars):
        settings = args["settings"] or {}
        refusal = decom.prune_refusal({name: task_vars.get(name) for name in (*decom.AWX_WORKFLOW_VARIABLES, decom.PRUNE_COMPLETE_VARIABLE)})
        if refusal:
            return {"failed": True, "msg": refusal, "orphans": [], "key_ids": []}
        keep = []
        for host in self._app_hosts(task_vars, settings.get("app_key")):
            outcome = (self.host_var(task_vars, host, "__msteams_outcome") or {}).get("outcome") or {}
            if outcome.get("secret_key_id"):
                keep.append(outcome["secret_key_id"])
        inventory = (task_vars.get("groups") or {}).get("all", [])
        orphans = decom.orphan_key_ids((args["app_info"] or {}).get("secrets"), inventory, keep)
        verb = "would be revoked" if self.check_mode(task_vars) else "revoked"
        listed = ", ".join("%s (%s)" % (o["key_id"], o["consumer"]) for o in orphans)
        msg = "%s: orphaned secrets %s: %s" % (settings.get("tenant", "?"), verb, listed) if orphans else "%s: no orphaned secret" % settings.get("tenant", "?")
        return {"orphans": orphans, "key_ids": [o["key_id"] for o in orphans], "msg": msg}
