# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Report a prepared msteams.cfg change with a masked diff, on the controller only.

The write itself happens in an ``ansible.windows.win_copy`` task that must be ``no_log``
(its content is the secret), which also hides its diff. This action shows the change the
role decided, with the secrets already masked by ``msteams_cfg_merge``, and costs no round
trip to the Windows host.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = {
    "path": {"type": "str", "required": True},
    "changed": {"type": "bool", "required": True},
    "before": {"type": "str", "default": ""},
    "after": {"type": "str", "default": ""},
    "warnings": {"type": "list", "elements": "str", "default": []},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        result["changed"] = args["changed"]
        result["path"] = args["path"]
        if args["changed"]:
            result["diff"] = {
                "before": args["before"],
                "after": args["after"],
                "before_header": args["path"],
                "after_header": args["path"],
            }
        if args["warnings"]:
            result["warnings"] = args["warnings"]
        return result
