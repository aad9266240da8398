"""Stand-in for ansible.windows.win_find on a simulated UCServer host (tests only)."""

from __future__ import annotations

import fnmatch
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils.ucsim import Host

ARGUMENT_SPEC = {
    "paths": {"type": "list", "required": True, "elements": "str"},
    "patterns": {"type": "list", "elements": "str", "aliases": ["regex", "regexp"]},
    "file_type": {"type": "str", "default": "file", "choices": ["directory", "file"]},
    "get_checksum": {"type": "bool", "default": True},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    host = Host.from_env()
    host.count_call("win_find")
    files, examined = [], 0
    for win_dir in module.params["paths"]:
        folder = host.disk_path(win_dir)
        if not os.path.isdir(folder):
            module.fail_json(msg=f"Argument path {win_dir} does not exist, cannot get file checksum")
        for name in sorted(os.listdir(folder)):
            examined += 1
            full = os.path.join(folder, name)
            is_dir = os.path.isdir(full)
            if is_dir != (module.params["file_type"] == "directory"):
                continue
            if module.params["patterns"] and not any(fnmatch.fnmatch(name.lower(), pat.lower()) for pat in module.params["patterns"]):
                continue
            info = os.stat(full)
            files.append(
                {
                    "path": win_dir.rstrip("\\") + "\\" + name,
                    "filename": name,
                    "isdir": is_dir,
                    "size": info.st_size,
                    "lastwritetime": info.st_mtime,
                    "creationtime": info.st_ctime,
                }
            )
    module.exit_json(changed=False, examined=examined, matched=len(files), files=files)


if __name__ == "__main__":
    main()
