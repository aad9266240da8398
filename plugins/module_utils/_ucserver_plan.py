# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``ucserver`` role's decisions about one host, as pure functions.

For internal collection use only: the action plugins ``procall.msteams.ucserver_read``,
``ucserver_plan`` and the filters in ``plugins/filter/msteams_cfg.py`` call these with what the
``ansible.windows`` modules returned that the actions and the role's tasks ran. Nothing here
does I/O.

- ``next_read``, ``probe_from_results``: the read of a host (service, install dir, msteams.cfg)
  with ``ansible.windows`` modules, two round trips on a converged host, as one plain dict;
- ``locate`` / ``location_of``: install dir, config path, service state and account;
- ``read_problem``: why an existing msteams.cfg could not be read;
- ``host_problem``: a host the role cannot converge (not installed, no service);
- ``reusable_probe``: whether the main entry point may use a read done earlier in the play;
- ``plan``: what the run does (write the file, start a stopped service, the access rules);
- ``current``, ``current_secret``: what ``tasks_from: read`` reports;
- ``outcome``: the ``ucserver_result`` fact, and on failure the one sentence that says what
  failed and what is in place now.
"""

from __future__ import annotations

from ansible_collections.procall.msteams.plugins.module_utils import _msteams_cfg as cfg
from ansible_collections.procall.msteams.plugins.module_utils._ucserver_input import check_install_dir, is_unset

# The documented default install dir (https://help.estos.com, UCServer installation).
VENDOR_INSTALL_DIR = "C:\\Program Files\\estos\\UCServer"
# Well-known SIDs (https://learn.microsoft.com/en-us/windows/win32/secauthz/well-known-sids):
# given to win_acl as SIDs, so a German or French Windows ("Administratoren") resolves them too.
SID_SYSTEM = "S-1-5-18"
SID_LOCAL_SERVICE = "S-1-5-19"
SID_NETWORK_SERVICE = "S-1-5-20"
SID_ADMINISTRATORS = "S-1-5-32-544"
_WELL_KNOWN_ACCOUNTS = {
    "localsystem": SID_SYSTEM,
    ".\\localsystem": SID_SYSTEM,
    "system": SID_SYSTEM,
    "nt authority\\system": SID_SYSTEM,
    "nt authority\\localservice": SID_LOCAL_SERVICE,
    "nt authority\\local service": SID_LOCAL_SERVICE,
    "nt authority\\networkservice": SID_NETWORK_SERVICE,
    "nt authority\\network service": SID_NETWORK_SERVICE,
}


def _service_entry(service_info):
    """The first ``services`` entry of a ``win_service_info`` result, or None."""
    if not isinstance(service_info, dict) or not service_info.get("exists"):
        return None
    services = service_info.get("services") or []
    return services[0] if services else None


def service_account_sid(account):
    """The account as win_acl takes it: a well-known SID for the built-in service accounts."""
    if is_unset(account):
        # win_service_info: "Can be null for ... certain driver services"; Windows runs such a
        # service as LocalSystem.
        return SID_SYSTEM
    return _WELL_KNOWN_ACCOUNTS.get(account.strip().lower(), account.strip())


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


def acl_rules(service_account):
    """The access rules of msteams.cfg and its backups: SYSTEM, Administrators, the service account.

    The service account gets Modify, not Read: UCServer writes its own copy back on shutdown.
    """
    rules = [{"user": SID_SYSTEM, "rights": "FullControl"}, {"user": SID_ADMINISTRATORS, "rights": "FullControl"}]
    account = service_account_sid(service_account)
    if account not in (SID_SYSTEM, SID_ADMINISTRATORS):
        rules.append({"user": account, "rights": "Modify"})
    return rules


def _acl_text(paths, rules):
    lines = []
    for path in paths:
        lines.append(f"{path}: inheritance off, only:")
        lines.extend(f"  allow {rule['user']} {rule['rights']}" for rule in rules)
    return "\n".join(lines) + "\n"


def plan(settings, client_secret, location, current=None, backup_stamp="", check_mode=False):
    """What this run does on the host.

    ``settings``: the normalised role input (``ucserver_preflight``); ``current``: the base64
    content from ``slurp`` (None: no file). A converged file with a stopped service is started
    (not restarted); the access rules are ensured with every write (``file_acl: write``), on
    every run (``always``) or never.
    """
    merged = cfg.merge_cfg(current, client_secret=client_secret, encoding="base64", **settings["cfg"])
    name = settings["service_name"]
    running = location["service_state"] == "running"
    write = merged["changed"]
    start = write or not running
    acl_mode = settings.get("file_acl", "write")
    account = settings.get("service_account") or location["service_account"]
    backup_path = f"{location['config_path']}.{backup_stamp}.bak" if write and current is not None else None
    acl_paths = []
    if acl_mode == "always" or (acl_mode == "write" and write):
        acl_paths = [location["config_path"]] + ([backup_path] if backup_path else [])
    diff = []
    if write:
        diff.append(
            {
                "before": merged["diff"]["before"],
                "after": merged["diff"]["after"],
                "before_header": location["config_path"],
                "after_header": location["config_path"],
            }
        )
    if start and not running:
        state = location["service_state"] or "unknown"
        diff.append({"before": f"{name}: {state}\n", "after": f"{name}: running\n", "before_header": f"service {name}", "after_header": f"service {name}"})
    if acl_paths and write:
        diff.append({"before": "", "after": _acl_text(acl_paths, acl_rules(account)), "before_header": "access rules", "after_header": "access rules"})
    if write:
        keys = ", ".join(merged["changed_keys"]) or "the whole file"
        verb = "would change" if check_mode else "changes"
        msg = f"msteams.cfg {verb} ({keys}, {merged['reason']}): {name} is stopped, the file backed up and written, {name} started."
    elif start:
        msg = f"msteams.cfg is up to date but {name} is {location['service_state'] or 'not running'}: {'it would be started' if check_mode else 'starting it'}."
    else:
        msg = f"msteams.cfg is up to date and {name} is running: nothing to do."
    return {
        # Whether the access rules change is known only once win_acl ran (ucserver_result.acl_changed).
        "changed": start,
        "msg": msg,
        "diff": diff,
        "warnings": merged["warnings"],
        "write": write,
        "start": start,
        # After a write the service is restarted, not started: it was stopped just before, so this
        # only differs when an overlapping run started it in between (docs/scheduling.md
        # "Overlapping runs"). The restart makes the service load the file as it is now instead of
        # keeping what it read before this run's write.
        "start_state": "restarted" if write else "started",
        # Whether apply.yml runs at all: a write, a start, or the access rules to ensure.
        "act": start or bool(acl_paths),
        "restart": write and running,
        "changed_keys": merged["changed_keys"],
        "reason": merged["reason"],
        "mode": merged["mode"],
        "integration_enabled": merged["integration_enabled"],
        "user_consent_pending": merged["user_consent_pending"],
        "backup": backup_path is not None,
        "backup_path": backup_path,
        "acl_paths": acl_paths,
        "acl_rules": acl_rules(account) if acl_paths else [],
        "acl_entries": [dict(rule, path=path) for path in acl_paths for rule in acl_rules(account)],
        "service_account": account,
        "install_dir": location["install_dir"],
        "config_path": location["config_path"],
        "service_name": name,
        "service_timeout": settings["service_timeout"],
    }


def content(current, settings, client_secret):
    """The file to write, decided again from what the stopped service left (it may write on stop)."""
    return cfg.merge_cfg(current, client_secret=client_secret, encoding="base64", **settings["cfg"])["content"]


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


def _ran(result):
    # A step whose host stopped answering counts as run: whether it took effect is unknown.
    return isinstance(result, dict) and bool(result) and not result.get("skipped")


def _ok(result):
    return _ran(result) and not result.get("failed") and not result.get("unreachable")


# The role's host steps in their order (the keys of the role's step dicts), in words for the
# sentence when the host stops answering in one of them.
STEP_WORDS = {
    "gui": "closing the admin GUI",
    "stop": "stopping the service",
    "slurp": "reading msteams.cfg after the stop",
    "backup": "backing up msteams.cfg",
    "write": "writing msteams.cfg",
    "restore_from": "restoring msteams.cfg from before the own app",
    "remove": "removing msteams.cfg",
    "acl": "setting the access rules of msteams.cfg",
    "acl_inheritance": "turning off the inherited permissions of msteams.cfg",
    "start": "starting the service",
    "verify": "checking that the service keeps running",
}
# Steps whose result may hold msteams.cfg: their connection error is not repeated either.
_SECRET_STEPS = ("slurp", "write")


def unreachable_step(steps):
    """The sentence for the first step of ``steps`` whose host stopped answering, or ''.

    The role runs its host steps with ``ignore_unreachable``: a host that stops answering must
    not leave the play, because ansible-playbook ends the whole playbook (no summary, no later
    batch) once every host of a ``serial`` batch is gone. So the role notices it itself: every
    later step is skipped and the role fails with this sentence, which its rescue words.
    """
    for key, result in (steps or {}).items():
        if isinstance(result, dict) and result.get("unreachable"):
            words = STEP_WORDS.get(key, key)
            detail = "details hidden by no_log" if key in _SECRET_STEPS else str(result.get("msg") or "no message")
            return f"the host stopped answering while {words} ({detail})"
    return ""


def outcome(the_plan, steps, check_mode=False, failure=None):
    """The ``ucserver_result`` fact; with ``failure`` also ``msg``, the one failure sentence.

    ``steps``: the registered results by name (``gui``, ``stop``, ``backup``, ``write``, ``acl``,
    ``start``, ``verify``, ``restore``, ``unwrite``, ``acl_undo``, ``restart``); a step that never ran is
    missing or empty. ``failure``: ``step`` (the failed task's name), ``result``, ``no_log``.
    """
    # A plan that does not act (or one in check mode) ran no step: what the steps registered is
    # from an earlier run of the role in the play (registered variables outlive the include).
    ran = bool(the_plan.get("act", True)) and not check_mode
    steps = {k: v for k, v in (steps or {}).items() if isinstance(v, dict)} if ran else {}
    started = _ok(steps.get("start")) and bool(steps["start"].get("changed"))
    acl_changed = any(_ok(r) and r.get("changed") for r in ((steps.get("acl") or {}).get("results") or []))
    result = {
        "changed": bool(the_plan["changed"]) or acl_changed,
        "changed_keys": the_plan["changed_keys"],
        "reason": the_plan["reason"],
        "mode": the_plan["mode"],
        "restarted": started and the_plan["restart"],
        "started": started,
        "gui_closed": _ok(steps.get("gui")) and bool(steps["gui"].get("changed")),
        "integration_enabled": the_plan["integration_enabled"],
        "user_consent_pending": the_plan["user_consent_pending"],
        "backup_path": the_plan["backup_path"] if _ok(steps.get("backup")) and steps["backup"].get("changed") else None,
        "install_dir": the_plan["install_dir"],
        "config_path": the_plan["config_path"],
        "acl_changed": acl_changed,
        "check_mode": bool(check_mode),
        "failed": False,
    }
    if not failure:
        return result
    failed_step = failure.get("step") or "a step"
    restart = steps.get("restart") or {}
    written = _ran(steps.get("write"))
    rolled_back = not written or _ok(steps.get("restore")) or _ok(steps.get("unwrite"))
    result.update(
        changed=True,
        failed=True,
        failed_step=failed_step,
        changed_keys=[],
        restarted=False,
        rolled_back=rolled_back,
        service_state=restart.get("state") or "unknown",
        # str(): before ansible-core 2.19 a templated boolean may arrive as "True".
        msg=failure_sentence(the_plan, steps, failed_step, failure.get("result"), str(failure.get("no_log")).lower() == "true"),
    )
    return result


def _reason(failed_result, no_log=False):
    """The failed task's own message; never the result of a no_log task (it may hold the secret).

    ansible-core 2.19 no longer censors ``ansible_failed_result`` of a no_log task, so the
    task's ``no_log`` decides, not the shape of the result.
    """
    if not isinstance(failed_result, dict):
        return "no message"
    if no_log or failed_result.get("censored") or failed_result.get("_ansible_no_log"):
        return "details hidden by no_log"
    for item in failed_result.get("results") or []:
        # A loop: the first failed item says more than "One or more items failed".
        if isinstance(item, dict) and item.get("failed"):
            return _reason(item)
    return str(failed_result.get("msg") or "no message")


def failure_sentence(the_plan, steps, failed_step, failed_result, failed_no_log=False):
    """What failed, what was undone, and whether the service runs now (one paragraph, no secret)."""
    service_name, service_timeout = the_plan["service_name"], the_plan["service_timeout"]
    stop = steps.get("stop") or {}
    lost = unreachable_step(steps)
    if lost:
        if not the_plan["write"] or not _ran(steps.get("write")):
            done = "msteams.cfg was not written, the old configuration is in place"
        else:
            done = "msteams.cfg may already hold the new configuration"
        return (
            f"Configuring the host stopped: {lost}; {done}, and the service {service_name} may be stopped. "
            "A rerun once the host answers again is safe: it finishes the change (or starts the service on the file in place)."
        )
    if not _ok(stop) and (_ran(stop) or failed_step.endswith("Stop the UCServer service")):
        what = (
            f"The UCServer service {service_name} did not stop within {service_timeout} seconds (ucserver_service_timeout); "
            "msteams.cfg was not touched, the old configuration is still in place."
        )
    elif not the_plan["write"]:
        what = (
            f'Starting the stopped UCServer service {service_name} failed at "{failed_step}" ({_reason(failed_result, failed_no_log)}); '
            "msteams.cfg was up to date and was not touched."
        )
    else:
        what = f'Updating msteams.cfg failed at "{failed_step}" ({_reason(failed_result, failed_no_log)});'
        if not _ran(steps.get("write")):
            what += " msteams.cfg was not written, the old configuration is still in place."
        elif _ok(steps.get("restore")):
            what += f" the previous msteams.cfg was restored from {the_plan['backup_path']}, the old configuration is back."
        elif _ok(steps.get("unwrite")):
            what += " the new msteams.cfg was removed, as there was none before; the old state is back."
        else:
            where = the_plan["backup_path"] or "the backup"
            what += f" RESTORING THE PREVIOUS msteams.cfg FAILED: copy {where} back by hand."
        if _ran(steps.get("acl_undo")) and not _ok(steps.get("acl_undo")):
            what += f" Turning the inherited permissions of {the_plan['config_path']} back on failed: check them by hand."
    restart = steps.get("restart") or {}
    if restart.get("state") == "running":
        now = f"The service {service_name} is running again."
    else:
        now = f"The service {service_name} is NOT running: {_reason(restart) if _ran(restart) else 'state unknown'}."
    return f"{what} {now}"


def old_backups(files, keep):
    """The ``win_find`` entries of backups beyond the newest ``keep`` (names sort by their UTC time)."""
    ordered = sorted(files or [], key=lambda f: f.get("filename", ""))
    keep = int(keep)
    return ordered[:-keep] if keep > 0 else ordered
