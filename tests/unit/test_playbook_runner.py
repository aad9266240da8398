"""The playbook runner every integration test uses: it must report what ansible-playbook did."""

from tests.playbook_runner import run_playbook

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Say something
      ansible.builtin.debug:
        msg: hello
    - name: Change something
      ansible.builtin.command: "true"
"""


def _inventory(tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    return inventory


def test_runner_reports_tasks_and_stats(tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY)
    result = run_playbook(playbook, workdir=tmp_path, inventory=_inventory(tmp_path))
    assert result.rc == 0, result
    assert result.task_results("Say something")["localhost"]["msg"] == "hello"
    assert result.changed("localhost") == 1
    assert result.failed("localhost") == 0


def test_runner_check_mode_reaches_ansible(tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY)
    result = run_playbook(playbook, workdir=tmp_path, inventory=_inventory(tmp_path), check=True)
    assert result.rc == 0, result
    assert result.task_results("Change something")["localhost"].get("skipped") is True
