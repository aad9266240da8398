"""Stand-in for ansible.windows.win_acl on a simulated UCServer host (tests only): file rules.

The real module is a legacy PowerShell module without check mode support (Ansible skips it in
check mode); so is this one. Rules are kept in the host state (``acls``, see ucsim.py).
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils.ucsim import Host, account_key

ARGUMENT_SPEC = {
    "path": {"type": "str", "required": True},
    "user": {"type": "str", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "type": {"type": "str", "required": True, "choices": ["allow", "deny"]},
    "rights": {"type": "str", "required": True},
    "inherit": {"type": "str", "choices": ["ContainerInherit", "ObjectInherit"]},
    "propagation": {"type": "str", "default": "None", "choices": ["InheritOnly", "None", "NoPropagateInherit"]},
    "follow": {"type": "bool", "default": False},
}
KNOWN_ACCOUNTS = ("s-1-5-18", "s-1-5-19", "s-1-5-20", "s-1-5-32-544", "s-1-5-32-545")


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=False)
    host = Host.from_env()
    host.count_call("win_acl")
    p = module.params
    if not os.path.exists(host.disk_path(p["path"])):
        module.fail_json(msg=f"{p['path']} file or directory does not exist on the host", changed=False)
    known = set(KNOWN_ACCOUNTS) | {account_key(a) for a in host.read_state().get("accounts", [])}
    if account_key(p["user"]) not in known:
        module.fail_json(msg=f"{p['user']} is not a valid user or group on the host machine or domain", changed=False)
    rule = {"user": p["user"], "rights": p["rights"], "type": p["type"]}
    changed = False
    with host.locked() as state:
        entry = state.setdefault("acls", {}).setdefault(p["path"].lower(), {"inherit": True, "rules": []})
        same = [
            r for r in entry["rules"] if account_key(r["user"]) == account_key(rule["user"]) and r["rights"] == rule["rights"] and r["type"] == rule["type"]
        ]
        if p["state"] == "present" and not same:
            entry["rules"].append(rule)
            changed = True
        elif p["state"] == "absent" and same:
            entry["rules"] = [r for r in entry["rules"] if r not in same]
            changed = True
        if changed:
            host.log_acl(state, "acl_rule", path=p["path"], user=p["user"], rights=p["rights"], wanted=p["state"])
    module.exit_json(changed=changed)


if __name__ == "__main__":
    main()
