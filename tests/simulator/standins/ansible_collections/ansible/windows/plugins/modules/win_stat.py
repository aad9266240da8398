"""Stand-in for ansible.windows.win_stat on a simulated UCServer host (tests only)."""

from __future__ import annotations

import hashlib
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils.ucsim import Host

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["dest", "name"]},
    "get_checksum": {"type": "bool", "default": True},
    "get_size": {"type": "bool", "default": True},
    "checksum_algorithm": {"type": "str", "default": "sha1", "choices": ["md5", "sha1", "sha256", "sha384", "sha512"]},
    "follow": {"type": "bool", "default": False},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    host = Host.from_env()
    host.count_call("win_stat")
    win_path = module.params["path"]
    path = host.disk_path(win_path)
    if not os.path.exists(path):
        module.exit_json(changed=False, stat={"exists": False})
    info = os.stat(path)
    stat = {
        "exists": True,
        "path": win_path,
        "filename": os.path.basename(path),
        "isdir": os.path.isdir(path),
        "isreg": os.path.isfile(path),
        "islnk": False,
        "lastwritetime": info.st_mtime,
        "creationtime": info.st_ctime,
        "lastaccesstime": info.st_atime,
    }
    if os.path.isfile(path):
        stat["extension"] = os.path.splitext(path)[1]
        if module.params["get_size"]:
            stat["size"] = info.st_size
        if module.params["get_checksum"]:
            with open(path, "rb") as f:
                stat["checksum"] = hashlib.new(module.params["checksum_algorithm"], f.read()).hexdigest()
    module.exit_json(changed=False, stat=stat)


if __name__ == "__main__":
    main()
