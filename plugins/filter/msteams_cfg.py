# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters of the ``ucserver`` role: thin wrappers over ``module_utils/_msteams_cfg.py`` and
``module_utils/_ucserver_plan.py`` and ``_ucserver_outcome.py``.

Documentation of each filter is in the ``<filter name>.yml`` file beside this one.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.procall.msteams.plugins.module_utils import _msteams_cfg as cfg
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_outcome as outcome
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_plan as host_plan
from ansible_collections.procall.msteams.plugins.module_utils._ucserver_input import RoleInputError


def _wrap(func):
    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (cfg.MsteamsCfgError, RoleInputError) as exc:
            # One sentence for the user; no traceback, no input value that could be the secret.
            raise AnsibleFilterError(str(exc)) from None

    run.__name__ = func.__name__
    return run


def msteams_cfg_merge(
    current,
    tenant_id,
    client_id,
    client_secret,
    get_from_teams=None,
    send_to_teams=None,
    log_level=None,
    polling_rate=None,
    force_reset=False,
    encoding="text",
):
    return cfg.merge_cfg(
        current,
        tenant_id,
        client_id,
        client_secret,
        get_from_teams=get_from_teams,
        send_to_teams=send_to_teams,
        log_level=log_level,
        polling_rate=polling_rate,
        force_reset=bool(force_reset),
        encoding=encoding,
    )


def msteams_cfg_parse(current, encoding="text"):
    return cfg.parse_cfg(current, encoding)


def msteams_cfg_summary(current, encoding="text"):
    return cfg.summarize_cfg(current, encoding)


def msteams_install_dir(binary_path):
    return cfg.install_dir_from_binary_path(binary_path)


class FilterModule:
    def filters(self):
        return {
            "msteams_cfg_merge": _wrap(msteams_cfg_merge),
            "msteams_cfg_parse": _wrap(msteams_cfg_parse),
            "msteams_cfg_summary": _wrap(msteams_cfg_summary),
            "msteams_install_dir": _wrap(msteams_install_dir),
            "ucserver_cfg_content": _wrap(host_plan.content),
            "ucserver_outcome": _wrap(outcome.outcome),
            "ucserver_old_backups": _wrap(outcome.old_backups),
            "ucserver_unreachable_step": _wrap(outcome.unreachable_step),
            "ucserver_withdraw_failure": _wrap(outcome.withdraw_failure),
        }
