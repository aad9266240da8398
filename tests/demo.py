"""The demo of ``make demo``, and the world the playbook tests run in.

``python -m tests.demo`` (what ``hack/demo.sh`` calls) starts the Graph emulator as a process
(``python -m tests.emulator``), builds simulated UCServer hosts in two tenants, creates the
automation identities in the emulator, and runs the three playbooks the way an administrator
would: onboard, onboard again (converged), the clock moved into the rotation window,
rotate_secret, status. It prints what each run did and what it cost: Graph requests (reads,
writes, token requests), module calls per host (one WinRM round trip each on a real host), wall time.

``World`` is shared with ``tests/integration/test_playbooks.py`` and the benchmarks: one place
builds an inventory the way docs/inventory.md describes it, on top of the simulator's.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

import yaml

from tests.playbook_runner import PlaybookResult
from tests.simulator.fleet import Fleet, build_fleet

REPO = pathlib.Path(__file__).resolve().parents[1]

# docs/permissions.md: what onboarding needs (app, service principal, admin consent) when the
# automation identity owns the app it creates; rotation alone needs only the first.
ONBOARD_ROLES = [
    "Application.ReadWrite.OwnedBy",
    "Application.Read.All",
    "AppRoleAssignment.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.Read.All",
]
ROTATION_ROLES = ["Application.ReadWrite.OwnedBy"]

WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")
TASK_COUNTS_FILE = "task-counts.json"


def _children_cpu() -> float:
    """User + sys CPU seconds of this process's finished (waited-for) children and theirs."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


DEMO_TENANTS = {"contoso": ["ucs-contoso-1", "ucs-contoso-2"], "fabrikam": ["ucs-fabrikam-1", "ucs-fabrikam-2"]}


@dataclasses.dataclass
class RunRecord:
    """What one playbook run cost, for the demo's table, the tests and the benchmarks."""

    name: str
    rc: int
    seconds: float
    graph_requests: int
    graph_writes: int
    token_requests: int
    module_calls: dict[str, int]
    result: PlaybookResult = dataclasses.field(repr=False)
    # UCServer service starts (a restart, or the first start of a stopped service) and
    # msteams.cfg writes on the simulated hosts, summed over hosts.
    restarts: int = 0
    host_writes: int = 0
    # Graph answers >= 400 (the emulator's injected 429s, 503s, replication 404s; retried by the client).
    graph_errors: int = 0
    # Graph writes answered < 400: the same on every core version, whatever the emulator throttled.
    graph_writes_ok: int = 0
    # The playbook's report (msteams_report_dir/<playbook>.json) when this run wrote one.
    report: dict | None = dataclasses.field(default=None, repr=False)
    # Controller CPU seconds (user + sys) of the ansible-playbook process tree: its module
    # processes included, also those standing for the Windows hosts (host_cpu_seconds of it).
    cpu_seconds: float = 0.0
    host_cpu_seconds: float = 0.0
    # Commands the simulated hosts' connection ran per host (one WinRM round trip each).
    round_trips: dict[str, int] = dataclasses.field(default_factory=dict)
    # Tasks Ansible reported per host (tests/benchmarks/callback_plugins/bench_task_counts.py):
    # {"ok", "failed", "skipped", "unreachable", "includes"}; "localhost" holds the summary plays.
    tasks: dict[str, dict] = dataclasses.field(default_factory=dict)
    # run_slices: each process's {"result", "report"}.
    slices: list[dict] | None = dataclasses.field(default=None, repr=False)

    def numbers(self) -> dict:
        """The machine-readable numbers of this run (compared across ansible-core versions by make compat)."""
        return {
            "run": self.name,
            "rc": self.rc,
            "graph_requests": self.graph_requests,
            "graph_writes": self.graph_writes,
            "graph_writes_ok": self.graph_writes_ok,
            "graph_errors": self.graph_errors,
            "token_requests": self.token_requests,
            "restarts": self.restarts,
            "host_writes": self.host_writes,
            "module_calls": sum(self.module_calls.values()),
            "seconds": round(self.seconds, 1),
        }

    @property
    def module_calls_per_host(self) -> float:
        return sum(self.module_calls.values()) / max(len(self.module_calls), 1)

    @property
    def round_trips_per_host(self) -> float:
        return sum(self.round_trips.values()) / max(len(self.round_trips), 1)

    def tasks_of(self, host: str) -> int:
        """Task results reported for this host (ok, failed, skipped, unreachable; includes apart)."""
        counts = self.tasks.get(host, {})
        return sum(counts.get(k, 0) for k in ("ok", "failed", "skipped", "unreachable"))

    @property
    def tasks_per_host(self) -> float:
        """Task results per simulated host (the localhost summary play not counted)."""
        return sum(self.tasks_of(h) for h in self.module_calls) / max(len(self.module_calls), 1)

    @property
    def includes_per_host(self) -> float:
        return sum(self.tasks.get(h, {}).get("includes", 0) for h in self.module_calls) / max(len(self.module_calls), 1)


