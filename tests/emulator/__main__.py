"""``python -m tests.emulator --host 127.0.0.1 --port 8443 --state-dir DIR``.

Prints one JSON line with ``url`` and ``ca_path`` and serves until SIGTERM (or Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .server import EmulatorServer


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description="Microsoft Graph + Entra ID emulator (HTTPS).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8443, help="port (0 = any free port; default 8443)")
    parser.add_argument("--state-dir", help="keep state, CA and keys here so a restart keeps them")
    parser.add_argument("--tenant", action="append", default=[], metavar="NAME", help="create a tenant with this name at start when it does not exist yet")
    parser.add_argument(
        "--ideal",
        action="store_true",
        help="an ideal world: no replication lag, no throttling, no propagation delay, one page, 1 h tokens (default: the realistic world)",
    )
    args = parser.parse_args(argv)
    profile = "ideal" if args.ideal else "realistic"
    server = EmulatorServer(args.host, args.port, state_dir=args.state_dir, profile=profile).start()
    tenants = {}
    for name in args.tenant:
        existing = next((t for t in server.store.tenants.values() if t["displayName"] == name), None)
        tenants[name] = existing["id"] if existing else server.store.add_tenant(name)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(json.dumps({"url": server.url, "ca_path": str(server.ca_path), "tenants": tenants, "profile": profile}), flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
