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

    @property
    def module_calls_per_host(self) -> float:
        return sum(self.module_calls.values()) / max(len(self.module_calls), 1)


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
        self._count += 1
        workdir = self.root / f"run{self._count:02d}-{playbook}"
        for host in self.fleet:
            host.reset_log()
        self.emulator.reset_log()
        variables = {"msteams_report_dir": str(self.report_dir), **(extra_vars or {})}
        if playbook == "onboard" and not self.clock_visible:
            variables.setdefault("msteams_secret_validity_days", 32)  # see advance()
        start = time.monotonic()
        result = self.fleet.run(f"procall.msteams.{playbook}", workdir=workdir, extra_vars=variables, **kwargs)
        seconds = time.monotonic() - start
        record = RunRecord(
            name=playbook,
            rc=result.rc,
            seconds=seconds,
            graph_requests=self.emulator.count(kind="graph"),
            graph_writes=self.emulator.count(kind="graph", writes=True),
            token_requests=self.emulator.count(kind="token"),
            module_calls={h.name: h.module_calls() for h in self.fleet},
            result=result,
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

    def __init__(self, state_dir: pathlib.Path):
        self.state_dir = state_dir
        self.proc: subprocess.Popen | None = None
        self.client = None

    def __enter__(self):
        from tests.emulator.client import EmulatorClient

        # No --state-dir: nothing here restarts the emulator, and the state file would be
        # written by concurrent requests; its temp dir (CA, keys) goes under state_dir.
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.emulator", "--host", "127.0.0.1", "--port", "0"],
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
    out("1. Two tenants in the Graph emulator, each with an automation identity; four simulated UCServer hosts")
    world = World(emulator, root)
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

    out("\n5. ansible-playbook procall.msteams.rotate_secret -e msteams_serial=2  (the scheduled job, two hosts per batch)")
    rec = world.run("rotate_secret", extra_vars={"msteams_serial": 2, **shift})
    _print_summary(rec)
    _print_run(rec, world)

    out("\n6. ansible-playbook procall.msteams.status")
    rec = world.run("status", extra_vars=shift)
    _print_summary(rec)
    _print_run(rec, world)
    out(f"     reports: {world.report_dir / 'status.json'}, {world.report_dir / 'status.csv'}")
    return world


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="keep everything here (default: a temporary directory, removed at the end)")
    parser.add_argument("--emulator", help="the JSON line (file) of a running emulator; default: start one here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="procall-msteams-demo-") as tmp:
        root = pathlib.Path(args.workdir or tmp)
        root.mkdir(parents=True, exist_ok=True)
        if args.emulator:
            from tests.emulator.client import EmulatorClient

            info = json.loads(pathlib.Path(args.emulator).read_text().splitlines()[0])
            emulator = EmulatorClient(info["url"], info["ca_path"], workdir=root / "emulator-client")
            print(f"Graph emulator: {emulator.url}")
            world = story(emulator, root)
        else:
            with EmulatorProcess(root / "emulator") as emulator:
                print(f"Graph emulator: {emulator.url}")
                world = story(emulator, root / "world")
        print("\nSummary of the runs:")
        print(f"  {'run':<16} {'rc':>3} {'wall s':>7} {'graph req':>9} {'writes':>6} {'tokens':>6} {'calls/host':>10}")
        for rec in world.runs:
            print(
                f"  {rec.name:<16} {rec.rc:>3} {rec.seconds:>7.1f} {rec.graph_requests:>9} {rec.graph_writes:>6}"
                f" {rec.token_requests:>6} {rec.module_calls_per_host:>10.1f}"
            )
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s.")
    expected = [0, 0, 0, 0]
    return 0 if [r.rc for r in world.runs] == expected else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
