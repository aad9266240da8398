"""Connection to a simulated UCServer host (tests only).

A ``local`` connection that tells each module run which host folder it acts on
(``UCSIM_HOST_DIR``), counts its commands, and raises a connection failure once the host's
state says it became unreachable (a fault that trips after a chosen operation); with the fault
``pause_after`` it holds the next command for ``pause_seconds``. Selected per
host by the inventory: ``ansible_connection: ucsim.host.simhost`` + ``ucsim_host_dir``.

Two things for the benchmarks (tests/benchmarks/fleet.py):
- ``ucsim_call_delay`` (seconds, default 0) sleeps before each command, the cost model of a
  WinRM round trip: a real module call over WinRM opens a shell, sends the command and reads
  its output, about half a second on a LAN. The sleep is wall time, not CPU, and happens in
  the fork's worker, so forks overlap it as they overlap real network waits; the host's state
  adds it up in ``delay_seconds``.
- ``host_cpu`` in the host's state adds up the CPU seconds of the module processes this
  connection ran: on a real host that work runs on the Windows host, not on the controller,
  so a benchmark can tell the controller's own share from the simulated hosts'.

A pipelined module (the AnsiballZ wrapper arrives on stdin) runs in a fork of this worker
instead of a new Python interpreter: the same wrapper, module and ``module_utils`` code (of the
same ansible-core), but without the interpreter start and the compiling of ``module_utils``
from the payload's zip, which cost most of a stand-in module's CPU. Exit code, stdout and
stderr are the module's as with ``local`` (tests/simulator/test_model.py compares both ways);
the host's state counts these calls in ``forked_calls``. ``UCSIM_FORK_MODULES=0`` runs a new
interpreter as ``local`` does. Async tasks are not pipelined and always take ``local``'s way.
"""

from __future__ import annotations

import io
import os
import resource
import selectors
import sys
import time
import traceback

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
        call_delay:
            description:
                - Seconds to wait before each command, standing for a WinRM round trip (benchmarks).
            type: float
            default: 0
            vars:
                - name: ucsim_call_delay
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
        delay = float(self.get_option("call_delay") or 0)
        with Host(root).locked() as state:
            state["connection_execs"] += 1
            if delay > 0:
                state["delay_seconds"] = state.get("delay_seconds", 0.0) + delay
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
        if delay > 0:
            time.sleep(delay)
        # Each worker is its own forked process, so this reaches only this host's commands,
        # and its children are only the module processes this connection starts.
        os.environ["UCSIM_HOST_DIR"] = root
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            if in_data and _FORK_MODULES and b"_ansiballz_main" in in_data:
                with Host(root).locked() as state:
                    state["forked_calls"] = state.get("forked_calls", 0) + 1
                return _run_wrapper_in_fork(in_data)
            return super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        finally:
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            with Host(root).locked() as state:
                state["host_cpu"] = state.get("host_cpu", 0.0) + used


_FORK_MODULES = os.environ.get("UCSIM_FORK_MODULES", "1") != "0"


def _run_wrapper_in_fork(wrapper):
    """(rc, stdout, stderr) of the AnsiballZ ``wrapper`` run as ``__main__`` in a forked child."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: the module's process
        code = 1
        try:
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            for fd in (out_r, out_w, err_r, err_w):
                os.close(fd)
            sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
            sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
            sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
            sys.argv = ["AnsiballZ_module.py"]
            exec(compile(wrapper, "AnsiballZ_module.py", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})  # noqa: S102 - the module payload local would run
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - reported on stderr like an interpreter would
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    os.close(out_w)
    os.close(err_w)
    chunks = {out_r: [], err_r: []}
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            for key, _events in selector.select():
                data = os.read(key.fd, 65536)
                if data:
                    chunks[key.fd].append(data)
                else:
                    selector.unregister(key.fd)
                    os.close(key.fd)
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks[out_r]), b"".join(chunks[err_r])
