# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs ``entra_app_secret`` and censors its result whenever it carries a secret value.

A module cannot mark one of its return values as secret: ``_ansible_no_log`` in a module's
return is stripped as an internal key, and adding the new value to the module's
``no_log_values`` would replace it with ``********`` in the very result the caller needs.
An action plugin may set ``_ansible_no_log`` (``ansible.builtin.include_vars`` does), which
makes every callback print the result as censored at any verbosity, while ``register`` still
holds the value. The same plugin puts a kept ``current_secret`` back into ``secret``: the
module cannot return it, because AnsibleModule masks no_log option values in its returns.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        result.update(self._execute_module(module_name="procall.msteams.entra_app_secret", module_args=self._task.args, task_vars=task_vars))
        if result.pop("secret_from_option", False) and not result.get("failed"):
            result["secret"] = self._task.args.get("current_secret")
        if result.get("secret"):
            result["_ansible_no_log"] = True
        return result
