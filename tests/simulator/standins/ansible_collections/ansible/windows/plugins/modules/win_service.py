"""Stand-in for ansible.windows.win_service on a simulated UCServer host (tests only).

Only starting and stopping an existing service is simulated; ``Stop-Service`` of the real
module waits without a bound, and so does this one when the host has a stop-hang fault.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils.ucsim import Host

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["absent", "paused", "started", "stopped", "restarted"]},
    "force_dependent_services": {"type": "bool", "default": False},
}


def result_of(key, svc):
    return {
        "exists": True,
        "name": key,
        "display_name": svc.get("display_name", key),
        "state": svc["state"],
        "start_mode": svc.get("start_mode", "auto"),
        "path": svc["path"],
        "can_pause_and_continue": False,
        "description": "",
        "username": svc.get("username", "LocalSystem"),
        "desktop_interact": False,
        "dependencies": [],
        "depended_by": [],
    }


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    host = Host.from_env()
    host.count_call("win_service")
    name, wanted = module.params["name"], module.params["state"]
    state = host.read_state()
    key, svc = host.service(state, name)
    if svc is None:
        if wanted == "absent":
            module.exit_json(changed=False, exists=False)
        module.fail_json(msg=f"Service '{name}' is not installed, need to set 'path' to create a new service", exists=False)
    if wanted not in (None, "started", "stopped", "restarted"):
        module.fail_json(msg=f"the simulator does not model state={wanted}")
    changed = False
    if wanted in ("stopped", "restarted") and svc["state"] != "stopped":
        changed = True
        if not module.check_mode:
            host.stop_service(key)
    error = None
    if wanted in ("started", "restarted"):
        with host.locked() as state:
            key, svc = host.service(state, name)
            if svc["state"] != "running":
                changed = True
                error = None if module.check_mode else host.start_service(state, key)
                failed = result_of(key, svc)
        if error:
            module.fail_json(msg=error, **failed)
    state = host.read_state()
    key, svc = host.service(state, name)
    module.exit_json(changed=changed, **result_of(key, svc))


if __name__ == "__main__":
    main()
