"""The same role checks against real Windows UCServer hosts over WinRM, when an inventory is given.

Set ``UCSERVER_INVENTORY`` to an inventory (see tests/integration/README.md) whose hosts are
in the group ``ucservers`` and carry ``ucserver_tenant_id``, ``ucserver_client_id`` and
``ucserver_client_secret`` (from a vault: also set ``ANSIBLE_VAULT_PASSWORD_FILE``).
Skipped otherwise. Uses the real ``ansible.windows`` and pywinrm; changes msteams.cfg on the
hosts exactly as a production run would (one restart if the file differs, none on the rerun).
"""

from __future__ import annotations

import os

import pytest

from tests.playbook_runner import run_playbook

INVENTORY = os.environ.get("UCSERVER_INVENTORY")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not INVENTORY, reason="UCSERVER_INVENTORY is not set (no real Windows hosts)")]

PLAYBOOK = """
- name: Role against real hosts
  hosts: ucservers
  gather_facts: false
  tasks:
    - name: Run the role
      ansible.builtin.include_role:
        name: procall.msteams.ucserver
    - name: Read back
      ansible.builtin.include_role:
        name: procall.msteams.ucserver
        tasks_from: read
    - name: Show
      ansible.builtin.debug:
        msg: "{{ {'result': ucserver_result, 'current': ucserver_current} }}"
"""


def test_role_on_real_windows_hosts(tmp_path):
    play = tmp_path / "play.yml"
    play.write_text(PLAYBOOK)
    check = run_playbook(play, workdir=tmp_path / "check", inventory=INVENTORY, check=True, diff=True)
    assert check.rc == 0, check
    first = run_playbook(play, workdir=tmp_path / "apply", inventory=INVENTORY)
    assert first.rc == 0, first
    rerun = run_playbook(play, workdir=tmp_path / "rerun", inventory=INVENTORY)
    assert rerun.rc == 0, rerun
    shown = rerun.task_results("Show")
    assert shown, "no host in group ucservers"
    for host, res in shown.items():
        assert rerun.changed(host) == 0, f"{host}: the rerun changed something"
        assert res["msg"]["result"]["restarted"] is False
        current = res["msg"]["current"]
        assert current["config_valid"] and current["service_state"] == "running", host
    # Optional: the secret value the inventory deploys, to scan the output for it.
    secret = os.environ.get("UCSERVER_SECRET")
    for result in (check, first, rerun):
        assert not secret or secret not in result.output
