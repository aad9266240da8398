# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The next step of one host in onboard / rotate_secret (``_run_outcome.plan_*``).

``step: start`` (before the host is touched; takes this host's secrets from the leader's one
read of the app; with ``read: true`` rotate_secret then reads the host and decides the secret
step at once (``_run_outcome.reads_first``), so a converged host costs this one task: the read is ``plugin_utils/_ucserver_probe.read_host``,
the one of the role's ``tasks_from: read``, and the deployed secret it finds is compared by its
hint only and never returned), ``secret`` (after reading it: kept at once, or which entra_app_secret state),
``deploy`` (after the secret step: deploy or not, what to revoke; fails with the secret step's
message when that step failed). The deployed secret and the
secret step's result come in as no_log options; the answer never holds a secret value.
"""

from __future__ import annotations

from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_read as host
from ansible_collections.procall.msteams.plugins.module_utils._run_outcome import (
    MODES,
    HostStepFailed,
    deferred_read,
    plan_deploy,
    plan_secret,
    plan_start,
    reads_first,
)
from ansible_collections.procall.msteams.plugins.module_utils._run_settings import RunInputError
from ansible_collections.procall.msteams.plugins.module_utils._ucserver_input import RoleInputError
from ansible_collections.procall.msteams.plugins.plugin_utils._run_action import RunAction
from ansible_collections.procall.msteams.plugins.plugin_utils._ucserver_probe import read_host


class ActionModule(RunAction):
    # step start with read: true runs ansible.windows modules on the host.
    _requires_connection = True

    ARGUMENT_SPEC = {
        "step": {"type": "str", "required": True, "choices": ["start", "secret", "deploy"]},
        "mode": {"type": "str", "required": True, "choices": list(MODES)},
        "settings": {"type": "dict"},
        "app_result": {"type": "dict"},
        "app_error": {"type": "str"},
        "leader": {"type": "str"},
        "halted": {"type": "str"},
        "previous": {"type": "dict"},
        "current": {"type": "dict"},
        "deployed_secret": {"type": "str", "no_log": True},
        "read": {"type": "bool", "default": False},
        "service_name": {"type": "str", "default": "eucsrv"},
        "install_dir": {"type": "str", "default": ""},
        "secret_result": {"type": "dict", "no_log": True},
    }

    def decide(self, args, task_vars):
        try:
            if args["step"] == "start":
                start = plan_start(
                    args["mode"], args["settings"], args["app_result"], args["app_error"], args["leader"], args["halted"], task_vars.get("inventory_hostname")
                )
                if not (args["read"] and start.get("proceed")):
                    return start
                if not reads_first(args["mode"]):
                    return deferred_read(start)
                try:
                    read = read_host(self, task_vars, args["service_name"], args["install_dir"])
                except (RoleInputError, host.ProbeError) as exc:
                    return dict(start, failed=True, msg=str(exc))
                # "start" is the plan before the read: host_change.yml decides again from its own read.
                return dict(plan_secret(args["mode"], start, read["current"], read["secret"]), start=start)
            if args["step"] == "secret":
                return plan_secret(args["mode"], args["previous"], args["current"], args["deployed_secret"])
            return plan_deploy(args["mode"], args["previous"], args["secret_result"], self.check_mode(task_vars))
        except (HostStepFailed, RunInputError) as exc:
            # The plan so far stays in the result: the rescue still needs the app and the secret step.
            return dict(args["previous"] or {}, failed=True, msg=str(exc))
