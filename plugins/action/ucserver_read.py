# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read a UCServer host: the role's ``tasks_from: read`` (and its withdraw entry point).

Thin: runs the read (``plugin_utils/_ucserver_probe.py``: ``ansible.windows`` modules, two round
trips on a converged host); the decisions about its answers are in ``module_utils/_ucserver_plan.py``.
The result holds the deployed secret, so it marks itself ``_ansible_no_log`` (callbacks show it
censored); a failure holds no secret and shows its sentence.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_read as host
from ansible_collections.procall.msteams.plugins.module_utils._ucserver_input import RoleInputError
from ansible_collections.procall.msteams.plugins.plugin_utils._ucserver_probe import read_host

ARGUMENT_SPEC = {
    "service_name": {"type": "str", "default": "eucsrv"},
    "install_dir": {"type": "str", "default": ""},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            read = read_host(self, task_vars or {}, args["service_name"], args["install_dir"])
        except (RoleInputError, host.ProbeError) as exc:
            return dict(result, failed=True, msg=str(exc))
        return dict(result, changed=False, _ansible_no_log=True, **read)
