# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read a UCServer host in one round trip, from an action plugin (``ucserver_read``, ``ucserver_plan``).

For internal collection use only; the interface may change without notice.

Runs the role's probe script (``roles/ucserver/files/ucserver_probe.ps1``) through
``ansible.windows.win_powershell`` with the action's own connection; the decisions about its
answer are in ``module_utils/_ucserver_plan.py``. The answer holds msteams.cfg and so the
client secret: a caller returns it only in a result marked ``_ansible_no_log``.
"""

from __future__ import annotations

import os
import time

from ansible.errors import AnsibleError
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_plan as host

# The collection's layout: roles/ucserver/files/ beside plugins/.
SCRIPT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "roles", "ucserver", "files", "ucserver_probe.ps1")
PROBE_MODULE = "ansible.windows.win_powershell"


def probe_script():
    with open(SCRIPT_PATH, encoding="utf-8") as f:
        text = f.read()
    if not text.startswith(host.PROBE_MARKER + "\n") and not text.startswith(host.PROBE_MARKER + "\r\n"):
        raise AnsibleError(f"{SCRIPT_PATH} does not start with '{host.PROBE_MARKER}': the collection is incomplete or changed.")
    return text


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
    """-> the probe dict (``module_utils/_ucserver_plan.probe_from_result``) plus ``version``, ``stamp``, ``play``.

    One module call; a second only when the script derived another install dir from the
    service's binary path than the controller's rule does (then it reads the one the rule gives).
    Raises ``ProbeError``.
    """
    script = probe_script()
    wanted = install_dir
    for _attempt in range(2):
        result = action._execute_module(module_name=PROBE_MODULE, module_args=host.probe_module_args(script, service_name, wanted), task_vars=task_vars)
        probe = host.probe_from_result(result, service_name, install_dir)
        location = host.location_of(probe, install_dir)
        if location["read_path_ok"]:
            break
        wanted = location["install_dir"]
    else:
        raise host.ProbeError(f"The host read another msteams.cfg than {location['config_path']}: set ucserver_install_dir.")
    probe.update(version=host.PROBE_VERSION, stamp=stamp(), play=play_id(action._task))
    return probe
