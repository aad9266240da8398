"""Graph requests of a converged entra_admin_consent run and of a converged secret check per consumer.

Starts its own Graph emulator (stopped by PID at the end), runs the modules through
ansible-playbook as the integration tests do, and prints the emulator's request counters:

    .venv/bin/python -m tests.benchmarks.consent_secret_requests
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time

from tests.emulator.client import EmulatorClient
from tests.integration.consent_secret_support import World


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def counts(emu, tenant):
    return {
        "graph": emu.count(kind="graph", tenant_id=tenant),
        "graph_writes": emu.count(kind="graph", tenant_id=tenant, writes=True),
        "token": emu.count(kind="token", tenant_id=tenant),
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.emulator", "--host", "127.0.0.1", "--port", str(free_port()), "--state-dir", tmp + "/state"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            info = json.loads(proc.stdout.readline())
            emu = EmulatorClient(info["url"], info["ca_path"])
            world = World(emu, tmp + "/runs")
            rows = []
            start = time.monotonic()
            res, out, _ignored = world.consent()
            assert res.rc == 0 and out["changed"], res
            rows.append(("consent, first run (fresh app)", counts(emu, world.tenant), time.monotonic() - start))
            emu.reset_log()
            start = time.monotonic()
            res, out, _ignored = world.consent()
            assert res.rc == 0 and not out["changed"], res
            rows.append(("consent, converged rerun", counts(emu, world.tenant), time.monotonic() - start))
            secrets = {}
            for host in ("ucs1", "ucs2"):
                emu.reset_log()
                start = time.monotonic()
                res, out, secrets[host] = world.secret(consumer=host)
                assert res.rc == 0 and out["rotated"], res
                rows.append(("secret %s, created + verified" % host, counts(emu, world.tenant), time.monotonic() - start))
            for host in ("ucs1", "ucs2"):
                emu.reset_log()
                start = time.monotonic()
                res, out, _ignored = world.secret(consumer=host, current_secret=secrets[host])
                assert res.rc == 0 and not out["changed"], res
                rows.append(("secret %s, converged check (current_secret)" % host, counts(emu, world.tenant), time.monotonic() - start))
                emu.reset_log()
                res, out, _ignored = world.secret(consumer=host)
                assert res.rc == 0 and not out["changed"], res
                rows.append(("secret %s, converged check (no value)" % host, counts(emu, world.tenant), 0.0))
            print("%-48s %6s %7s %6s %8s" % ("run", "graph", "writes", "token", "seconds"))
            for name, c, secs in rows:
                print("%-48s %6d %7d %6d %8.1f" % (name, c["graph"], c["graph_writes"], c["token"], secs))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
