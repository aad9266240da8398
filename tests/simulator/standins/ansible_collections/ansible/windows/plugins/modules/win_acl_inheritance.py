"""Stand-in for ansible.windows.win_acl_inheritance on a simulated UCServer host (tests only).

As the real module: ``state=absent`` protects the rules from inheritance (``reorganize`` copies
the inherited rules as explicit ones first), ``state=present`` turns inheritance back on;
check mode and a diff of the inheritance state.
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils.ucsim import FOLDER_RULES, Host

ARGUMENT_SPEC = {
    "path": {"required": True, "type": "str"},
    "state": {"type": "str", "default": "absent", "choices": ["absent", "present"]},
    "reorganize": {"type": "bool", "default": False},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    host = Host.from_env()
    host.count_call("win_acl_inheritance")
    p = module.params
    if not os.path.exists(host.disk_path(p["path"])):
        module.fail_json(msg=f"{p['path']} does not exist")
    with host.locked() as state:
        entry = state.setdefault("acls", {}).setdefault(p["path"].lower(), {"inherit": True, "rules": []})
        before = "present" if entry["inherit"] else "absent"
        changed = before != p["state"]
        if changed and not module.check_mode:
            if p["state"] == "absent":
                if p["reorganize"]:
                    entry["rules"] += [dict(r) for r in FOLDER_RULES if r not in entry["rules"]]
                entry["inherit"] = False
            else:
                if p["reorganize"]:
                    entry["rules"] = [r for r in entry["rules"] if r not in FOLDER_RULES]
                entry["inherit"] = True
            host.log_acl(state, "acl_inheritance", path=p["path"], wanted=p["state"])
    # Ansible.Basic returns the diff in diff mode only; "after" is the wanted state in check mode too.
    diff = {"diff": {"before": {"state": before}, "after": {"state": p["state"]}}} if module._diff else {}
    module.exit_json(changed=changed, **diff)


if __name__ == "__main__":
    main()
