# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``ucserver`` role's read of one host, as pure functions.

For internal collection use only; the interface may change without notice. The action plugins
``procall.msteams.ucserver_read``, ``ucserver_plan`` and ``run_host_plan`` run the
``ansible.windows`` modules (``plugin_utils/_ucserver_probe.py``); these functions decide each
step and read the answers. Nothing here does I/O.

- ``next_read``, ``probe_from_results``: the read of a host (service, install dir, msteams.cfg)
  with ``ansible.windows`` modules, two round trips on a converged host, as one plain dict;
- ``locate`` / ``location_of``: install dir, config path, service state and account;
- ``read_problem``: why an existing msteams.cfg could not be read;
- ``host_problem``: a host the role cannot converge (not installed, no service);
- ``reusable_probe``: whether the main entry point may use a read done earlier in the play;
- ``current``, ``current_secret``: what ``tasks_from: read`` reports.
"""

from __future__ import annotations

from ansible_collections.procall.msteams.plugins.module_utils import _msteams_cfg as cfg
from ansible_collections.procall.msteams.plugins.module_utils._ucserver_input import check_install_dir

# The documented default install dir (https://help.estos.com, UCServer installation).
VENDOR_INSTALL_DIR = "C:\\Program Files\\estos\\UCServer"


def _service_entry(service_info):
    """The first ``services`` entry of a ``win_service_info`` result, or None."""
    if not isinstance(service_info, dict) or not service_info.get("exists"):
        return None
    services = service_info.get("services") or []
    return services[0] if services else None


def locate(service_info, install_dir=""):
    """Where UCServer is on this host: from the option, else the service's binary path, else the vendor default."""
    entry = _service_entry(service_info)
    chosen = check_install_dir(install_dir)
    derived = cfg.install_dir_from_binary_path(entry.get("path")) if entry and not chosen else ""
    folder = chosen or derived or VENDOR_INSTALL_DIR
    return {
        "install_dir": folder,
        "config_dir": folder + "\\config",
        "config_path": folder + "\\config\\msteams.cfg",
        "service_exists": entry is not None,
        "service_state": entry.get("state") if entry else None,
        "service_account": entry.get("username") if entry else None,
    }


# -- the host read: ansible.windows modules, two round trips on a converged host ----------------
# The action plugins run these modules themselves (plugin_utils/_ucserver_probe.py), each step
# decided by ``next_read`` from the answers so far; ``probe_from_results`` turns the answers into
# one flat dict. Only ansible.windows modules (no custom PowerShell): every module the read uses
# is run by the tests' simulated hosts. All are read-only and support check mode, so the read
# runs in check mode too.
# The version of the probe dict: a read registered by another version is read again.
PROBE_VERSION = "procall.msteams ucserver probe v2"
# What the probe dict holds, all scalars.
_PROBE_KEYS = (
    "service_exists", "service_name", "service_state", "service_path", "service_account", "install_dir",
    "install_dir_exists", "config_path", "cfg_exists", "cfg_isdir", "content", "read_error",
)  # fmt: skip
# The read's steps: the key of its answer, the module, and what the step reads (for the sentence).
READ_STEPS = {
    "service": ("ansible.windows.win_service_info", "the UCServer service"),
    "dir_stat": ("ansible.windows.win_stat", "the install dir"),
    "slurp": ("ansible.windows.slurp", "msteams.cfg"),
    "cfg_stat": ("ansible.windows.win_stat", "msteams.cfg's attributes"),
}


class ProbeError(Exception):
    """The host could not be read; ``str()`` is one sentence, never a file's content."""


def _message(module_result):
    # A module's own failure message; slurp's answer is never passed here (it may hold content).
    return str(module_result.get("msg") or "no message").strip().rstrip(".")


def _checked(key, module_result):
    """The answer of step ``key`` when it is usable; else ``ProbeError`` naming the module.

    A failed ``slurp`` is usable (the file is missing, a folder or unreadable: ``cfg_stat`` tells).
    """
    module, what = READ_STEPS[key]
    where = f"reading {what} ({module})"
    if not isinstance(module_result, dict):
        raise ProbeError(f"The host gave no answer {where}.")
    if module_result.get("skipped"):
        raise ProbeError(f"The host skipped {where} ({module_result.get('msg') or 'no reason given'}); it must run also in check mode.")
    if module_result.get("failed"):
        if key == "slurp":
            return module_result
        raise ProbeError(f"The host failed {where}: {_message(module_result)}.")
    if key == "service" and (not isinstance(module_result.get("exists"), bool) or not isinstance(module_result.get("services"), list)):
        raise ProbeError(f"The host did not answer {where} with 'exists' and 'services'.")
    if key in ("dir_stat", "cfg_stat") and not isinstance(module_result.get("stat"), dict):
        raise ProbeError(f"The host did not answer {where} with 'stat'.")
    if key == "slurp" and not isinstance(module_result.get("content"), str):
        raise ProbeError(f"The host did not answer {where} with 'content'.")
    return module_result


def _answers(results):
    return {key: _checked(key, value) for key, value in (results or {}).items() if key in READ_STEPS}


def _stat(module_result):
    return (module_result or {}).get("stat") or {}


