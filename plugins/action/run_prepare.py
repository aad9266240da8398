# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check a host's inventory and compute its settings (``_run_settings.host_settings``)."""

from __future__ import annotations

from ansible_collections.procall.msteams.plugins.module_utils._run_settings import host_settings
from ansible_collections.procall.msteams.plugins.plugin_utils._run_action import RunAction

# Option -> the inventory variable it comes from (the messages name the variable).
VARIABLES = {
    "tenant_id": "msteams_tenant_id",
    "tenant_name": "msteams_tenant_name",
    "app_unique_name": "msteams_app_unique_name",
    "rotate_before_days": "msteams_secret_rotate_before_days",
    "validity_days": "msteams_secret_validity_days",
    "health_check": "msteams_secret_health_check",
    "revoke_grace_minutes": "msteams_secret_revoke_grace_minutes",
}


class ActionModule(RunAction):
    ARGUMENT_SPEC = {option: {"type": "raw"} for option in VARIABLES}

    def decide(self, args, task_vars):
        variables = {VARIABLES[option]: value for option, value in args.items()}
        return host_settings(task_vars.get("inventory_hostname"), variables)
