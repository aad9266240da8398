# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decisions of the decommission playbook and of rotate_secret's prune switch: pure functions, no I/O.

For internal collection use only; the interface may change without notice.

- ``selection_problem``: refuse a run that did not name its hosts (``--limit`` or
  ``msteams_decommission_hosts``);
- ``host_gone``: the ``msteams_host_gone`` inventory variable (a host that is not contacted);
- ``withdraw_plan``: the file step on a reachable host (the role's ``tasks_from: withdraw``):
  restore the newest backup that does not name the own app, else remove msteams.cfg;
- ``plan_revoke``: whether the host's secrets may go now (a gone host at once, a reachable host
  only once it no longer runs the own app);
- ``app_delete``: whether the opt-in delete of the app registration may run;
- ``orphan_key_ids``: secrets whose consumer is no host of the inventory (prune);
- ``decommission_outcome``: the host's row of the summary (``_run_summary.summary_report``),
  in check mode the preview of what would be revoked, restored and deleted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procall.msteams.plugins.module_utils import _msteams_cfg as cfg
from ansible_collections.procall.msteams.plugins.module_utils._run_outcome import CHECK_MODE_REASON, same_app
from ansible_collections.procall.msteams.plugins.module_utils._run_settings import RunInputError, run_flag
from ansible_collections.procall.msteams.plugins.module_utils._secrets import DEFAULT_NAME_PREFIX, NAME_SEPARATOR, orphan_secrets

SELECTION_VARIABLE = "msteams_decommission_hosts"
GONE_VARIABLE = "msteams_host_gone"
DELETE_APP_VARIABLE = "msteams_decommission_delete_app"


def _text(value):
    return "" if value is None else str(value)


def to_bool(value, name):
    """A boolean inventory or extra variable (``_flags.read_flag``); unset or empty is false."""
    if not _text(value).strip():
        return False
    return run_flag(value, name)


def selection_problem(limit, selected):
    """'' when the run names its hosts (``--limit``, i.e. ``ansible_limit``, or the variable); else the refusal."""
    if _text(limit).strip() or (selected not in (None, "", []) and _text(selected).strip()):
        return ""
    return (
        "procall.msteams.decommission takes hosts off the own app and revokes their secrets, so it never runs on every "
        "host by accident: name the hosts with %s (a host, group or pattern, e.g. -e %s=ucs-old1) or with --limit."
    ) % (SELECTION_VARIABLE, SELECTION_VARIABLE)


def host_gone(variables):
    """Whether the inventory marks this host gone for good (not contacted; its secrets revoked at once)."""
    return to_bool((variables or {}).get(GONE_VARIABLE, False), GONE_VARIABLE)


# -- the file step (the role's tasks_from: withdraw) ----------------------------------------------


def _backup_client_id(content):
    parsed = cfg.parse_cfg(content, encoding="base64")
    if parsed["state"] != "valid":
        return None
    return _text(parsed["values"].get("u8sClientID")).strip()


def _masked_text(content):
    parsed = cfg.parse_cfg(content, encoding="base64")
    if parsed["state"] == "absent":
        return ""
    if parsed["state"] != "valid":
        return "(not valid JSON: %s)\n" % parsed["error"]
    return cfg.render_cfg(cfg.mask_cfg(parsed["values"]))


def backups_from_slurp(results):
    """The ``slurp`` loop results over ``win_find`` backups -> ``[{"path", "filename", "content"}]``."""
    backups = []
    for result in results or []:
        if not isinstance(result, dict) or result.get("skipped") or result.get("failed"):
            continue
        item = result.get("item") or {}
        backups.append({"path": item.get("path"), "filename": item.get("filename") or "", "content": result.get("content")})
    return backups


