"""The documentation's example inventory follows its own conventions, and README links resolve."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_example_inventory_groups_hosts_by_tenant(tmp_path):
    inventory = REPO / "docs" / "examples" / "inventory"
    proc = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-inventory"), "-i", str(inventory / "hosts.yml"), "--list"],
        capture_output=True,
        text=True,
        check=True,
        # The vaulted variable is referenced, not decrypted: no vault password needed to list.
        env={"PATH": str(pathlib.Path(sys.executable).parent), "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true", "HOME": str(tmp_path)},
    )
    data = json.loads(proc.stdout)
    hostvars = data["_meta"]["hostvars"]
    ucservers = set()
    for child in data["ucservers"]["children"]:
        ucservers.update(data[child]["hosts"])
    assert ucservers == set(hostvars)
    for host, hv in hostvars.items():
        assert re.fullmatch(r"[0-9a-f-]{36}", hv["msteams_tenant_id"]), host
        assert hv["ansible_connection"] == "winrm" and hv["ansible_port"] == 5986
    tenants = {hv["msteams_tenant_id"] for hv in hostvars.values()}
    assert len(tenants) == 2
    assert hostvars["ucs02.contoso.example"]["msteams_app_unique_name"] == "procall-msteams-ucs02"


def test_readme_and_docs_links_resolve():
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", doc.read_text()):
            if "://" in target:
                continue
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
