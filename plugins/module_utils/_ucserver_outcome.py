# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the ``ucserver`` role's steps did on one host, in one result and one sentence.

For internal collection use only; the interface may change without notice. The role's filters
(``plugins/filter/msteams_cfg.py``) call these with the results its steps registered.
Nothing here does I/O.

- ``outcome``: the ``ucserver_result`` fact, and on failure the one sentence that says what
  failed and what is in place now (``failure_sentence``);
- ``unreachable_step``: the sentence for the first step whose host stopped answering;
- ``withdraw_failure``: the same for the ``withdraw`` entry point;
- ``old_backups``: the backups beyond ``ucserver_backups_keep``.
"""

from __future__ import annotations


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


def withdraw_failure(the_withdraw, steps, service_name, failure=None):
    """The sentence of a failed ``withdraw`` (taking the host off the own app): what failed, whether
    the own-app msteams.cfg is back, and the service's state. No secret, no file content.

    ``the_withdraw``: the result of ``ucserver_withdraw_plan``; ``steps``: ``putback`` (copying the
    own-app file back from its backup) and ``restart`` (starting the service again), as the
    rescue registered them; ``failure``: ``step``, ``result`` and ``no_log`` of the failed task.
    """
    failure = failure or {}
    steps = {k: v for k, v in (steps or {}).items() if isinstance(v, dict)}
    putback, restart = steps.get("putback") or {}, steps.get("restart") or {}
    if _ok(putback):
        file_now = "the own-app msteams.cfg was put back"
    elif putback.get("skipped") or not putback:
        file_now = "msteams.cfg was not changed"
    else:
        file_now = f"PUTTING THE OWN-APP msteams.cfg BACK FAILED: copy {the_withdraw.get('backup_path') or 'the backup'} back by hand"
    reason = _reason(failure.get("result"), str(failure.get("no_log")).lower() == "true")
    state = restart.get("state") or "in an unknown state"
    return (
        f'Taking the host off the own app failed at "{failure.get("step") or "a step"}" ({reason}); {file_now}; '
        f"the service {service_name} is {state}. The host still runs the own app: its secrets are kept."
    )
