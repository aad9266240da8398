"""Stand-in for ansible.windows.slurp (slurp.ps1) on a simulated UCServer host (tests only)."""

from __future__ import annotations

import base64
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils.ucsim import Host

ARGUMENT_SPEC = {"src": {"type": "path", "required": True, "aliases": ["path"]}}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    host = Host.from_env()
    host.count_call("slurp")
    src = module.params["src"]
    path = host.disk_path(src)
    if os.path.isdir(path):
        module.fail_json(msg=f"Path {src} is a directory")
    if not os.path.isfile(path):
        module.fail_json(msg=f"Path {src} is not found")
    if not host.connecting_user_can_read(host.read_state(), src):
        module.fail_json(msg=f"Access to the path '{src}' is denied.")
    with open(path, "rb") as f:
        data = f.read()
    module.exit_json(changed=False, content=base64.b64encode(data).decode("ascii"), encoding="base64", source=src)


if __name__ == "__main__":
    main()
