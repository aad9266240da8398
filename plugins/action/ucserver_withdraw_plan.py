# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decide the file step that takes a host off the own app (the role's ``tasks_from: withdraw``).

Thin: the decision is ``_run_decommission.withdraw_plan``. Returns ``changed``, ``diff``
(secrets masked), ``msg`` and the plan the role's tasks follow; never a file's content.
"""

from __future__ import annotations

import datetime

from ansible.plugins.action import ActionBase
from ansible_collections.procall.msteams.plugins.module_utils._run_decommission import backups_from_slurp, withdraw_plan
from ansible_collections.procall.msteams.plugins.module_utils._run_settings import RunInputError

ARGUMENT_SPEC = {
    "client_id": {"type": "str", "required": True},
    # The registered result of procall.msteams.ucserver_read (it holds the file), or location + current.
    "read": {"type": "dict", "no_log": True},
    "location": {"type": "dict"},
    "current": {"type": "str"},
    # Each backup's base64 content is an input only (it may hold an old secret).
    "backups": {"type": "list", "elements": "dict", "default": [], "no_log": True},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC, mutually_exclusive=[("read", "location"), ("read", "current")], required_one_of=[("read", "location")]
        )
        location, current = args["location"], args["current"]
        if args["read"] is not None:
            probe = args["read"].get("probe") or {}
            location = dict(args["read"].get("location") or {}, service_name=probe.get("option_service_name"))
            current = probe.get("content")
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        try:
            backups = backups_from_slurp(args["backups"])
            decided = withdraw_plan(args["client_id"], dict(location), current, backups, stamp, bool(self._play_context.check_mode))
        except RunInputError as exc:
            return dict(result, failed=True, msg=str(exc))
        if not decided["diff"]:
            decided.pop("diff")
        return dict(result, **decided)