def withdraw_plan(client_id, location, current=None, backups=None, backup_stamp="", check_mode=False):
    """The file step that takes a host off the own app ``client_id``.

    ``current``: base64 content of msteams.cfg (None: no file); ``backups``: ``[{"path",
    "filename", "content"}]`` of the role's backups (``msteams.cfg.<UTC time>.bak``, so names sort
    by time). The vendor procedure ("Going back to the vendor's app", docs/changes-and-undo.md)
    restores the file from before the first switch, or deletes it: the newest backup that does
    not name the own app is restored; without one the file is removed (UCServer starts without
    msteams.cfg, the integration is then commissioned again in the admin GUI). A host whose file
    names no own app keeps its file. The running own-app file is backed up first (undo).
    """
    client_id = _text(client_id).strip()
    if not client_id:
        raise RunInputError("ucserver_client_id (the own app's client id) is required to take a host off it")
    summary = cfg.summarize_cfg(current, encoding="base64")
    name = location.get("service_name") or "the UCServer service"
    base = {
        "config_path": location["config_path"],
        "service_state": location.get("service_state"),
        "diff": [],
        "backup_path": None,
        "restore_from": None,
    }
    if not same_app(summary, client_id):
        why = "msteams.cfg names no own app" if summary["config_present"] else "there is no msteams.cfg"
        return dict(base, action="none", act=False, changed=False, msg="%s: nothing to take off the own app %s." % (why, client_id))
    candidates = []
    for backup in sorted(backups or [], key=lambda b: _text(b.get("filename"))):
        backup_id = _backup_client_id(backup.get("content"))
        if backup_id is not None and backup_id.lower() != client_id.lower():
            candidates.append(backup)
    restore = candidates[-1] if candidates else None
    action = "restore" if restore else "remove"
    after = _masked_text(restore.get("content")) if restore else ""
    diff = [{"before": _masked_text(current), "after": after, "before_header": location["config_path"], "after_header": location["config_path"]}]
    verb = "would be" if check_mode else "is"
    if restore:
        what = "msteams.cfg %s restored from %s (the file from before the own app)" % (verb, restore["path"])
    else:
        what = "msteams.cfg %s removed (no backup from before the own app)" % verb
    return dict(
        base,
        action=action,
        act=True,
        changed=True,
        diff=diff,
        restore_from=restore["path"] if restore else None,
        backup_path="%s.%s.bak" % (location["config_path"], backup_stamp),
        msg="%s; %s stopped before and started after." % (what, name),
    )


# -- secrets and the app ----------------------------------------------------------------------------


def plan_revoke(gone, client_id, withdraw=None, current_after=None, check_mode=False):
    """Whether the host's own secrets are revoked now, and why (one sentence).

    A gone host is not contacted: its secrets go at once. A reachable host's secrets go only
    once it no longer runs the own app: read back after the file step (in check mode the file
    step did not run, so its plan stands for the read-back).
    """
    if gone:
        return {"revoke": True, "reason": "the host is marked gone (%s): its secrets are revoked without contacting it" % GONE_VARIABLE}
    withdraw = withdraw or {}
    if check_mode and withdraw.get("act"):
        return {"revoke": True, "reason": "once the host no longer runs the own app"}
    if same_app(current_after, client_id):
        return {"revoke": False, "reason": "the host still runs the own app %s after the file step: its secrets are kept" % client_id}
    return {"revoke": True, "reason": "the host no longer runs the own app"}


def _consumer_of(display_name, prefix):
    head = (prefix or DEFAULT_NAME_PREFIX).strip() + NAME_SEPARATOR
    name = _text(display_name)
    if not name.startswith(head):
        return None
    return name[len(head) :].strip()


def app_delete(opt_in, secrets, revoked_key_ids=(), failed_hosts=(), prefix=None, check_mode=False):
    """Whether the app registration may be deleted (``msteams_decommission_delete_app``).

    Only on request, only when no run host failed, and only when no unexpired secret of the
    app remains after this run's revocations (in check mode: the ones it would revoke), so a
    host outside the run that still uses the app keeps it. Entra ID keeps a deleted app
    restorable for 30 days (https://learn.microsoft.com/graph/api/application-delete).
    """
    if not to_bool(opt_in, DELETE_APP_VARIABLE):
        reason = "the app registration is left (set %s: true to delete it once no secret remains)" % DELETE_APP_VARIABLE
        return {"delete": False, "remaining": [], "reason": reason}
    if failed_hosts:
        return {"delete": False, "remaining": [], "reason": "the app registration is left: host(s) %s failed" % ", ".join(sorted(failed_hosts))}
    gone = set(revoked_key_ids or [])
    remaining = [s for s in secrets or [] if s.get("key_id") not in gone and not s.get("expired")]
    if remaining:
        names = ", ".join(sorted(_consumer_of(s.get("display_name"), prefix) or _text(s.get("display_name")) or _text(s.get("key_id")) for s in remaining))
        return {
            "delete": False,
            "remaining": [s.get("key_id") for s in remaining],
            "reason": "the app registration is left: %d secret(s) remain (%s)" % (len(remaining), names),
        }
    return {
        "delete": True,
        "remaining": [],
        "reason": "the app registration %s deleted (restorable for 30 days in the Entra admin center, Deleted applications)"
        % ("would be" if check_mode else "is"),
    }


