# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Classify one host for the status playbook (``_run_status.status_row``).

The deployed secret comes in as a no_log option and is only compared by its hint; the answer's
``outcome`` (the host's row) never holds it. ``outcome.app_notes`` carries what the report says
once per app (orphaned secrets, what was not checked); ``run_report`` takes it out of the rows.
"""

from __future__ import annotations

from ansible_collections.procall.msteams.plugins.module_utils._run_status import (
    DEFAULT_DUE_DAYS,
    DEFAULT_MIN_DAYS,
    app_notes,
    status_key,
    status_row,
    unread_row,
)
from ansible_collections.procall.msteams.plugins.plugin_utils._run_action import RunAction


class ActionModule(RunAction):
    ARGUMENT_SPEC = {
        "settings": {"type": "dict", "required": True},
        "read_error": {"type": "str"},
        "current": {"type": "dict"},
        "app_info": {"type": "dict"},
        "deployed_secret": {"type": "str", "no_log": True},
        "min_days": {"type": "int", "default": DEFAULT_MIN_DAYS},
        "due_days": {"type": "int", "default": DEFAULT_DUE_DAYS},
    }

    def decide(self, args, task_vars):
        settings = args["settings"]
        if not settings.get("proceed"):
            return {"outcome": dict(settings.get("outcome") or unread_row(None))}
        if args["read_error"] is not None or args["current"] is None:
            return {"outcome": unread_row(args["read_error"])}
        row = status_row(
            task_vars.get("inventory_hostname"),
            args["current"],
            args["app_info"],
            args["deployed_secret"],
            settings.get("tenant_id"),
            args["min_days"],
            args["due_days"],
        )
        if status_key(settings.get("tenant_id"), args["current"]) and args["app_info"] is not None:
            # Orphans are judged against the whole inventory (groups.all), not the hosts of
            # this run, so a --limit run never calls a host's secret an orphan.
            inventory_hosts = (task_vars.get("groups") or {}).get("all") or []
            row["app_notes"] = app_notes(args["app_info"], inventory_hosts, settings.get("tenant"))
        return {"outcome": row}
