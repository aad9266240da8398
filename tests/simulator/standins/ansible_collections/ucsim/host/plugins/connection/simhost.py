"""Connection to a simulated UCServer host (tests only).

A ``local`` connection that tells each module run which host folder it acts on
(``UCSIM_HOST_DIR``), counts its commands, and raises a connection failure once the host's
state says it became unreachable (a fault that trips after a chosen operation); with the fault
``pause_after`` it holds the next command for ``pause_seconds``. Selected per
host by the inventory: ``ansible_connection: ucsim.host.simhost`` + ``ucsim_host_dir``.
"""

from __future__ import annotations

import os
import time

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.connection.local import Connection as LocalConnection
from ansible_collections.ansible.windows.plugins.module_utils.ucsim import Host

DOCUMENTATION = """
    name: simhost
    short_description: run stand-in modules for a simulated UCServer host
    description:
        - Runs modules on the controller like C(local), with the host's folder in C(UCSIM_HOST_DIR).
    author: procall.msteams contributors
    options:
        host_dir:
            description: Folder standing for the host (disk and state.json).
            type: str
            required: true
            vars:
                - name: ucsim_host_dir
        become_success_timeout:
            type: int
            default: 10
            description: As for C(local).
            vars:
                - name: ansible_local_become_success_timeout
        become_strip_preamble:
            type: bool
            default: true
            description: As for C(local).
            vars:
                - name: ansible_local_become_strip_preamble
    extends_documentation_fragment:
        - connection_pipelining
"""


class Connection(LocalConnection):
    transport = "ucsim.host.simhost"

    def exec_command(self, cmd, in_data=None, sudoable=True):
        root = self.get_option("host_dir")
        with Host(root).locked() as state:
            state["connection_execs"] += 1
            pause = state.pop("pause_pending", None)
        if pause:
            # Fault pause_after: hold this command (outside the state lock, so the test can read
            # the host); end early when the worker's parent is gone (the run was killed).
            parent, start = os.getppid(), time.monotonic()
            while time.monotonic() < start + pause and os.getppid() == parent:
                time.sleep(0.1)
            with Host(root).locked() as state:
                state.setdefault("pauses", []).append(round(time.monotonic() - start, 2))
        if state.get("unreachable"):
            raise AnsibleConnectionFailure(f"simulated: host {self._play_context.remote_addr or ''} stopped answering (fault unreachable_after)")
        # Each worker is its own forked process, so this reaches only this host's commands.
        os.environ["UCSIM_HOST_DIR"] = root
        return super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
