"""``python -m tests.emulator``: one JSON line, serves until SIGTERM, state survives a restart."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys

import pytest

from .client import EmulatorClient

REPO = pathlib.Path(__file__).resolve().parents[2]


def _start(state_dir, *extra) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--host", "127.0.0.1", "--port", "0", "--state-dir", str(state_dir), "--tenant", "contoso", *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        pytest.fail(proc.stderr.read())
    return proc, json.loads(line)


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_cli_serves_and_keeps_state_across_restarts(tmp_path):
    state_dir = tmp_path / "state"
    proc, info = _start(state_dir)
    try:
        assert info["url"].startswith("https://127.0.0.1:") and info["profile"] == "realistic"
        tenant = info["tenants"]["contoso"]
        emulator = EmulatorClient(info["url"], info["ca_path"], workdir=tmp_path)
        ident = emulator.add_automation_identity(tenant, roles=["Application.ReadWrite.All"])
        token = emulator.token(tenant, ident["client_id"], ident["client_secret"], scope="https://graph.microsoft.com/.default").json()["access_token"]
        app = emulator.graph("POST", "/applications", token, json={"displayName": "kept"}).json()
        emulator.clock.advance(days=10)
    finally:
        assert _stop(proc) == 0
    assert (state_dir / "state.json").exists()

    proc, again = _start(state_dir, "--ideal")
    try:
        assert again["ca_path"] == info["ca_path"] and again["profile"] == "ideal"
        assert again["tenants"]["contoso"] == tenant  # not created twice
        emulator = EmulatorClient(again["url"], again["ca_path"], workdir=tmp_path)
        # Same signing key, same secret, same objects, same clock offset.
        fresh = emulator.token(tenant, ident["client_id"], ident["client_secret"]).json()["access_token"]
        got = emulator.graph("GET", f"/applications/{app['id']}", fresh)
        assert got.status_code == 200 and got.json()["displayName"] == "kept"
        days = (emulator.clock.now().timestamp() - _epoch(app["createdDateTime"])) / 86400
        assert 9.9 < days < 10.1
        # The token from before the restart is signed with the kept key but is past its exp now.
        stale = emulator.graph("GET", "/applications", token)
        assert stale.status_code == 401 and "expired" in stale.json()["error"]["message"]
        assert emulator.world() == {"profile": "ideal", "default_profile": "ideal", "page_size": 999, "token_lifetime": 3599}
    finally:
        assert _stop(proc) == 0


def _epoch(value: str) -> float:
    import datetime

    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
