"""``make demo`` itself: hack/demo.sh on this checkout, as a newcomer runs it (target: under 2 minutes)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_make_demo_runs_end_to_end(tmp_path):
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHON"] = sys.executable
    env["TMPDIR"] = str(tmp_path)
    start = time.monotonic()
    proc = subprocess.run(["bash", str(REPO / "hack" / "demo.sh")], cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    seconds = time.monotonic() - start
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-8000:]
    for step in ("procall.msteams.onboard", "procall.msteams.rotate_secret", "procall.msteams.status", "Summary of the runs"):
        assert step in out
    assert "Commission in the admin GUI" in out
    assert "New secret deployed and running" in out
    # The emulator was stopped and its temp dir removed (trap in demo.sh).
    assert not list(tmp_path.glob("procall-msteams-demo.*")), "demo.sh left its work dir behind"
    print(f"make demo took {seconds:.0f} s")