PRUNE_COMPLETE_VARIABLE = "msteams_prune_inventory_complete"
# AWX/Automation Platform add these extra variables to a job that runs inside a workflow, and
# job slicing runs each slice as a node of a workflow whose inventory holds only that slice's
# hosts ("The inventory will be distributed evenly amongst the slice jobs":
# https://github.com/ansible/awx/blob/devel/docs/job_slicing.md).
AWX_WORKFLOW_VARIABLES = ("awx_workflow_job_id", "tower_workflow_job_id")


def prune_refusal(variables):
    """Why prune must not run with these variables (a sentence), or None.

    An orphan is a secret whose consumer is no host of the inventory; a job that sees only part
    of the inventory (an AWX job slice) would take the other slices' hosts for orphans. AWX does
    not tell a slice from another workflow node, so inside any workflow prune needs the user's
    word that the job's inventory is complete.
    """
    variables = variables or {}
    in_workflow = any(_text(variables.get(name)).strip() for name in AWX_WORKFLOW_VARIABLES)
    if not in_workflow or to_bool(variables.get(PRUNE_COMPLETE_VARIABLE, False), PRUNE_COMPLETE_VARIABLE):
        return None
    return (
        "msteams_prune refused: this job runs inside an AWX workflow, and a sliced job's inventory holds only its"
        " slice's hosts, so the other slices' secrets would look orphaned; run the prune from a job template"
        " without slicing, or set %s=true when this job's inventory holds every UCServer host" % PRUNE_COMPLETE_VARIABLE
    )


def orphan_key_ids(secrets, inventory_hosts, keep_key_ids=(), prefix=None):
    """Secrets of the app named for a consumer that is no host of the inventory (``[{key_id, consumer}]``).

    The orphans are ``_secrets.orphan_secrets`` (never the shared secret, never one the
    collection did not name). As a revocation cannot be undone, two more guards: never one in
    ``keep_key_ids`` (the secrets the run's hosts run), never one whose consumer matches an
    inventory host when case is ignored (a host renamed only in case).
    """
    hosts = {_text(h).strip().lower() for h in inventory_hosts or []}
    keep = set(keep_key_ids or [])
    orphans = []
    for secret in orphan_secrets(secrets, inventory_hosts, prefix or DEFAULT_NAME_PREFIX):
        consumer = _consumer_of(secret.get("display_name"), prefix)
        if not consumer or consumer.lower() in hosts or secret.get("key_id") in keep:
            continue
        orphans.append({"key_id": secret.get("key_id"), "consumer": consumer})
    return sorted(orphans, key=lambda o: (o["consumer"], _text(o["key_id"])))


# -- the summary ------------------------------------------------------------------------------------


def decommission_outcome(gone, withdraw=None, revoke=None, revoke_result=None, app_decision=None, role_result=None, check_mode=False):
    """The host's row: what was restored or removed, which key ids were revoked, what was left.

    In check mode the row is the preview (written to ``decommission-check.json``): nothing was
    revoked or deleted, so ``revoked_key_ids`` stays empty and ``would_revoke_key_ids`` /
    ``would_delete_app`` say what the real run would do; ``file_action`` and ``restored_from``
    are the planned file step.
    """
    withdraw = withdraw or {}
    revoke = revoke or {}
    revoke_result = revoke_result or {}
    revoked = list(revoke_result.get("revoked_key_ids") or []) if not revoke_result.get("failed") else []
    parts = []
    if gone:
        status = "gone_revoked"
        parts.append("not contacted (%s)" % GONE_VARIABLE)
    else:
        status = "decommissioned" if withdraw.get("act") else "left"
        parts.append(_text(withdraw.get("msg")) or "msteams.cfg was not read")
        if (role_result or {}).get("service_state"):
            parts.append("service %s" % role_result["service_state"])
    if revoke.get("revoke"):
        verb = "would be revoked" if check_mode else "revoked"
        parts.append("secret(s) %s: %s" % (verb, ", ".join(revoked) or "none left"))
    else:
        parts.append(_text(revoke.get("reason")) or "no secret revoked")
    if app_decision:
        parts.append(app_decision.get("reason", ""))
    if check_mode:
        parts.append(CHECK_MODE_REASON)
    row = {
        "status": status,
        "reason": "; ".join(p for p in parts if p),
        "file_action": withdraw.get("action", "none") if not gone else "not_contacted",
        "restored_from": withdraw.get("restore_from") or "",
        "revoked_key_ids": [] if check_mode else revoked,
        "app_deleted": bool((app_decision or {}).get("delete")) and not check_mode,
        "check_mode": bool(check_mode),
    }
    if check_mode:
        row["would_revoke_key_ids"] = revoked
        row["would_delete_app"] = bool((app_decision or {}).get("delete"))
    return row
