"""Stand-in for ansible.windows.win_copy on a simulated UCServer host (tests only).

The real module has an action plugin that turns ``content`` into a file sent to the host; this
stand-in receives ``content`` itself (no action plugin in the stand-in tree) and writes it as
UTF-8 without BOM, as the real one does. ``remote_src`` copies a file on the host.
"""

from __future__ import annotations

import hashlib
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils.ucsim import Host, SimError

ARGUMENT_SPEC = {
    "content": {"type": "str"},
    "dest": {"type": "path", "required": True},
    "src": {"type": "path"},
    "remote_src": {"type": "bool", "default": False},
    "backup": {"type": "bool", "default": False},
    "force": {"type": "bool", "default": True},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, mutually_exclusive=[["content", "src"]])
    host = Host.from_env()
    host.count_call("win_copy")
    p = module.params
    if p["content"] is not None:
        data = p["content"].encode("utf-8")
        src = None
    elif p["src"] and p["remote_src"]:
        src_path = host.disk_path(p["src"])
        if not os.path.isfile(src_path):
            module.fail_json(msg=f"Cannot copy src file: '{p['src']}' as it does not exist")
        with open(src_path, "rb") as f:
            data = f.read()
        src = p["src"]
    else:
        module.fail_json(msg="the simulator supports content= or src= with remote_src=true only")
    dest = host.disk_path(p["dest"])
    if not os.path.isdir(os.path.dirname(dest)):
        module.fail_json(msg=f"Cannot copy src file: '{src or 'content'}' to dest: '{p['dest']}' as the parent folder does not exist")
    checksum = hashlib.sha1(data).hexdigest()  # noqa: S324 - the real module's checksum is sha1
    result = {"dest": p["dest"], "src": src, "checksum": checksum, "size": len(data), "operation": "file_copy", "original_basename": os.path.basename(dest)}
    if os.path.isfile(dest):
        with open(dest, "rb") as f:
            current = f.read()
        if current == data or not p["force"]:
            module.exit_json(changed=False, **result)
    if module.check_mode:
        module.exit_json(changed=True, **result)
    try:
        with host.locked() as state:
            if p["backup"] and os.path.isfile(dest):
                # Ansible.ModuleUtils.Backup names: <path>.<pid>.<yyyyMMdd-HHmmss>.bak
                backup = f"{p['dest']}.{os.getpid()}.{time.strftime('%Y%m%d-%H%M%S')}.bak"
                host.write_file(state, backup, current)
                result["backup_file"] = backup
            host.write_file(state, p["dest"], data)
    except SimError as exc:
        module.fail_json(msg=f"Failed to copy file: {exc}", **result)
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
