"""Fleet numbers: what onboard, rotate_secret and status cost on T tenants x H hosts, against a naive playbook.

    python -m tests.benchmarks.fleet --tenants 2 --hosts 25 [--hosts 10,50] [--forks 5]
        [--winrm-delay 0,0.5] [--runs onboard,rotate,status,naive] [--due] [--ideal]
        [--slices 2] [--markdown] [--json out.json]

Runs against an emulator process (the realistic world by default, ``--ideal`` for the ideal one)
and simulated hosts (tests/demo.py's World). First an onboard from nothing, then per WinRM
delay model the converged runs, interleaved with the naive playbook an administrator would
write from the vendor procedure (tests/benchmarks/naive.yml: close the GUI, stop, write,
start, every time) on the same hosts with the values they already run, so the collection's
next run must still find them converged. Per run it prints: wall time, controller CPU (user +
sys of the ansible-playbook process tree, from getrusage of the finished children; "host
CPU" is the part the simulated hosts' module processes used, which a real Windows host would
spend), Graph requests, token requests, module calls, host round trips (commands of the
connection: one WinRM round trip each), tasks (every task result Ansible reported for the
host, skipped ones included; includes apart) and restarts per host. With two fleet sizes
(``--hosts 10,50``) it fits cost = fixed + per_host x hosts for each run. ``--winrm-delay``
sleeps that many seconds per host command (tests/simulator's ``ucsim_call_delay``), the cost of
a real WinRM round trip. ``--slices N`` then runs onboard (from nothing, on a fresh fleet) and
rotate_secret (all due) as N concurrent ansible-playbook processes with ``--limit`` (the hosts
AWX job slicing would give each slice), checks the emulator's state (one app per tenant,
every host converged with a valid secret) and reports the speedup over one process.

The machine may be shared: CPU seconds are robust, wall times are not.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys
import tempfile
import time

from tests.benchmarks.slices import converged_problems, limit_slices
from tests.demo import EmulatorProcess, World

NAIVE = pathlib.Path(__file__).resolve().parent / "naive.yml"
LABELS = {
    "onboard": "onboard (converged)",
    "rotate": "rotate_secret (nothing due)",
    "status": "status",
    "naive": "naive (vendor procedure)",
}
PLAYBOOKS = {"onboard": "onboard", "rotate": "rotate_secret", "status": "status"}


def naive_values(world: World) -> dict:
    """What each host runs now (the values an administrator would have put into the naive playbook)."""
    values = {}
    for host in world.fleet:
        cfg = host.msteams_cfg()
        values[host.name] = {"tenant": cfg["u8sTenant"], "client_id": cfg["u8sClientID"], "secret": cfg["u8sClientSecret"]}
    return values


def row(label: str, rec, hosts: int, delay: float, forks: int) -> dict:
    cpu = rec.cpu_seconds
    return {
        "run": label,
        "hosts": hosts,
        "forks": forks,
        "winrm_delay": delay,
        "rc": rec.rc,
        "seconds": round(rec.seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "host_cpu_seconds": round(rec.host_cpu_seconds, 1),
        "controller_cpu_per_host": round((cpu - rec.host_cpu_seconds) / hosts, 2),
        "cpu_per_host": round(cpu / hosts, 2),
        "graph_requests": rec.graph_requests,
        "graph_writes": rec.graph_writes,
        "token_requests": rec.token_requests,
        "module_calls_per_host": round(rec.module_calls_per_host, 2),
        "round_trips_per_host": round(rec.round_trips_per_host, 2),
        "round_trips": sum(rec.round_trips.values()),
        "tasks_per_host": round(rec.tasks_per_host, 1),
        "includes_per_host": round(rec.includes_per_host, 1),
        "restarts_per_host": round(rec.restarts / hosts, 2),
        "host_writes": rec.host_writes,
    }


class Bench:
    def __init__(self, args, root: pathlib.Path, out):
        self.args = args
        self.root = root
        self.out = out
        self.rows: list[dict] = []
        self.env = {"ANSIBLE_FORKS": str(args.forks)}

    def world(self, emulator, name: str, hosts_per_tenant: int) -> World:
        # Tenant names are unique per emulator (all fleets of an invocation share one).
        tenants = {f"{name.replace('-', '_')}_t{t}": [f"ucs-t{t}-{h:03d}" for h in range(1, hosts_per_tenant + 1)] for t in range(1, self.args.tenants + 1)}
        return World(emulator, self.root / name, tenants=tenants)

    def record(self, label: str, rec, world: World, delay: float) -> dict:
        entry = row(label, rec, len(world.hosts), delay, self.args.forks)
        self.rows.append(entry)
        self.out(json.dumps(entry))
        if rec.rc != 0:
            self.out(f"  !! {label} exited {rec.rc}: {rec.result.stderr.strip()[-500:] or rec.result.stdout.strip()[-1500:]}")
        return entry

    def run(self, world: World, key: str, delay: float, extra: dict | None = None, label: str | None = None):
        variables = {"ucsim_call_delay": delay, **(extra or {})}
        if key == "naive":
            variables["naive_msteams"] = naive_values(world)
            rec = world.run(str(NAIVE), extra_vars=variables, env=self.env, timeout=self.args.timeout)
        else:
            rec = world.run(PLAYBOOKS[key], extra_vars=variables, env=self.env, timeout=self.args.timeout)
        return self.record(label or LABELS[key], rec, world, delay)

    def size(self, emulator, hosts_per_tenant: int) -> None:
        args = self.args
        world = self.world(emulator, f"fleet-{hosts_per_tenant}", hosts_per_tenant)
        self.out(f"# {args.tenants} tenants x {hosts_per_tenant} hosts: onboard from nothing")
        self.run(world, "onboard", args.delays[0], label="onboard (first)")
        runs = [r for r in args.runs if r != "naive"]
        for delay in args.delays:
            self.out(f"# winrm delay {delay} s")
            for i, key in enumerate(runs):
                self.run(world, key, delay)
                # The naive baseline between the collection's runs: the same load drift hits both,
                # and the next collection run proves the naive one left the hosts as it wants them.
                if "naive" in args.runs and (i < len(runs) - 1 or len(runs) == 1):
                    self.run(world, "naive", delay)
        if args.due:
            shift = world.advance(151)
            self.run(world, "rotate", args.delays[0], {**shift, "msteams_serial": args.serial}, label="rotate_secret (all due)")

    def slices(self, emulator) -> None:
        args = self.args
        hosts_per_tenant = args.hosts[-1]
        delay = args.delays[-1]
        world = self.world(emulator, f"slices-{hosts_per_tenant}", hosts_per_tenant)
        specs = limit_slices(world.hosts, args.slices)
        extra = {"ucsim_call_delay": delay}
        self.out(f"# {args.slices} slices (--limit, AWX's host assignment), winrm delay {delay} s")

        def sliced(label, playbook, variables, single: bool):
            if single:
                rec = world.run(playbook, extra_vars=variables, env=self.env, timeout=args.timeout)
            else:
                rec = world.run_slices(playbook, specs, extra_vars=variables, env=self.env, timeout=args.timeout)
            entry = self.record(label, rec, world, delay)
            entry["slices"] = 1 if single else args.slices
            return entry

        sliced(f"onboard (first, {args.slices} slices)", "onboard", extra, single=False)
        problems = converged_problems(world)
        one = sliced("onboard (converged, 1 process)", "onboard", extra, single=True)
        many = sliced(f"onboard (converged, {args.slices} slices)", "onboard", extra, single=False)
        speedups = {"onboard (converged)": round(one["seconds"] / max(many["seconds"], 0.1), 2)}
        shift = world.advance(151)
        extra["msteams_serial"] = args.serial
        one = sliced("rotate_secret (all due, 1 process)", "rotate_secret", {**extra, **shift}, single=True)
        shift = world.advance(151)
        before = {h: [c.get("keyId") for c in world.host_secrets(h)] for h in world.hosts}
        many = sliced(f"rotate_secret (all due, {args.slices} slices)", "rotate_secret", {**extra, **shift}, single=False)
        problems += converged_problems(world, before)
        speedups["rotate_secret (all due)"] = round(one["seconds"] / max(many["seconds"], 0.1), 2)
        self.slice_result = {"slices": args.slices, "hosts": len(world.hosts), "winrm_delay": delay, "speedup": speedups, "problems": problems}
        self.out(json.dumps(self.slice_result))


def parse_list(text: str, kind=float) -> list:
    return [kind(x) for x in str(text).split(",") if x.strip()]


def fit(rows: list[dict]) -> list[dict]:
    """cost = fixed + per_host x hosts, from the two smallest and largest fleets of each run and delay."""
    fits = []
    keys = sorted({(r["run"], r["winrm_delay"]) for r in rows if "slices" not in r}, key=lambda k: (k[1], k[0]))
    for run, delay in keys:
        same = {}
        for r in rows:
            if r["run"] == run and r["winrm_delay"] == delay and "slices" not in r:
                same.setdefault(r["hosts"], []).append(r)
        if len(same) < 2:
            continue
        small, large = min(same), max(same)
        entry = {"run": run, "winrm_delay": delay, "hosts": [small, large]}
        for metric in ("seconds", "cpu_seconds", "graph_requests", "token_requests"):
            y1 = statistics.mean(r[metric] for r in same[small])
            y2 = statistics.mean(r[metric] for r in same[large])
            per_host = (y2 - y1) / (large - small)
            entry[metric] = {"fixed": round(y1 - per_host * small, 2), "per_host": round(per_host, 3)}
        fits.append(entry)
    return fits


def ratios(rows: list[dict]) -> list[dict]:
    """Each converged collection run over the mean naive run of the same fleet and delay."""
    found = []
    for r in rows:
        if r["run"] not in (LABELS["onboard"], LABELS["rotate"], LABELS["status"]):
            continue
        naive = [n for n in rows if n["run"] == LABELS["naive"] and n["hosts"] == r["hosts"] and n["winrm_delay"] == r["winrm_delay"]]
        if not naive:
            continue
        wall = statistics.mean(n["seconds"] for n in naive)
        trips = statistics.mean(n["round_trips"] for n in naive)
        found.append(
            {
                "run": r["run"],
                "hosts": r["hosts"],
                "winrm_delay": r["winrm_delay"],
                "wall_ratio": round(r["seconds"] / max(wall, 0.1), 2),
                "round_trip_ratio": round(r["round_trips"] / max(trips, 1), 2),
                "cpu_ratio": round(r["cpu_seconds"] / max(statistics.mean(n["cpu_seconds"] for n in naive), 0.1), 2),
                "restarts_per_host": r["restarts_per_host"],
                "naive_restarts_per_host": statistics.mean(n["restarts_per_host"] for n in naive),
            }
        )
    return found


COLUMNS = [
    ("run", "run"),
    ("hosts", "hosts"),
    ("winrm_delay", "WinRM delay s"),
    ("rc", "rc"),
    ("seconds", "wall s"),
    ("cpu_seconds", "controller CPU s"),
    ("host_cpu_seconds", "of it sim. hosts s"),
    ("cpu_per_host", "CPU s / host"),
    ("controller_cpu_per_host", "CPU s / host w/o sim. hosts"),
    ("graph_requests", "Graph requests"),
    ("token_requests", "token requests"),
    ("module_calls_per_host", "module calls / host"),
    ("round_trips_per_host", "round trips / host"),
    ("tasks_per_host", "tasks / host"),
    ("restarts_per_host", "restarts / host"),
]


def table(rows: list[dict], columns, markdown: bool) -> list[str]:
    heads = [h for _k, h in columns]
    cells = [[str(r.get(k, "")) for k, _h in columns] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(heads) + " |", "|" + "|".join("---" for _head in heads) + "|"]
        return lines + ["| " + " | ".join(c) + " |" for c in cells]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(heads)]
    fmt = "  ".join("{:<%d}" % w if i == 0 else "{:>%d}" % w for i, w in enumerate(widths))
    return [fmt.format(*heads)] + [fmt.format(*c) for c in cells]


def report(bench: Bench, args, versions_line: str, out=print) -> None:
    md = args.markdown
    out("")
    out(f"{args.tenants} tenant(s) x {', '.join(map(str, args.hosts))} hosts, forks {args.forks}, emulator world {'ideal' if args.ideal else 'realistic'},"
        f" WinRM delay model {', '.join(map(str, args.delays))} s per host command; {versions_line}")  # fmt: skip
    out("")
    out(("### " if md else "") + "Runs")
    out("")
    for line in table(bench.rows, COLUMNS, md):
        out(line)
    found = ratios(bench.rows)
    if found:
        out("")
        out(("### " if md else "") + "Collection / naive playbook (same hosts, same invocation)")
        out("")
        cols = [
            ("run", "run"),
            ("hosts", "hosts"),
            ("winrm_delay", "WinRM delay s"),
            ("wall_ratio", "wall time ratio"),
            ("round_trip_ratio", "round trip ratio"),
            ("cpu_ratio", "CPU ratio"),
            ("restarts_per_host", "restarts / host"),
            ("naive_restarts_per_host", "naive restarts / host"),
        ]
        for line in table(found, cols, md):
            out(line)
    fits = fit(bench.rows)
    if fits:
        out("")
        out(("### " if md else "") + "Fixed and per-host cost (linear fit over the fleet sizes)")
        out("")
        flat = [
            {
                "run": f["run"],
                "winrm_delay": f["winrm_delay"],
                "hosts": "-".join(map(str, f["hosts"])),
                **{f"{m}_{part}": f[m][part] for m in ("seconds", "cpu_seconds", "graph_requests", "token_requests") for part in ("fixed", "per_host")},
            }
            for f in fits
        ]
        cols = [("run", "run"), ("hosts", "hosts"), ("winrm_delay", "WinRM delay s")] + [
            (f"{m}_{part}", f"{label} {part.replace('_', ' ')}")
            for m, label in (("seconds", "wall s"), ("cpu_seconds", "CPU s"), ("graph_requests", "Graph req."), ("token_requests", "tokens"))
            for part in ("fixed", "per_host")
        ]
        for line in table(flat, cols, md):
            out(line)
    if getattr(bench, "slice_result", None):
        s = bench.slice_result
        out("")
        out(("### " if md else "") + f"{s['slices']} concurrent slices ({s['hosts']} hosts, WinRM delay {s['winrm_delay']} s)")
        out("")
        for run, speedup in s["speedup"].items():
            out(f"- {run}: speedup {speedup}x over one process")
        state = "; ".join(s["problems"]) or "one app per tenant, every host converged with a valid secret"
        out(f"- emulator state after the sliced runs: {state}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=2)
    parser.add_argument("--hosts", default="5", help="hosts per tenant; two sizes (10,50) add the fixed/per-host fit")
    parser.add_argument("--forks", type=int, default=5)
    parser.add_argument("--winrm-delay", default="0", help="seconds per host command, comma list (0,0.5): each is measured")
    parser.add_argument("--runs", default="onboard,rotate,status,naive", help="converged runs to measure, of onboard,rotate,status,naive")
    parser.add_argument("--due", action="store_true", help="also a rotate_secret with every secret due")
    parser.add_argument("--serial", default="100%", help="msteams_serial of the runs with secrets due")
    parser.add_argument("--ideal", action="store_true", help="the emulator's ideal world (default: realistic)")
    parser.add_argument("--slices", type=int, default=0, help="also run onboard and rotate_secret as N concurrent --limit slices")
    parser.add_argument("--timeout", type=int, default=7200, help="seconds one ansible-playbook run may take")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown (docs/scheduling.md)")
    parser.add_argument("--json", help="write the numbers here")
    args = parser.parse_args(argv)
    args.hosts = parse_list(args.hosts, int)
    args.delays = parse_list(args.winrm_delay, float)
    args.runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    unknown = sorted(set(args.runs) - set(LABELS))
    if unknown:
        parser.error(f"--runs: unknown {unknown}; allowed: {', '.join(LABELS)}")
    from tests.demo import versions

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="procall-msteams-bench-") as tmp:
        root = pathlib.Path(tmp)
        bench = Bench(args, root, out=lambda line: print(line, flush=True))
        with EmulatorProcess(root / "emulator", ideal=args.ideal) as emulator:
            for size in args.hosts:
                bench.size(emulator, size)
            if args.slices > 1:
                bench.slices(emulator)
    v = versions()
    report(bench, args, f"ansible-core {v['ansible-core']}, Python {v['python']}; {time.monotonic() - started:.0f} s in all")
    if args.json:
        data = {"args": {k: v for k, v in vars(args).items() if k != "json"}, "runs": bench.rows, "ratios": ratios(bench.rows), "fit": fit(bench.rows)}
        data["slices"] = getattr(bench, "slice_result", None)
        pathlib.Path(args.json).write_text(json.dumps(data, indent=2))
    failed = any(r["rc"] != 0 for r in bench.rows) or bool((getattr(bench, "slice_result", None) or {}).get("problems"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
