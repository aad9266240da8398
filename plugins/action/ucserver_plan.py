# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decide what the ``ucserver`` role does on a host, and report it (controller only).

Thin: the decisions are in ``module_utils/_ucserver_plan.py``. Returns a module-shaped result:
``changed`` (the file changes or a stopped service is started), ``diff`` (secrets masked),
``warnings``, ``msg``, and the plan the role's tasks follow. The secret is an input only; the
result never holds it, so this task needs no ``no_log`` and its diff is shown.
"""

from __future__ import annotations

import datetime

from ansible.plugins.action import ActionBase
from ansible_collections.procall.msteams.plugins.module_utils._msteams_cfg import MsteamsCfgError
from ansible_collections.procall.msteams.plugins.module_utils._ucserver_plan import host_problem, plan

ARGUMENT_SPEC = {
    "settings": {"type": "dict", "required": True},
    "client_secret": {"type": "str", "required": True, "no_log": True},
    "location": {"type": "dict", "required": True},
    "dir_stat": {"type": "dict", "default": {}},
    "current": {"type": "str"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        settings, location = args["settings"], args["location"]
        problem = host_problem(location, args["dir_stat"], settings["service_name"])
        if problem:
            return dict(result, failed=True, msg=problem)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        try:
            decided = plan(settings, args["client_secret"], location, args["current"], backup_stamp=stamp, check_mode=bool(self._play_context.check_mode))
        except MsteamsCfgError as exc:
            return dict(result, failed=True, msg=str(exc))
        if not decided["diff"]:
            decided.pop("diff")
        if not decided["warnings"]:
            decided.pop("warnings")
        return dict(result, **decided)
