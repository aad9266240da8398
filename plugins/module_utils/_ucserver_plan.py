# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``ucserver`` role's plan for one host, as pure functions.

For internal collection use only; the interface may change without notice. Called by the
``procall.msteams.ucserver_plan`` action and the role's filters (``plugins/filter/msteams_cfg.py``)
with what the read found (``_ucserver_read.py``). Nothing here does I/O.

- ``plan``: what the run does (write the file, start a stopped service, the access rules);
- ``content``: the file to write, decided again from what the stopped service left;
- ``acl_rules``: the access rules of msteams.cfg and its backups.
"""

from __future__ import annotations

from ansible_collections.procall.msteams.plugins.module_utils import _msteams_cfg as cfg
from ansible_collections.procall.msteams.plugins.module_utils._ucserver_input import is_unset

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


def service_account_sid(account):
    """The account as win_acl takes it: a well-known SID for the built-in service accounts."""
    if is_unset(account):
        # win_service_info: "Can be null for ... certain driver services"; Windows runs such a
        # service as LocalSystem.
        return SID_SYSTEM
    return _WELL_KNOWN_ACCOUNTS.get(account.strip().lower(), account.strip())


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


def content(slurped, settings, client_secret):
    """The file to write, decided again from what the stopped service left (it may write on stop).

    ``slurped``: the registered result of ``slurp`` of msteams.cfg after the stop; a failed read
    (no file) or a skipped one means no file.
    """
    current = slurped.get("content") if isinstance(slurped, dict) and not slurped.get("failed") and not slurped.get("skipped") else None
    return cfg.merge_cfg(current, client_secret=client_secret, encoding="base64", **settings["cfg"])["content"]
