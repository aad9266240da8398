# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the ``ucserver`` role's input before the host is touched (controller only).

Thin: the rules are in ``module_utils/_ucserver_input.py``. Optional inputs arrive omitted
when unset (``default(omit)``), so an unset value is never templated as None (before
ansible-core 2.19 that rendered as ``''``).
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.procall.msteams.plugins.module_utils._ucserver_input import RoleInputError, check_inputs, check_transport

OPTIONS = (
    "tenant_id", "client_id", "get_from_teams", "send_to_teams", "log_level", "polling_rate", "force_reset",
    "install_dir", "service_name", "admin_gui_process", "service_timeout", "backups_keep", "service_account",
    "file_acl", "allow_unencrypted_winrm",
)  # fmt: skip
ARGUMENT_SPEC = {name: {"type": "raw"} for name in OPTIONS} | {"client_secret": {"type": "raw", "no_log": True}}
# Host variables that decide whether WinRM / PSRP encrypts what the role sends.
CONNECTION_VARS = (
    "winrm_scheme", "winrm_transport", "winrm_message_encryption", "psrp_protocol", "psrp_auth", "psrp_message_encryption",
)  # fmt: skip


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def _host_var(self, task_vars, name):
        value = task_vars.get(name)
        return self._templar.template(value) if value is not None else None

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        conn = {name: self._host_var(task_vars, "ansible_" + name) for name in CONNECTION_VARS}
        conn["connection"] = self._host_var(task_vars, "ansible_connection") or self._play_context.connection
        conn["port"] = self._host_var(task_vars, "ansible_port") or self._host_var(task_vars, "ansible_winrm_port")
        try:
            settings = check_inputs({k: v for k, v in args.items() if v is not None})
            unencrypted = check_transport(conn, settings["allow_unencrypted_winrm"])
        except RoleInputError as exc:
            return dict(result, failed=True, msg=str(exc))
        if unencrypted:
            result["warnings"] = [f"ucserver_allow_unencrypted_winrm is true: the client secret crosses {unencrypted} in clear."]
        return dict(result, changed=False, settings=settings, unencrypted_transport=unencrypted)
