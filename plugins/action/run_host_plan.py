# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The next step of one host in onboard / rotate_secret (``_run_outcome.plan_*``).

``step: start`` (before the host is touched; takes this host's secrets from the leader's one
read of the app), ``secret`` (after reading it: kept at once, or which entra_app_secret state),
``deploy`` (after the secret step: deploy or not, what to revoke; fails with the secret step's
message when that step failed). The deployed secret and the
secret step's result come in as no_log options; the answer never holds a secret value.
"""

from __future__ import annotations

from ansible_collections.procall.msteams.plugins.module_utils._run_outcome import (
    MODES,
    HostStepFailed,
    RunInputError,
    plan_deploy,
    plan_secret,
    plan_start,
)
from ansible_collections.procall.msteams.plugins.plugin_utils._run_action import RunAction


class ActionModule(RunAction):
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
        "secret_result": {"type": "dict", "no_log": True},
    }

    def decide(self, args, task_vars):
        try:
            if args["step"] == "start":
                return plan_start(
                    args["mode"], args["settings"], args["app_result"], args["app_error"], args["leader"], args["halted"], task_vars.get("inventory_hostname")
                )
            if args["step"] == "secret":
                return plan_secret(args["mode"], args["previous"], args["current"], args["deployed_secret"])
            return plan_deploy(args["mode"], args["previous"], args["secret_result"], self.check_mode(task_vars))
        except (HostStepFailed, RunInputError) as exc:
            # The plan so far stays in the result: the rescue still needs the app and the secret step.
            return dict(args["previous"] or {}, failed=True, msg=str(exc))
