"""ansible-doc must document the role and its filters (users read them there)."""

import json
import os
import pathlib
import subprocess
import sys

from tests.playbook_runner import ensure_collection_link

BIN = pathlib.Path(sys.executable).parent


def ansible_doc(*args):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ensure_collection_link()))
    proc = subprocess.run([str(BIN / "ansible-doc"), "--json", *args], capture_output=True, text=True, env=env, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_role_entry_points_are_documented():
    doc = ansible_doc("-t", "role", "procall.msteams.ucserver")["procall.msteams.ucserver"]
    main = doc["entry_points"]["main"]["options"]
    assert main["ucserver_client_secret"]["no_log"] is True and main["ucserver_client_secret"]["required"] is True
    assert main["ucserver_service_name"]["default"] == "eucsrv"
    assert set(doc["entry_points"]["read"]["options"]) == {"ucserver_install_dir", "ucserver_service_name"}
    assert main["ucserver_file_acl"]["choices"] == ["write", "always", "never"] and main["ucserver_file_acl"]["default"] == "write"
    assert main["ucserver_allow_unencrypted_winrm"]["default"] is False and "ucserver_service_account" in main


def test_role_action_plugins_are_documented():
    names = ("ucserver_preflight", "ucserver_plan", "ucserver_read", "ucserver_withdraw_plan")
    docs = ansible_doc("-t", "module", *(f"procall.msteams.{name}" for name in names))  # one ansible-doc for all
    for name in names:
        assert docs[f"procall.msteams.{name}"]["doc"]["module"] == name


def test_filters_are_documented():
    from ansible_collections.procall.msteams.plugins.filter.msteams_cfg import FilterModule

    names = tuple(sorted(FilterModule().filters()))  # every filter the role's plugin file offers
    assert "ucserver_withdraw_failure" in names
    docs = ansible_doc("-t", "filter", *(f"procall.msteams.{name}" for name in names))  # one ansible-doc for all
    assert len(docs) == len(names)
    for name in names:
        assert docs[f"procall.msteams.{name}"]["doc"]["name"] == name