def next_read(service_name, install_dir, results):
    """The next module call of the read as ``(key, module, module_args)``, or None when the read is complete.

    ``results``: the answers so far by key (``service``, ``dir_stat``, ``slurp``, ``cfg_stat``).
    The service first (its binary path gives the install dir); the install dir only when the
    service is missing; msteams.cfg when the service or the folder exists; its attributes only
    when slurp failed (to tell missing, a folder and unreadable apart). Raises ``ProbeError``.
    """
    done = _answers(results)
    if "service" not in done:
        return "service", READ_STEPS["service"][0], {"name": service_name}
    found = locate(done["service"], install_dir)
    if not found["service_exists"] and "dir_stat" not in done:
        return "dir_stat", READ_STEPS["dir_stat"][0], {"path": found["install_dir"], "get_checksum": False}
    dir_ok = found["service_exists"] or bool(_stat(done.get("dir_stat")).get("isdir"))
    if not dir_ok:
        return None
    if "slurp" not in done:
        return "slurp", READ_STEPS["slurp"][0], {"src": found["config_path"]}
    if done["slurp"].get("failed") and "cfg_stat" not in done:
        return "cfg_stat", READ_STEPS["cfg_stat"][0], {"path": found["config_path"], "get_checksum": False}
    return None


def probe_from_results(results, service_name, install_dir=""):
    """The answers of a complete read (``next_read`` gives None) -> the flat probe dict (content = msteams.cfg in base64, or None).

    ``install_dir_exists`` is read only when the service is missing; with a service it is True
    when msteams.cfg exists, else None (not read: the service says UCServer is installed).
    Raises ``ProbeError``; the sentence never holds a file's content.
    """
    if next_read(service_name, install_dir, results) is not None:
        raise ProbeError("The read of the host is incomplete: a step's answer is missing.")
    done = _answers(results)
    found = locate(done["service"], install_dir)
    entry = _service_entry(done["service"]) or {}
    slurp = done.get("slurp")
    cfg_stat = _stat(done.get("cfg_stat"))
    read_ok = bool(slurp) and not slurp.get("failed")
    cfg_exists = read_ok or bool(cfg_stat.get("exists"))
    dir_read = bool(_stat(done.get("dir_stat")).get("isdir"))
    install_dir_exists = (True if cfg_exists else None) if found["service_exists"] else dir_read
    probe = {
        "service_exists": found["service_exists"],
        "service_name": entry.get("name"),
        "service_state": found["service_state"],
        "service_path": entry.get("path"),
        "service_account": found["service_account"],
        "install_dir": found["install_dir"],
        "install_dir_exists": install_dir_exists,
        "config_path": found["config_path"],
        "cfg_exists": cfg_exists,
        "cfg_isdir": bool(cfg_stat.get("exists") and cfg_stat.get("isdir")),
        "content": slurp["content"] if read_ok else None,
        # Only an existing file that could not be read has a read error: slurp's own message.
        "read_error": _message(slurp) if slurp and not read_ok and cfg_stat.get("exists") and not cfg_stat.get("isdir") else None,
    }
    probe.update(option_service_name=service_name, option_install_dir=install_dir or "")
    return probe


def location_of(probe, install_dir=""):
    """``locate`` for a probe dict, plus ``install_dir_exists``."""
    entry = {"path": probe["service_path"], "state": probe["service_state"], "username": probe["service_account"]}
    service = {"exists": probe["service_exists"], "services": [entry]}
    found = locate(service, install_dir)
    found["install_dir_exists"] = probe["install_dir_exists"]
    return found


def read_problem(probe, path):
    """'' when msteams.cfg was read or is absent; else the sentence for an existing file that could not be read."""
    if probe.get("content") is not None or not probe.get("cfg_exists"):
        return ""
    if probe.get("cfg_isdir"):
        return f"{path} is a folder, not a file: UCServer expects msteams.cfg to be a JSON file there. Move the folder away and run again."
    why = str(probe.get("read_error") or "unknown error").strip().rstrip(".")
    return f"Could not read {path}: {why}. Give the connecting user (an administrator) read access to UCServer's config folder."


def host_problem(location, install_dir_exists, service_name):
    """'' when the role can converge this host; else the sentence why not."""
    if not location["service_exists"] and not install_dir_exists:
        return (
            f"UCServer is not installed on this host: there is no service '{service_name}' and no folder {location['install_dir']}. "
            "Install UCServer first, or set ucserver_service_name / ucserver_install_dir."
        )
    if not location["service_exists"]:
        return (
            f"{location['install_dir']} exists but there is no service '{service_name}' to restart: "
            "set ucserver_service_name to the name (not the display name) of UCServer's service."
        )
    return ""


def reusable_probe(read, service_name, install_dir, play, previous_plan=None):
    """The probe of an earlier ``tasks_from: read`` when the main entry point may use it, else None.

    ``read``: that task's registered result; ``play``: this play's id. Reused only from the same
    play, for the same service name and install dir option, and when no run of the main entry
    point made after that read may have written (``previous_plan``: the last one's result).
    """
    probe = (read or {}).get("probe") if isinstance(read, dict) and not read.get("failed") and not read.get("skipped") else None
    if not isinstance(probe, dict) or probe.get("version") != PROBE_VERSION or not play or probe.get("play") != play:
        return None
    if probe.get("option_service_name") != service_name or (probe.get("option_install_dir") or "") != (install_dir or ""):
        return None
    if isinstance(previous_plan, dict) and previous_plan.get("may_write") and int(previous_plan.get("stamp") or 0) >= int(probe.get("stamp") or 0):
        return None
    return probe


def current(location, probe):
    """``ucserver_current`` of ``tasks_from: read``; no secret in it."""
    installed = location["service_exists"] or bool(location.get("install_dir_exists"))
    summary = cfg.summarize_cfg(probe.get("content"), encoding="base64")
    summary.update(
        installed=installed,
        install_dir=location["install_dir"] if installed else None,
        config_path=location["config_path"],
        service_state=location["service_state"],
        service_account=location["service_account"],
    )
    return summary


def current_secret(probe):
    """The deployed client secret, or None (for ``ucserver_current_secret``, no_log)."""
    parsed = cfg.parse_cfg(probe.get("content"), encoding="base64")
    return (parsed["values"] or {}).get("u8sClientSecret") or None
