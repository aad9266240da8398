# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read the host (or reuse the read of this play) and decide what the ``ucserver`` role does on it.

Thin: the probe is ``plugin_utils/_ucserver_probe.py``, the decisions are in
``module_utils/_ucserver_read.py`` and ``_ucserver_plan.py``. Returns a module-shaped result: ``changed`` (the file changes
or a stopped service is started), ``diff`` (secrets masked), ``warnings``, ``msg``, and the plan
the role's tasks follow. The secret and the file are inputs only; the result never holds them,
so this task needs no ``no_log`` and its diff is shown.
"""

from __future__ import annotations

import datetime

from ansible.plugins.action import ActionBase
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_plan as host_plan
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_read as host
from ansible_collections.procall.msteams.plugins.module_utils._msteams_cfg import MsteamsCfgError
from ansible_collections.procall.msteams.plugins.plugin_utils._ucserver_probe import play_id, run_probe, stamp

ARGUMENT_SPEC = {
    "settings": {"type": "dict", "required": True},
    "client_secret": {"type": "str", "required": True, "no_log": True},
    # The registered result of procall.msteams.ucserver_read earlier in the play (it holds the file).
    "read": {"type": "dict", "no_log": True},
    # The registered result of this action's previous run on the host, if any.
    "previous": {"type": "dict"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        settings = args["settings"]
        name, install_dir = settings["service_name"], settings["install_dir"]
        check_mode = bool(self._play_context.check_mode)
        probe = host.reusable_probe(args["read"], name, install_dir, play_id(self._task), args["previous"])
        reused = probe is not None
        try:
            probe = probe or run_probe(self, task_vars or {}, name, install_dir)
        except host.ProbeError as exc:
            return dict(result, failed=True, msg=str(exc))
        location = host.location_of(probe, install_dir)
        problem = host.read_problem(probe, location["config_path"]) or host.host_problem(location, location["install_dir_exists"], name)
        if problem:
            return dict(result, failed=True, msg=problem)
        backup_stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        try:
            decided = host_plan.plan(settings, args["client_secret"], location, probe["content"], backup_stamp=backup_stamp, check_mode=check_mode)
        except MsteamsCfgError as exc:
            return dict(result, failed=True, msg=str(exc))
        if not decided["diff"]:
            decided.pop("diff")
        if not decided["warnings"]:
            decided.pop("warnings")
        # What a later run of this action in the play needs to tell whether a read is still true.
        decided.update(config_dir=location["config_dir"], reused_read=reused, stamp=stamp(), may_write=decided["act"] and not check_mode)
        return dict(result, **decided)