class World:
    """Graph emulator tenants + simulated UCServer hosts + an inventory following docs/inventory.md."""

    def __init__(self, emulator, root, tenants=None, host_specs=None, serial=None):
        self.emulator = emulator
        self.root = pathlib.Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.tenants = dict(tenants or DEMO_TENANTS)
        self.tenant_ids: dict[str, str] = {}
        self.identities: dict[str, dict] = {}
        self.retired_identities: list[dict] = []
        self.runs: list[RunRecord] = []
        self._count = 0
        for name in self.tenants:
            tenant_id = emulator.add_tenant(name=name)
            self.tenant_ids[name] = tenant_id
            self.identities[name] = emulator.add_automation_identity(tenant_id, roles=ONBOARD_ROLES, credential="secret")
        specs = host_specs or {}
        hosts = [{"name": h, **specs.get(h, {})} for names in self.tenants.values() for h in names]
        tenant_of = {h: t for t, names in self.tenants.items() for h in names}
        self.fleet: Fleet = build_fleet(self.root / "fleet", hosts, tenant_of=tenant_of)
        self.write_inventory()
        self.clock_visible = self.date_follows_clock()
        self.shifted_days = 0
        self.report_dir = self.root / "reports"
        self.report_dir.mkdir(exist_ok=True)
        # Each host's msteams.cfg and secret key ids right before the rotation (set by story()).
        self.before_rotation: dict[str, dict] = {}

    # -- inventory ------------------------------------------------------------------------------
    def tenant_vars(self, name: str, identity: dict | None = None) -> dict:
        identity = identity or self.identities[name]
        return {
            "msteams_tenant_name": name,
            "msteams_tenant_id": self.tenant_ids[name],
            "msteams_auth_client_id": identity["client_id"],
            "msteams_auth_client_secret": identity["client_secret"],
            "msteams_graph_login_endpoint": self.emulator.url,
            "msteams_graph_endpoint": self.emulator.url,
            "msteams_graph_ca_path": str(self.emulator.ca_path),
            "msteams_graph_token_cache_path": str(self.root / "token-cache"),
        }

    def write_inventory(self, overrides: dict | None = None) -> None:
        """The simulator's inventory plus the tenant group variables of docs/inventory.md."""
        inventory = yaml.safe_load(self.fleet.inventory.read_text())
        groups = inventory["all"].setdefault("children", {})
        for name in self.tenants:
            group = groups.setdefault(f"tenant_{name}", {"hosts": {}})
            group["vars"] = {**self.tenant_vars(name), **(overrides or {}).get(name, {})}
        self.fleet.inventory.write_text(yaml.safe_dump(inventory))

    def use_identity(self, name: str, identity: dict) -> None:
        """Swap a tenant's automation identity (e.g. a rotation-only one) in the inventory."""
        self.retired_identities.append(self.identities[name])
        self.identities[name] = identity
        self.write_inventory()

    # -- facts ------------------------------------------------------------------------------------
    @property
    def hosts(self) -> list[str]:
        return [h for names in self.tenants.values() for h in names]

    def tenant_of(self, host: str) -> str:
        return next(t for t, names in self.tenants.items() if host in names)

    def apps(self, tenant: str) -> list[dict]:
        """Applications of a tenant other than the automation identities."""
        own = {i["client_id"] for i in [self.identities[tenant], *self.retired_identities]}
        apps = self.emulator.state(self.tenant_ids[tenant])["applications"]
        return [a for a in apps if a["appId"] not in own and not a.get("displayName", "").startswith("automation")]

    def app(self, tenant: str) -> dict:
        apps = [a for a in self.apps(tenant) if a.get("uniqueName") == "procall-msteams"]
        assert len(apps) == 1, apps
        return apps[0]

    def host_secrets(self, host: str) -> list[dict]:
        """The passwordCredentials of the host's app named for this host."""
        app = self.app(self.tenant_of(host))
        return [c for c in app.get("passwordCredentials", []) if (c.get("displayName") or "").endswith(": " + host)]

    # -- runs ---------------------------------------------------------------------------------------
    def run(self, playbook: str, *, extra_vars: dict | None = None, **kwargs) -> RunRecord:
        """One ansible-playbook run of ``procall.msteams.<playbook>`` (or a playbook file) and what it cost."""
        self._count += 1
        workdir = self.root / f"run{self._count:02d}-{pathlib.Path(playbook).stem}"
        variables, start = self._begin(playbook, extra_vars)
        result = self.fleet.run(self._playbook(playbook), workdir=workdir, extra_vars=variables, **self._counting(workdir, kwargs))
        return self._finish(playbook, start, result, [workdir / TASK_COUNTS_FILE])

    def run_slices(self, playbook: str, slices: list[dict], *, extra_vars: dict | None = None, **kwargs) -> RunRecord:
        """The same playbook as concurrent ansible-playbook processes, one per slice.

        Each slice is a dict with ``limit`` (``--limit``) and/or ``inventory`` (an inventory file
        of its own, as AWX job slicing hands each slice). Each writes its report into a folder of
        its own (``msteams_report_dir``); the record sums them: rc is the worst, the counters
        are the run's total, ``slices`` holds each process's result and report.
        """
        import concurrent.futures

        self._count += 1
        base = self.root / f"run{self._count:02d}-{pathlib.Path(playbook).stem}-{len(slices)}slices"
        variables, start = self._begin(playbook, extra_vars)

        def one(index: int, spec: dict):
            workdir = base / f"slice{index + 1}"
            report_dir = workdir / "reports"
            report_dir.mkdir(parents=True, exist_ok=True)
            args = dict(kwargs)
            if spec.get("limit"):
                args["limit"] = spec["limit"]
            if spec.get("inventory"):
                args["inventory"] = spec["inventory"]
            return self.fleet.run(
                self._playbook(playbook), workdir=workdir, extra_vars={**variables, "msteams_report_dir": str(report_dir)}, **self._counting(workdir, args)
            )

        with concurrent.futures.ThreadPoolExecutor(max_workers=len(slices)) as pool:
            results = list(pool.map(one, range(len(slices)), slices))
        record = self._finish(playbook, start, results[0], [base / f"slice{i + 1}" / TASK_COUNTS_FILE for i in range(len(slices))])
        record.rc = max((r.rc for r in results), key=abs)
        record.slices = []
        for i, res in enumerate(results):
            report_file = base / f"slice{i + 1}" / "reports" / f"{pathlib.Path(playbook).stem}.json"
            record.slices.append({"result": res, "report": json.loads(report_file.read_text()) if report_file.exists() else None})
        record.report = None
        return record

    @staticmethod
    def _playbook(playbook: str) -> str:
        return playbook if pathlib.Path(playbook).suffix in (".yml", ".yaml") else f"procall.msteams.{playbook}"

    @staticmethod
    def _counting(workdir: pathlib.Path, kwargs: dict) -> dict:
        """Run arguments with the benchmark's task counter (tests/benchmarks/callback_plugins) enabled."""
        env = {
            "ANSIBLE_CALLBACK_PLUGINS": str(REPO / "tests" / "benchmarks" / "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "bench_task_counts",
            "PROCALL_BENCH_TASK_COUNTS": str(pathlib.Path(workdir) / TASK_COUNTS_FILE),
            **(kwargs.get("env") or {}),
        }
        return {**kwargs, "env": env}

    def _begin(self, playbook: str, extra_vars: dict | None):
        for host in self.fleet:
            host.reset_log()
        self.emulator.reset_log()
        variables = {"msteams_report_dir": str(self.report_dir), **(extra_vars or {})}
        if playbook == "onboard" and not self.clock_visible:
            variables.setdefault("msteams_secret_validity_days", 32)  # see advance()
        self._host_cpu_before = {h.name: h.state().get("host_cpu", 0.0) for h in self.fleet}
        return variables, (time.monotonic(), time.time() - 1, _children_cpu())  # file times may be rounded

    def _finish(self, playbook: str, start, result: PlaybookResult, count_files: list[pathlib.Path]) -> RunRecord:
        started, wall_start, cpu_start = start
        seconds = time.monotonic() - started
        cpu = _children_cpu() - cpu_start
        log = self.emulator.requests()
        report_file = self.report_dir / f"{pathlib.Path(playbook).stem}.json"
        report = None
        if report_file.exists() and report_file.stat().st_mtime >= wall_start:
            report = json.loads(report_file.read_text())
        tasks: dict[str, dict] = {}
        for path in count_files:
            if path.exists():
                for host, counts in json.loads(path.read_text())["hosts"].items():
                    mine = tasks.setdefault(host, {})
                    for key, value in counts.items():
                        mine[key] = mine.get(key, 0) + value
        states = {h.name: h.state() for h in self.fleet}
        record = RunRecord(
            name=pathlib.Path(playbook).stem,
            rc=result.rc,
            seconds=seconds,
            graph_requests=self.emulator.count(kind="graph"),
            graph_writes=self.emulator.count(kind="graph", writes=True),
            token_requests=self.emulator.count(kind="token"),
            module_calls={name: st["module_calls"] for name, st in states.items()},
            result=result,
            restarts=sum([op["op"] for op in st["ops"]].count("service_start") for st in states.values()),
            host_writes=sum([op["op"] for op in st["ops"]].count("file_write") for st in states.values()),
            graph_errors=sum(1 for r in log if r["kind"] == "graph" and r["status"] >= 400),
            graph_writes_ok=sum(1 for r in log if r["kind"] == "graph" and r["method"] in WRITE_METHODS and r["status"] < 400),
            report=report,
            cpu_seconds=cpu,
            host_cpu_seconds=sum(st.get("host_cpu", 0.0) - self._host_cpu_before.get(name, 0.0) for name, st in states.items()),
            round_trips={name: st.get("connection_execs", 0) for name, st in states.items()},
            tasks=tasks,
        )
        self.runs.append(record)
        return record

    def date_follows_clock(self) -> bool:
        """Whether the emulator's HTTP ``Date`` header shows its settable clock.

        entra_app_secret and entra_app_info count days left on Graph's clock, read from that
        header (their documentation says why); moving the emulator's clock reaches them only
        when the emulator sends it.
        """
        import email.utils

        import requests

        before = self.emulator.clock.now()
        self.emulator.clock.advance(days=400)  # far from the wall clock, so the answer is telling
        try:
            resp = requests.get(f"{self.emulator.url}/v1.0/organization", verify=str(self.emulator.ca_path), timeout=30)
            shown = email.utils.parsedate_to_datetime(resp.headers.get("Date", "Thu, 01 Jan 1970 00:00:00 GMT"))
            return abs((shown - self.emulator.clock.now()).total_seconds()) < 120
        finally:
            self.emulator.clock.set(before)

    def advance(self, days: int) -> dict:
        """Move the emulator's clock by ``days``; returns extra vars for the next runs.

        When the modules cannot see the emulator's clock (an emulator that does not send it in
        the Date header), the same story is told without it: onboard then made secrets of 32
        days (see ``run``), a window of 35 days puts them inside it while the 180-day secrets a
        rotation makes stay outside, and the status threshold moves by the same days.
        """
        if self.clock_visible:
            self.emulator.clock.advance(days=days)
            return {}
        # The emulator's clock stays, so its own expiry checks agree with the modules' view.
        self.shifted_days += days
        return {"msteams_secret_rotate_before_days": 35, "msteams_status_min_days": 14 + self.shifted_days}

    def report(self, name: str) -> dict:
        return json.loads((self.report_dir / name).read_text())


# -- the emulator as a process (the demo; tests use the pytest fixtures) ---------------------------------


class EmulatorProcess:
    """``python -m tests.emulator`` in the background; stopped by its PID."""

    def __init__(self, state_dir: pathlib.Path, ideal: bool = False):
        self.state_dir = state_dir
        self.ideal = ideal
        self.proc: subprocess.Popen | None = None
        self.client = None

    def __enter__(self):
        from tests.emulator.client import EmulatorClient

        # No --state-dir: nothing here restarts the emulator, and the state file would be
        # written by concurrent requests; its temp dir (CA, keys) goes under state_dir.
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.emulator", "--host", "127.0.0.1", "--port", "0", *(["--ideal"] if self.ideal else [])],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "TMPDIR": str(self.state_dir)},
        )
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the Graph emulator did not start (see its error above)")
        info = json.loads(line)
        self.client = EmulatorClient(info["url"], info["ca_path"], workdir=self.state_dir / "client")
        return self.client

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return False


