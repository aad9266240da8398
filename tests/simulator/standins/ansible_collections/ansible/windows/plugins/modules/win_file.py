"""Stand-in for ansible.windows.win_file on a simulated UCServer host (tests only): absent and directory."""

from __future__ import annotations

import os
import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils.ucsim import Host

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["dest", "name"]},
    "state": {"type": "str", "choices": ["absent", "directory", "file", "touch"]},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    host = Host.from_env()
    host.count_call("win_file")
    win_path, wanted = module.params["path"], module.params["state"]
    path = host.disk_path(win_path)
    if wanted == "absent":
        if not os.path.exists(path):
            module.exit_json(changed=False)
        if not module.check_mode:
            with host.locked() as state:
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
                host.forget_acl(state, win_path)
                host.log(state, "file_delete", path=win_path)
        module.exit_json(changed=True)
    if wanted == "directory":
        if os.path.isdir(path):
            module.exit_json(changed=False)
        if not module.check_mode:
            os.makedirs(path)
        module.exit_json(changed=True)
    module.fail_json(msg=f"the simulator does not model state={wanted}")


if __name__ == "__main__":
    main()
