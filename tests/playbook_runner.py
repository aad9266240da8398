"""Runs real ``ansible-playbook`` processes for the integration tests, the demo and the benchmarks.

One place decides the environment of a run: the collection under test on
``ANSIBLE_COLLECTIONS_PATH`` (after any stand-in trees, which shadow installed collections by
order: reference/tooling.md), the venv's Python for ``local`` connections, and temp dirs
inside the test's own folder so parallel runs never share state.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import signal
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / ".build" / "collections"


def ensure_collection_link() -> pathlib.Path:
    """Make ``ansible_collections/procall/msteams`` point at this checkout (as ``make`` does)."""
    link = COLLECTIONS / "ansible_collections" / "procall" / "msteams"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(pathlib.Path("..", "..", "..", ".."))
    return COLLECTIONS


@dataclasses.dataclass(repr=False)
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    # Parsed ansible.posix.json output (None when another callback was used).
    report: dict | None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def stats(self) -> dict:
        return (self.report or {}).get("stats", {})

    def changed(self, host: str) -> int:
        return self.stats.get(host, {}).get("changed", 0)

    def failed(self, host: str) -> int:
        stats = self.stats.get(host, {})
        return stats.get("failures", 0) + stats.get("unreachable", 0)

    def task_results(self, task_name: str) -> dict:
        """Per-host results of the (last) task with this name."""
        found = {}
        for play in (self.report or {}).get("plays", []):
            for task in play.get("tasks", []):
                if task["task"]["name"] == task_name:
                    found = task["hosts"]
        return found

    def run_once_result(self, task_name: str) -> dict:
        """The result of a ``run_once`` task (the summary plays' ones): Ansible records it under the
        one host that ran it, which is the batch's first active host, not necessarily localhost."""
        results = self.task_results(task_name)
        assert len(results) <= 1, f"'{task_name}' ran on {sorted(results)}, expected once"
        return next(iter(results.values()), {})

    def __repr__(self) -> str:  # shown by pytest when an assertion on the result fails
        return f"rc={self.rc}\n--- stdout ---\n{self.stdout[-20000:]}\n--- stderr ---\n{self.stderr[-5000:]}"


def run_playbook(
    playbook: str | os.PathLike,
    *,
    workdir: str | os.PathLike,
    inventory: str | os.PathLike | None = None,
    extra_vars: dict | None = None,
    check: bool = False,
    diff: bool = False,
    verbosity: int = 0,
    limit: str | None = None,
    callback: str = "ansible.posix.json",
    collections_first: list[str | os.PathLike] | None = None,
    env: dict | None = None,
    timeout: int = 600,
    watch=None,
) -> PlaybookResult:
    """Run ``ansible-playbook`` and return its output; ``playbook`` may be a path or an FQCN.

    ``watch(proc)``: called with the running process, which is the leader of its own process
    group (so a test can kill the run with its forked workers by that PID); returns when done.
    """
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    paths = [str(p) for p in (collections_first or [])] + [str(ensure_collection_link())]
    run_env = dict(os.environ)
    run_env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(paths),
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_STDOUT_CALLBACK": callback,
            "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-local"),
            "ANSIBLE_REMOTE_TEMP": str(workdir / "ansible-remote"),
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_HOST_KEY_CHECKING": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_DEPRECATION_WARNINGS": "false",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "PATH": os.pathsep.join([str(pathlib.Path(sys.executable).parent), run_env.get("PATH", "")]),
        }
    )
    run_env.update(env or {})
    cmd = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), str(playbook)]
    if inventory is not None:
        cmd += ["-i", str(inventory)]
    if extra_vars:
        vars_file = workdir / "extra-vars.json"
        vars_file.write_text(json.dumps(extra_vars))
        cmd += ["-e", f"@{vars_file}"]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if limit:
        cmd += ["--limit", limit]
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    if watch is None:
        proc = subprocess.run(cmd, cwd=workdir, env=run_env, capture_output=True, text=True, timeout=timeout, check=False)
    else:
        # Output to files: a watcher that does not read the pipes must not block the run.
        with (workdir / "stdout.txt").open("w+") as out, (workdir / "stderr.txt").open("w+") as err:
            child = subprocess.Popen(cmd, cwd=workdir, env=run_env, stdout=out, stderr=err, text=True, start_new_session=True)
            try:
                watch(child)
                child.wait(timeout=timeout)
            finally:
                if child.poll() is None:  # the watcher failed: end the run it started, workers included
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait()
            out.seek(0)
            err.seek(0)
            proc = subprocess.CompletedProcess(cmd, child.returncode, out.read(), err.read())
    report = None
    if callback == "ansible.posix.json":
        try:
            report = json.loads(proc.stdout[proc.stdout.index("{") :])
        except ValueError:
            report = None
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, report)