# -- the story ---------------------------------------------------------------------------------------------


def _print_run(record: RunRecord, world: World) -> None:
    calls = record.module_calls
    print(
        f"  -> exit code {record.rc}, {record.seconds:.1f} s wall time; Graph: {record.graph_requests} requests"
        f" ({record.graph_writes} writes) + {record.token_requests} token requests;"
        f" module calls per host: {record.module_calls_per_host:.1f} (max {max(calls.values()) if calls else 0})"
    )


def _print_summary(record: RunRecord) -> None:
    for task in ("Print the summary", "Print the status table"):
        for res in record.result.task_results(task).values():
            msg = res.get("msg")
            if isinstance(msg, list):
                for line in msg:
                    print("     " + line)


def story(emulator, root: pathlib.Path, out=print) -> World:
    """The demo scenario; returns the world for the caller's assertions (the test of make demo)."""
    world = World(emulator, root)
    tell(world, out)
    return world


def tell(world: World, out=print) -> None:
    """The demo's runs on a fresh world (``verify`` checks what they did)."""
    emulator = world.emulator
    out("1. Two tenants in the Graph emulator, each with an automation identity; four simulated UCServer hosts")
    for tenant, hosts in world.tenants.items():
        out(f"   tenant {tenant} ({world.tenant_ids[tenant]}): {', '.join(hosts)}")
    out(f"   inventory: {world.fleet.inventory}")

    out("\n2. ansible-playbook procall.msteams.onboard  (from nothing)")
    rec = world.run("onboard")
    _print_summary(rec)
    _print_run(rec, world)

    out("\n3. ansible-playbook procall.msteams.onboard  (again: converged, nothing may change)")
    rec = world.run("onboard")
    _print_run(rec, world)
    restarted = [h.name for h in world.fleet if "service_start" in h.op_names()]
    out(f"     Graph writes: {rec.graph_writes}; services restarted: {restarted or 'none'}")

    days = 180 - 30 + 1
    out(f"\n4. The emulator's clock moves {days} days ahead: every host's secret is now inside the 30-day rotation window")
    shift = world.advance(days)
    if shift:
        out(f"     (this emulator does not show its clock to the modules yet: the same effect through {shift})")

    out("   The schedule runs with a second automation identity per tenant: only Application.ReadWrite.OwnedBy, owner of the app")
    for tenant in world.tenants:
        app = world.app(tenant)
        rotation = emulator.add_automation_identity(world.tenant_ids[tenant], roles=ROTATION_ROLES, owner_of=[app["id"]], display_name="automation rotation")
        world.use_identity(tenant, rotation)

    world.before_rotation = {host.name: {"cfg": host.msteams_cfg(), "key_ids": [c.get("keyId") for c in world.host_secrets(host.name)]} for host in world.fleet}

    out("\n5. ansible-playbook procall.msteams.rotate_secret -e msteams_serial=2  (the scheduled job, two hosts per batch)")
    rec = world.run("rotate_secret", extra_vars={"msteams_serial": 2, **shift})
    _print_summary(rec)
    _print_run(rec, world)

    out("\n6. ansible-playbook procall.msteams.status")
    rec = world.run("status", extra_vars=shift)
    _print_summary(rec)
    _print_run(rec, world)
    out(f"     reports: {world.report_dir / 'status.json'}, {world.report_dir / 'status.csv'}")


