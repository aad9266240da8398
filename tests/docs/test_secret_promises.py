"""The documents that promise "never prints a secret" name the two Ansible switches that bypass
no_log (issue 14), and the switches do what the documents say while -vvv does not leak."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import uuid

import pytest

from tests.playbook_runner import REPO, ensure_collection_link

BIN = pathlib.Path(sys.executable).parent
SWITCHES = ("ANSIBLE_DEBUG=1", "ANSIBLE_KEEP_REMOTE_FILES=1")
TROUBLESHOOTING = "docs/troubleshooting.md"
# Where the collection promises that no secret reaches the output.
PROMISES = ("README.md", TROUBLESHOOTING, "docs/consent-and-secrets.md")
DEBUG_SECTION = "## Debugging without leaking secrets"


@pytest.mark.parametrize("rel", PROMISES)
def test_each_no_secret_promise_names_the_switches_that_bypass_no_log(rel):
    text = (REPO / rel).read_text()
    for switch in SWITCHES:
        assert switch in text, f"{rel} does not name {switch}"
    assert "troubleshooting.md#debugging-without-leaking-secrets" in text or rel == TROUBLESHOOTING


def test_troubleshooting_says_how_to_debug_instead_and_why_verbosity_is_safe():
    section = (REPO / TROUBLESHOOTING).read_text().split(DEBUG_SECTION, 1)[1]
    for needle in ("-vvv", "no_log", "--check --diff", "graph_retries", "real secrets"):
        assert needle in section, needle


def _ad_hoc(tmp_path, secret, *extra, env=None):
    """One Graph module run on the controller, with a login host that refuses at once."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    args = " ".join(
        [
            "tenant_id=%s" % uuid.UUID(int=1),
            "client_id=%s" % uuid.UUID(int=2),
            "client_secret=%s" % secret,
            "login_endpoint=https://127.0.0.1:9",
            "graph_endpoint=https://127.0.0.1:9",
            "max_retry_wait=0",
            "token_cache_path=false",
            "app_id=%s" % uuid.UUID(int=3),
        ]
    )
    full_env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "local-tmp"),
        "ANSIBLE_REMOTE_TMP": str(tmp_path / "remote-tmp"),
        "ANSIBLE_COLLECTIONS_PATH": str(ensure_collection_link()),
        "ANSIBLE_PIPELINING": "false",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        **(env or {}),
    }
    cmd = [str(BIN / "ansible"), "localhost", "-c", "local", "-m", "procall.msteams.entra_app_info", "-a", args, *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=120, check=False)
    return proc.stdout + proc.stderr


def _files_holding(root, secret):
    return [p for p in pathlib.Path(root).rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_vvv_hides_the_secret_and_the_debug_switches_do_not(tmp_path):
    secret = "docs-Secret~%s" % uuid.uuid4().hex
    verbose = _ad_hoc(tmp_path / "v", secret, "-vvv")
    assert "procall.msteams.entra_app_info" in verbose or "FAILED" in verbose, verbose[-2000:]
    assert secret not in verbose
    assert _files_holding(tmp_path / "v", secret) == []
    # What the documents warn about: ANSIBLE_DEBUG prints the module arguments...
    assert secret in _ad_hoc(tmp_path / "debug", secret, env={"ANSIBLE_DEBUG": "1"})
    # ...and ANSIBLE_KEEP_REMOTE_FILES leaves the module file with them behind.
    _ad_hoc(tmp_path / "keep", secret, env={"ANSIBLE_KEEP_REMOTE_FILES": "1"})
    kept = _files_holding(tmp_path / "keep" / "remote-tmp", secret)
    assert kept and all(p.name.startswith("AnsiballZ_") for p in kept), kept
