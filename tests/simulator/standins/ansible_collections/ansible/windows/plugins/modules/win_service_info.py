"""Stand-in for ansible.windows.win_service_info on a simulated UCServer host (tests only)."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils.ucsim import Host

# Same names, types and defaults as the real module (checked by tests/simulator/test_standins.py).
ARGUMENT_SPEC = {"name": {"type": "str"}}


def service_entry(key, svc):
    """The fields of the real module's ``services`` list that a simulated service has."""
    return {
        "name": key,
        "display_name": svc.get("display_name", key),
        "path": svc["path"],
        "state": svc["state"],
        "start_mode": svc.get("start_mode", "auto"),
        "username": svc.get("username", "LocalSystem"),
        "description": "",
        "service_type": "win32_own_process",
        "dependencies": [],
        "dependency_of": [],
        "desktop_interact": False,
        "process_id": 4711 if svc["state"] == "running" else 0,
        "service_exit_code": 0,
    }


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    host = Host.from_env()
    host.count_call("win_service_info")
    state = host.read_state()
    name = module.params["name"]
    services = [service_entry(k, s) for k, s in state["services"].items() if name is None or k.lower() == name.lower()]
    module.exit_json(changed=False, exists=bool(services), services=services)


if __name__ == "__main__":
    main()