# -- what the demo flow must have done (make compat runs it on every ansible-core version) ------------------

DEMO_RUNS = ["onboard", "onboard", "rotate_secret", "status"]
ONBOARDED = {"configured", "consent_pending"}


def _failures(rec: RunRecord, limit: int = 3) -> str:
    """The first failed tasks of a run, for a one-line reason (task messages never hold a secret)."""
    found = []
    for play in (rec.result.report or {}).get("plays", []):
        for task in play.get("tasks", []):
            for host, res in task.get("hosts", {}).items():
                if (res.get("failed") and not res.get("ignore_errors")) or res.get("unreachable"):
                    # A no_log task shows only that it was censored: that is the reason to give then.
                    reason = res.get("msg") or res.get("censored") or ""
                    found.append(f"{host}: {task['task']['name']}: {str(reason)[:300]}")
    return "; ".join(found[:limit]) or rec.result.stderr.strip()[-300:]


def _statuses(rec: RunRecord) -> dict:
    return {h.get("host"): h.get("status") for h in (rec.report or {}).get("hosts", [])}


def verify(world: World) -> list[str]:
    """What must be true after ``tell``: one sentence per thing that is not (empty: the flow is right).

    onboard configures every host; the converged rerun makes no Graph write (not even one that
    failed), no restart and no msteams.cfg write; rotate_secret gives every host one new secret in
    its msteams.cfg, restarts each once and revokes the replaced secret; status reports every host
    as waiting for the person's step "Commission in the admin GUI" (docs/vendor-procedure.md), with
    the new secret, and writes nothing.
    """
    names = [r.name for r in world.runs]
    if names != DEMO_RUNS:
        return [f"the demo ran {names}, expected {DEMO_RUNS}"]
    problems = []
    first, converged, rotation, status = world.runs
    hosts = set(world.hosts)
    for rec, label in zip(world.runs, ("onboard", "converged onboard", "rotate_secret", "status")):
        if rec.rc != 0:
            problems.append(f"{label}: ansible-playbook exited {rec.rc}: {_failures(rec)}")

    onboarded = _statuses(first)
    if set(onboarded) != hosts or not set(onboarded.values()) <= ONBOARDED:
        problems.append(f"onboard: report statuses {onboarded}, expected one of {sorted(ONBOARDED)} for each of {sorted(hosts)}")
    if first.graph_writes_ok == 0:
        problems.append("onboard: no Graph write succeeded (no app registration was made)")

    for what, count in (("Graph write(s)", converged.graph_writes), ("service start(s)", converged.restarts), ("msteams.cfg write(s)", converged.host_writes)):
        if count:
            problems.append(f"converged onboard: {count} {what}, expected 0")
    if _statuses(converged) != onboarded:
        problems.append(f"converged onboard: report statuses {_statuses(converged)}, expected those of the first run {onboarded}")

    rotated = _statuses(rotation)
    if set(rotated) != hosts or set(rotated.values()) != {"rotated"}:
        problems.append(f"rotate_secret: report statuses {rotated}, expected 'rotated' for each of {sorted(hosts)}")
    if rotation.restarts != len(hosts):
        problems.append(f"rotate_secret: {rotation.restarts} service start(s), expected one per host ({len(hosts)})")
    reported_keys = {h.get("host"): h.get("secret_key_id") for h in (rotation.report or {}).get("hosts", [])}
    status_rows = {h.get("host"): h for h in (status.report or {}).get("hosts", [])}
    for host in world.fleet:
        tenant = world.tenant_of(host.name)
        before = world.before_rotation.get(host.name, {})
        cfg = host.msteams_cfg()
        if not isinstance(cfg, dict):
            problems.append(f"{host.name}: msteams.cfg is {'missing' if cfg is None else 'not JSON'} after the demo")
            continue
        try:
            app_id = world.app(tenant)["appId"]
            key_ids = [c.get("keyId") for c in world.host_secrets(host.name)]
        except AssertionError as exc:
            problems.append(f"{host.name}: not exactly one app registration in tenant {tenant}: {exc}")
            continue
        if cfg.get("u8sClientID") != app_id or cfg.get("u8sTenant") != world.tenant_ids[tenant]:
            problems.append(
                f"{host.name}: msteams.cfg names client {cfg.get('u8sClientID')} in tenant {cfg.get('u8sTenant')},"
                f" expected {app_id} in {world.tenant_ids[tenant]}"
            )
        old_secret = (before.get("cfg") or {}).get("u8sClientSecret") if isinstance(before.get("cfg"), dict) else None
        if not cfg.get("u8sClientSecret") or cfg.get("u8sClientSecret") == old_secret:
            problems.append(f"rotate_secret: {host.name}'s msteams.cfg does not hold a new secret")
        if len(key_ids) != 1 or key_ids[0] in before.get("key_ids", []) or key_ids[0] != reported_keys.get(host.name):
            problems.append(
                f"rotate_secret: {host.name} has secret key ids {key_ids} in its app, expected exactly the new one"
                f" {reported_keys.get(host.name)} (before: {before.get('key_ids')})"
            )
        if host.service_state() != "running":
            problems.append(f"{host.name}: service is {host.service_state()} after the demo, expected running")
        row = status_rows.get(host.name)
        if row is None:
            problems.append(f"status: {host.name} missing from status.json")
            continue
        expected = {"status": "consent_pending", "client_id": app_id, "secret_key_id": reported_keys.get(host.name), "service_state": "running"}
        wrong = {k: row.get(k) for k, v in expected.items() if row.get(k) != v}
        if wrong:
            problems.append(f"status: {host.name} shows {wrong}, expected { ({k: expected[k] for k in wrong}) }")
    for what, count in (("Graph write(s)", status.graph_writes), ("service start(s)", status.restarts), ("msteams.cfg write(s)", status.host_writes)):
        if count:
            problems.append(f"status: {count} {what}, expected 0 (it only reads)")
    return problems


