"""Fleet numbers: what onboard, a converged rerun and a rotation cost for T tenants x H hosts.

    python -m tests.benchmarks.fleet --tenants 2 --hosts 10 [--serial 5] [--forks 10] [--json out.json]

Runs against an emulator process and simulated hosts (tests/demo.py's World) and prints per
run: wall time, Graph requests (reads / writes / token requests), module calls per host (one
WinRM round trip each on a real host). Graph requests per tenant should not grow with hosts
beyond the per-host secret calls; a converged rerun makes no Graph write and no host write.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import tempfile

from tests.demo import EmulatorProcess, World


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=2)
    parser.add_argument("--hosts", type=int, default=5, help="hosts per tenant")
    parser.add_argument("--serial", default="100%", help="msteams_serial of the rotation run")
    parser.add_argument("--forks", type=int, default=5)
    parser.add_argument("--json", help="write the numbers here")
    args = parser.parse_args(argv)
    tenants = {f"t{t}": [f"ucs-t{t}-{h}" for h in range(1, args.hosts + 1)] for t in range(1, args.tenants + 1)}
    numbers = []
    with tempfile.TemporaryDirectory(prefix="procall-msteams-bench-") as tmp:
        root = pathlib.Path(tmp)
        with EmulatorProcess(root / "emulator") as emulator:
            world = World(emulator, root / "world", tenants=tenants)
            env = {"ANSIBLE_FORKS": str(args.forks)}
            steps = [
                ("onboard", "onboard", {}),
                ("onboard (converged)", "onboard", {}),
                ("rotate_secret (nothing due)", "rotate_secret", {}),
                ("advance", None, None),
                ("rotate_secret (all due)", "rotate_secret", {"msteams_serial": args.serial}),
                ("status", "status", {}),
            ]
            shift = {}
            for label, playbook, extra in steps:
                if playbook is None:
                    shift = world.advance(151)
                    continue
                rec = world.run(playbook, extra_vars={**extra, **shift}, env=env)
                numbers.append(
                    {
                        "run": label,
                        "rc": rec.rc,
                        "seconds": round(rec.seconds, 1),
                        "graph_requests": rec.graph_requests,
                        "graph_writes": rec.graph_writes,
                        "token_requests": rec.token_requests,
                        "module_calls_per_host": round(rec.module_calls_per_host, 1),
                    }
                )
                print(json.dumps(numbers[-1]), flush=True)
    hosts = args.tenants * args.hosts
    print(f"\n{args.tenants} tenants x {args.hosts} hosts = {hosts} hosts, forks {args.forks}")
    print(f"{'run':<30} {'rc':>3} {'wall s':>7} {'graph':>6} {'writes':>6} {'tokens':>6} {'calls/host':>10}")
    for n in numbers:
        print(
            f"{n['run']:<30} {n['rc']:>3} {n['seconds']:>7} {n['graph_requests']:>6} {n['graph_writes']:>6} {n['token_requests']:>6}"
            f" {n['module_calls_per_host']:>10}"
        )
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"tenants": args.tenants, "hosts_per_tenant": args.hosts, "runs": numbers}, indent=2))
    return 0 if all(n["rc"] == 0 for n in numbers) else 1


if __name__ == "__main__":
    sys.exit(main())
