# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read a UCServer host with ``ansible.windows`` modules, from an action plugin (``ucserver_read``, ``ucserver_plan``).

For internal collection use only; the interface may change without notice.

Runs ``ansible.windows.win_service_info``, then ``slurp`` of msteams.cfg (and ``win_stat`` only
where those cannot tell) with the action's own connection: two round trips on a converged host.
Which module runs next, and what the answers mean, is decided in ``module_utils/_ucserver_read.py``
(``next_read``, ``probe_from_results``). Only ``ansible.windows`` modules, no custom PowerShell,
so every step is run by the tests' simulated hosts. The modules are read-only and support check
mode: ``_execute_module`` passes the task's check mode on and they read the host also in check mode.
The answer holds msteams.cfg and so the client secret: a caller returns it only in a result
marked ``_ansible_no_log``.
"""

from __future__ import annotations

import time

from ansible.errors import AnsibleConnectionFailure
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_read as host
from ansible_collections.procall.msteams.plugins.module_utils._ucserver_input import check_install_dir, check_service_name

# More than the read's four steps means a bug in next_read, not a slow host.
_MAX_STEPS = 4


def play_id(task):
    """The id of the play a task runs in (its blocks know their play), or None."""
    node = task
    for _depth in range(100):
        play = getattr(node, "_play", None)
        if play is not None:
            uuid = getattr(play, "_uuid", None)
            return str(uuid) if isinstance(uuid, str) and uuid else None
        node = getattr(node, "_parent", None)
        if node is None:
            return None
    return None


def stamp():
    """A time stamp that orders the role's steps on this controller (all forks share the clock)."""
    return time.monotonic_ns()


def run_probe(action, task_vars, service_name, install_dir=""):
    """-> the probe dict (``module_utils/_ucserver_read.probe_from_results``) plus ``version``, ``stamp``, ``play``.

    One module call per step ``next_read`` gives: win_service_info and slurp on a converged host.
    Raises ``ProbeError``.
    """
    results = {}
    for _step in range(_MAX_STEPS + 1):
        step = host.next_read(service_name, install_dir, results)
        if step is None:
            break
        key, module, module_args = step
        try:
            results[key] = action._execute_module(module_name=module, module_args=module_args, task_vars=task_vars)
        except AnsibleConnectionFailure as exc:
            # A failure, not "unreachable": ansible-playbook ends the playbook once every host of a
            # serial batch is unreachable, so the run's summary would never say what happened.
            raise host.ProbeError(f"The host stopped answering while it was read ({exc}); nothing was changed, a rerun is safe.") from None
    else:
        raise host.ProbeError("The read of the host did not complete: report this as a bug of procall.msteams.")
    probe = host.probe_from_results(results, service_name, install_dir)
    probe.update(version=host.PROBE_VERSION, stamp=stamp(), play=play_id(action._task))
    return probe


def read_host(action, task_vars, service_name, install_dir=""):
    """The read of ``tasks_from: read``: ``{current, location, secret, probe}``.

    ``secret`` and ``probe`` hold the deployed client secret: a caller returns them only in a
    result marked ``_ansible_no_log``, or not at all. Raises ``RoleInputError`` (a bad service
    name or install dir) or ``ProbeError`` (the host could not be read), each one sentence.
    """
    service_name = check_service_name(service_name)
    install_dir = check_install_dir(install_dir)
    probe = run_probe(action, task_vars, service_name, install_dir)
    location = host.location_of(probe, install_dir)
    problem = host.read_problem(probe, location["config_path"])
    if problem:
        raise host.ProbeError(problem)
    return {"current": host.current(location, probe), "location": location, "secret": host.current_secret(probe), "probe": probe}
