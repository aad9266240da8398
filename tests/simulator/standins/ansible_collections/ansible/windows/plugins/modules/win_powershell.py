"""Stand-in for ansible.windows.win_powershell on a simulated UCServer host (tests only).

No PowerShell runs here: the stand-in knows one script, the ucserver role's probe
(``roles/ucserver/files/ucserver_probe.ps1``), by the marker on its first line, and answers
what that script returns on a real host, from the simulated host's state: the service as
``Win32_Service`` shows it (``State`` ``Running``, ``PathName``, ``StartName``), the install dir
the script derives from the binary path, and msteams.cfg as ``Get-Item`` and
``[IO.File]::ReadAllBytes`` see it (missing, a folder, denied to the connecting user, or its
bytes in base64). Any other script fails, saying so. A new version of the script has a new
marker, and this emulation follows it.
"""

from __future__ import annotations

import base64
import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ansible.windows.plugins.module_utils.ucsim import Host

# Same names, types and defaults as the real module (checked by tests/simulator/test_standins.py).
ARGUMENT_SPEC = {
    "script": {"type": "str"},
    "parameters": {"type": "dict"},
    "depth": {"type": "int", "default": 2},
    "error_action": {"type": "str", "default": "continue", "choices": ["silently_continue", "continue", "stop"]},
}

PROBE_MARKER = "# procall.msteams ucserver probe v1"
# What the real module looks for before it runs a script in check mode.
SHOULD_PROCESS = re.compile(r"\[CmdletBinding\((?:[\w=\$]+,\s*)?SupportsShouldProcess(?:=\$true)?(?:,\s*[\w=\$]+)?\)\]")
# Win32_Service.State for the simulator's states.
WMI_STATES = {"running": "Running", "stopped": "Stopped", "start_pending": "Start Pending", "stop_pending": "Stop Pending", "paused": "Paused"}


def empty_streams():
    return {"host_out": "", "host_err": "", "output": [], "error": [], "warning": [], "verbose": [], "debug": [], "information": []}


def script_error(message):
    """A terminating error as the real module reports it (no ``msg``: the error record says it)."""
    record = {
        "output": message,
        "error_details": None,
        "exception": {"message": message, "type": "System.Management.Automation.RuntimeException", "help_link": None, "source": None, "hresult": -2146233087},
        "target_object": None,
        "category_info": {"category": "NotSpecified", "category_id": 0, "activity": "", "reason": "RuntimeException", "target_name": "", "target_type": ""},
        "fully_qualified_error_id": "RuntimeException",
        "script_stack_trace": "at <ScriptBlock>, <No file>: line 1",
        "pipeline_iteration_info": [],
    }
    result = empty_streams()
    result.update(changed=True, failed=True, result={})
    result["error"] = [record]
    return result


def install_dir_from_path_name(path_name):
    """The script's own rule (transliterated from its PowerShell, not the collection's Python)."""
    binary = path_name.strip()
    if binary.startswith('"'):
        end = binary.find('"', 1)
        exe = binary[1:end] if end > 0 else binary[1:]
    else:
        match = re.match(r"^(.+?\.exe)(\s|$)", binary, re.IGNORECASE)
        exe = match.group(1) if match else binary.split(" ")[0]
    return exe[: exe.rindex("\\")] if "\\" in exe else ""


def probe(host, params):
    """What the probe script puts into ``$Ansible.Result`` on this simulated host."""
    state = host.read_state()
    key, svc = host.service(state, params["ServiceName"])
    directory = params.get("InstallDir") or ""
    if not directory and svc and svc.get("path"):
        directory = install_dir_from_path_name(svc["path"])
    directory = directory or params["DefaultInstallDir"]
    config_path = directory.rstrip("\\") + "\\config\\msteams.cfg"
    disk = host.disk_path(config_path)
    answer = {"cfg_exists": False, "cfg_isdir": False, "content": None, "read_error": None}
    if os.path.isdir(disk):
        answer.update(cfg_exists=True, cfg_isdir=True)
    elif os.path.isfile(disk):
        answer["cfg_exists"] = True
        if host.connecting_user_can_read(state, config_path):
            with open(disk, "rb") as f:
                answer["content"] = base64.b64encode(f.read()).decode("ascii")
        else:
            answer["read_error"] = f"Access to the path '{config_path}' is denied."
    return dict(
        answer,
        probe="procall.msteams ucserver probe v1",
        service_exists=svc is not None,
        service_name=key,
        service_state=WMI_STATES.get(svc["state"], svc["state"]) if svc else None,
        service_path=svc.get("path") if svc else None,
        service_account=svc.get("username", "LocalSystem") if svc else None,
        install_dir=directory,
        install_dir_exists=os.path.isdir(host.disk_path(directory)),
        config_path=config_path,
    )


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    host = Host.from_env()
    host.count_call("win_powershell")
    script = module.params["script"] or ""
    # As the real module: in check mode, a script that does not declare SupportsShouldProcess is not run.
    if module.check_mode and not SHOULD_PROCESS.search(script):
        module.exit_json(changed=True, msg="skipped, running in check mode", result={}, **empty_streams())
    if not script.startswith(PROBE_MARKER + "\n"):
        module.fail_json(
            msg=f"the simulator's win_powershell stand-in runs only the ucserver role's probe script (first line '{PROBE_MARKER}'), not this script"
        )
    params = module.params["parameters"] or {}
    for name in ("ServiceName", "DefaultInstallDir"):
        if not params.get(name):
            # PowerShell's own words for a missing or empty mandatory parameter.
            module.exit_json(**script_error(f"Cannot bind argument to parameter '{name}' because it is an empty string."))
    module.exit_json(changed=False, result=probe(host, params), **empty_streams())


if __name__ == "__main__":
    main()
