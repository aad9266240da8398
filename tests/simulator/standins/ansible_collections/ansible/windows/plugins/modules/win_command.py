"""Stand-in for ansible.windows.win_command on a simulated UCServer host (tests only).

Only ``taskkill`` is simulated (the role closes the admin GUI with it); any other command
fails as an unknown executable would.
"""

from __future__ import annotations

import datetime
import shlex

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils.ucsim import Host

ARGUMENT_SPEC = {
    "_raw_params": {"type": "str"},
    "cmd": {"type": "str"},
    "argv": {"type": "list", "elements": "str"},
    "chdir": {"type": "path"},
    "stdin": {"type": "str"},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
        mutually_exclusive=[["_raw_params", "cmd", "argv"]],
        required_one_of=[["_raw_params", "cmd", "argv"]],
    )
    host = Host.from_env()
    host.count_call("win_command")
    p = module.params
    argv = p["argv"] or shlex.split(p["cmd"] or p["_raw_params"], posix=False)
    start = datetime.datetime.now()
    exe = argv[0].lower().rsplit("\\", 1)[-1]
    if exe in ("taskkill", "taskkill.exe"):
        upper = [a.upper() for a in argv]
        image = argv[upper.index("/IM") + 1] if "/IM" in upper else ""
        with host.locked() as state:
            rc, stdout, stderr = host.kill_process(state, image, force="/F" in upper)
    else:
        rc, stdout, stderr = 2, "", f"The system cannot find the file specified: {argv[0]} (not simulated)\r\n"
    end = datetime.datetime.now()
    result = {
        "cmd": " ".join(argv),
        "rc": rc,
        "stdout": stdout,
        "stderr": stderr,
        "stdout_lines": stdout.splitlines(),
        "stderr_lines": stderr.splitlines(),
        "start": str(start),
        "end": str(end),
        "delta": str(end - start),
        "changed": True,
    }
    if rc != 0:
        module.fail_json(msg="non-zero return code", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