def versions() -> dict:
    """The versions the numbers were measured with."""
    import importlib.metadata

    found = {"python": ".".join(map(str, sys.version_info[:3]))}
    for package in ("ansible-core", "urllib3", "requests", "msal"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="keep everything here (default: a temporary directory, removed at the end)")
    parser.add_argument("--emulator", help="the JSON line (file) of a running emulator; default: start one here")
    parser.add_argument("--numbers-file", help="also write the machine-readable numbers (the demo-numbers line) to this JSON file")
    args = parser.parse_args(argv)
    started = time.monotonic()
    problems: list[str] = []
    world = None

    def tell_and_verify(emulator, root: pathlib.Path) -> None:
        nonlocal world
        print(f"Graph emulator: {emulator.url}")
        world = World(emulator, root)
        try:
            tell(world)
        except Exception as exc:  # a broken step ends the story; say which, keep the numbers so far
            problems.append(f"the demo stopped at run {len(world.runs) + 1}: {type(exc).__name__}: {exc}")
        else:
            problems.extend(verify(world))

    with tempfile.TemporaryDirectory(prefix="procall-msteams-demo-") as tmp:
        root = pathlib.Path(args.workdir or tmp)
        root.mkdir(parents=True, exist_ok=True)
        if args.emulator:
            from tests.emulator.client import EmulatorClient

            info = json.loads(pathlib.Path(args.emulator).read_text().splitlines()[0])
            tell_and_verify(EmulatorClient(info["url"], info["ca_path"], workdir=root / "emulator-client"), root)
        else:
            with EmulatorProcess(root / "emulator") as emulator:
                tell_and_verify(emulator, root / "world")
        runs = world.runs if world else []
        print("\nSummary of the runs:")
        print(f"  {'run':<16} {'rc':>3} {'wall s':>7} {'graph req':>9} {'writes':>6} {'tokens':>6} {'restarts':>8} {'calls/host':>10}")
        for rec in runs:
            print(
                f"  {rec.name:<16} {rec.rc:>3} {rec.seconds:>7.1f} {rec.graph_requests:>9} {rec.graph_writes:>6}"
                f" {rec.token_requests:>6} {rec.restarts:>8} {rec.module_calls_per_host:>10.1f}"
            )
    numbers = {"versions": versions(), "runs": [r.numbers() for r in runs], "problems": problems}
    # One line for machines (make compat compares it across ansible-core versions).
    print("\ndemo-numbers: " + json.dumps(numbers, sort_keys=True))
    if args.numbers_file:
        pathlib.Path(args.numbers_file).write_text(json.dumps(numbers, indent=1, sort_keys=True) + "\n")
    if problems:
        print(f"\nThe demo flow is NOT right ({len(problems)} problem(s)):")
        for problem in problems:
            print(f"  - {problem}")
    else:
        print("\nVerified: onboard configured every host; the converged rerun made 0 Graph writes and 0 restarts;")
        print("rotate_secret rotated every host's secret and revoked the old one; status reports every host correctly.")
    print(f"Demo finished in {time.monotonic() - started:.0f} s.")
    return 1 if problems else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
