# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decisions of the onboard and rotate_secret playbooks for one host: pure functions, no I/O.

For internal collection use only; the interface may change without notice.

A playbook run goes host by host through the same steps: check the inventory and pick one host
per app registration to talk to Graph (``_run_settings.host_settings``, ``elect_leaders``), then
per host ``plan_start`` -> read the host -> ``plan_secret`` -> entra_app_secret -> ``plan_deploy``
-> the role -> revoke -> ``host_outcome`` (or ``failed_outcome`` when a step failed). The rollout
halt and the summary of every host's outcome are in ``_run_summary``.

Each plan is a dict; ``proceed`` false means the host is done and its ``outcome`` is final.
The action plugins ``procall.msteams.run_host_plan`` and ``run_host_outcome`` are thin wrappers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procall.msteams.plugins.module_utils._dates import parse_graph_datetime
from ansible_collections.procall.msteams.plugins.module_utils._run_settings import (
    DEFAULT_REVOKE_GRACE_MINUTES,
    DEFAULT_ROTATE_BEFORE_DAYS,
    RunInputError,
)
from ansible_collections.procall.msteams.plugins.module_utils._secrets import (
    DEFAULT_NAME_PREFIX,
    consumer_credentials,
    days_left,
    graph_credential,
    kept_by_hint,
    secret_display_name,
    stale_credentials,
)

MODES = ("onboard", "rotate")

# What the role gets as the secret in check mode when a new secret would be created: the real
# run creates the value, check mode only needs the role to see that the file would change.
CHECK_MODE_SECRET = "(the new secret the real run creates)"  # noqa: S105 - a stand-in, not a secret

CHECK_MODE_REASON = "check mode: this is what would happen, nothing was changed"
NO_APP_YET_REASON = "the app registration would be created first; run without --check to configure this host"


def _text(value):
    return "" if value is None else str(value)


def _failed(reason):
    return {"status": "failed", "reason": reason}


# -- one host: onboard and rotate ------------------------------------------------------------------


def _stop(outcome, **extra):
    # The step flags false, so every later step of the host skips on them alone.
    plan = {"proceed": False, "outcome": outcome, "change": False, "secret_call": False, "deploy": False, "revoke_key_ids": []}
    plan.update(extra)
    return plan


def app_snapshot(app_result, host):
    """This host's part of the leader's one read of the app: its consumer's secrets (Graph form,
    no values) and Graph's clock at that read; None when the answer held no secrets to decide from
    (then ``entra_app_secret`` reads the app itself, as before)."""
    secrets = (app_result or {}).get("secrets")
    try:
        read_at = parse_graph_datetime((app_result or {}).get("secrets_read_at"))
    except ValueError:
        read_at = None
    if not isinstance(secrets, list) or read_at is None or not host:
        return None
    name = secret_display_name(DEFAULT_NAME_PREFIX, host)
    credentials = [graph_credential(s) for s in secrets if isinstance(s, dict)]
    return {"consumer": name, "read_at": _text((app_result or {}).get("secrets_read_at")), "credentials": consumer_credentials(credentials, name)}


def plan_start(mode, settings, app_result=None, app_error=None, leader=None, halted=None, host=None):
    """Before the host is touched: can it be configured now?

    ``settings``: the host's ``_run_settings.host_settings``; ``app_result``: the leader's entra_app (onboard)
    or entra_app_info (rotate) result; ``app_error``: why the leader's app step failed;
    ``host``: this host's inventory name (its secret is named for it).
    """
    if mode not in MODES:
        raise RunInputError("mode must be one of %s, not %r" % (", ".join(MODES), mode))
    settings = settings or {}
    if not settings.get("proceed"):
        return _stop(settings.get("outcome") or _failed("the inventory of this host is incomplete"))
    if halted:
        return _stop({"status": "not_attempted", "reason": _text(halted)})
    if app_error is not None:
        reason = "the app registration of tenant %s failed (on %s): %s" % (settings.get("tenant"), leader or "?", app_error)
        return _stop(_failed(reason))
    app_result = app_result or {}
    app = {
        "app_id": _text(app_result.get("app_id")),
        "object_id": _text(app_result.get("object_id")),
        # msteams.cfg needs the tenant's GUID; Graph's answer has it even when the inventory
        # names the tenant by a verified domain.
        "tenant_id": _text(app_result.get("tenant_id")) or settings.get("tenant_id", ""),
    }
    if not app["app_id"]:
        return _stop({"status": "skipped", "reason": NO_APP_YET_REASON}, app=app)
    return {
        "proceed": True,
        "app": app,
        "snapshot": app_snapshot(app_result, host),
        "health_check": bool(settings.get("health_check")),
        "revoke_grace_minutes": settings.get("revoke_grace_minutes", DEFAULT_REVOKE_GRACE_MINUTES),
        "rotate_before_days": settings.get("rotate_before_days", DEFAULT_ROTATE_BEFORE_DAYS),
    }


def reads_first(mode):
    """Whether the start step reads the host itself (``run_host_plan`` option ``read``).

    rotate_secret: yes, a converged host is then done in that one task (no other read, no module
    call). onboard: no, it runs the role on every host, and the role's main entry reuses the read of
    its ``tasks_from: read`` in host_change.yml, so the host is read once either way.
    """
    return mode == "rotate"


def deferred_read(start):
    """The start plan of a host whose read (and secret step) happens in host_change.yml."""
    return dict(start, change=True, start=dict(start))


def same_app(current, app_id):
    """Whether the host's msteams.cfg names this app (client ids compare case-insensitively)."""
    configured = _text((current or {}).get("client_id")).strip().lower()
    return bool(configured) and configured == _text(app_id).strip().lower()


def plan_secret(mode, previous, current, deployed_secret=None):
    """After reading the host: keep its secret at once, or which ``entra_app_secret`` step it gets.

    A host that runs this app's secret keeps it without any further call when the leader's read of
    the app settles it (``_secrets.kept_by_hint``: the deployed value's hint matches exactly one
    credential of the host's consumer name, with more than ``rotate_before_days`` days left on
    Graph's clock at that read) and no health check was asked for (``msteams_secret_health_check``).
    Otherwise ``secret_call`` is true: ``present`` with the deployed value (the module reads the app
    again and decides: rotate when due or unknown, a token request when the hint is ambiguous or a
    health check was asked for), or ``rotated`` (always create) for a host that does not run this
    app's secret yet. rotate_secret leaves hosts that do not run this app yet to onboard.
    ``deployed_secret`` is only compared by its hint; the plan never holds it.
    """
    if not (previous or {}).get("proceed"):
        return dict(previous or _stop(_failed("the host was not checked before its secret step")))
    plan = dict(previous)
    app_id = plan["app"]["app_id"]
    is_same = same_app(current, app_id)
    if mode == "rotate" and not is_same:
        other = _text((current or {}).get("client_id"))
        why = "it runs another app (client id %s)" % other if other else "it has no own app configured"
        return _stop({"status": "skipped", "reason": why + ": run procall.msteams.onboard for it first"}, app=plan["app"])
    send_current = is_same and bool(deployed_secret)
    plan.update(
        same_app=is_same,
        before=dict(current or {}),
        secret_state="present" if send_current else "rotated",
        send_current_secret=send_current,
        secret_call=True,
        change=True,
    )
    snapshot = plan.get("snapshot") or {}
    kept = None
    if send_current and snapshot and not plan.get("health_check"):
        now = parse_graph_datetime(snapshot["read_at"])
        kept = kept_by_hint(snapshot["credentials"], snapshot["consumer"], deployed_secret, now, plan.get("rotate_before_days", DEFAULT_ROTATE_BEFORE_DAYS))
    if kept is None:
        return plan
    left = days_left(kept, now)
    secret = secret_summary(
        {
            "key_id": kept.get("keyId"),
            "end_date": kept.get("endDateTime"),
            "days_left": left,
            "reason": "the deployed secret has %s days left (found by its hint in the app registration, no token request)" % left,
        }
    )
    plan["secret_call"] = False
    return _with_deployment(mode, plan, secret, running=kept, check_mode=False)


def secret_summary(secret_result):
    """The parts of an entra_app_secret result the playbooks use; never the value."""
    result = secret_result or {}
    return {
        "failed": bool(result.get("failed")),
        "skipped": bool(result.get("skipped")),
        "created": bool(result.get("changed")) and not result.get("failed"),
        "has_value": bool(result.get("secret")),
        "key_id": _text(result.get("key_id")),
        "end_date": _text(result.get("end_date")),
        "days_left": result.get("days_left") if result.get("days_left") is not None else "",
        "rotated": bool(result.get("rotated")),
        "replaced_key_ids": list(result.get("replaced_key_ids") or []),
        "superseded_key_ids": list(result.get("superseded_key_ids") or []),
        # The module's one sentence on why it kept or created a secret (never a value).
        "why": _text(result.get("reason")),
        "msg": _text(result.get("msg")),
    }


class HostStepFailed(Exception):
    """A step failed: the message is the sentence shown for the host (never a secret)."""


def cleanup_key_ids(plan, running):
    """Replaced secrets of this host's consumer to revoke in this run (``_secrets.stale_credentials``
    on the leader's read of the app): not the one the host runs now, and older than the grace
    (``msteams_secret_revoke_grace_minutes``). ``running`` None: the host runs a secret this run
    made. Catches the revokes an earlier run could not make (a 503, a 429 storm, a killed run)."""
    snapshot = (plan or {}).get("snapshot") or {}
    if not snapshot:
        return []
    now = parse_graph_datetime(snapshot["read_at"])
    grace = plan.get("revoke_grace_minutes", DEFAULT_REVOKE_GRACE_MINUTES)
    return [c["keyId"] for c in stale_credentials(snapshot["credentials"], snapshot["consumer"], running, now, grace)]


def service_needs_start(current):
    """Whether the host's UCServer service exists but does not run (``ucserver_current.service_state``)."""
    state = _text((current or {}).get("service_state")).strip().lower()
    return bool(state) and state != "running"


def _with_deployment(mode, plan, secret, running, check_mode):
    """The plan after the secret step: deploy or not, what to revoke after, whether to re-read first.

    Revoked after a deployment: only the secrets this run superseded (what the host ran when this
    run read it, ``superseded_key_ids``); the revoke task passes the value the host runs after the
    deployment, so ``entra_app_secret`` keeps whatever the host runs by then. Plus the consumer's
    stale replaced secrets (``cleanup_key_ids``), in every run.
    """
    # A service left stopped (a lost connection or a killed run after the write) is started by
    # the role even when the file needs nothing: a converged host is a running host.
    deploy = mode == "onboard" or secret["created"] or not plan.get("same_app") or service_needs_start(plan.get("before"))
    superseded = secret["superseded_key_ids"] if deploy and secret["created"] else []
    revoke = list(superseded)
    revoke.extend(k for k in cleanup_key_ids(plan, running) if k not in revoke and k != secret["key_id"])
    plan.update(
        secret=secret,
        deploy=deploy,
        use_new_secret=secret["created"],
        check_mode_secret=CHECK_MODE_SECRET,
        revoke_key_ids=revoke,
        # Read the host again before revoking what a new secret replaced: the revoke keeps what it runs then.
        reread=bool(revoke) and secret["created"] and not check_mode,
        change=deploy or bool(revoke),
    )
    return plan


def plan_deploy(mode, previous, secret_result, check_mode):
    """After entra_app_secret: deploy or not, which value, which secrets to revoke afterwards.

    onboard converges every host's file; rotate touches a host only when its secret changed.
    In check mode a new secret has no value yet: the role gets a stand-in, so check mode
    reports the msteams.cfg change the real run makes. A plan whose secret step was settled
    without the module (``secret_call`` false) passes through.
    """
    if not (previous or {}).get("proceed"):
        return dict(previous or _stop(_failed("the host was not checked before its deployment")))
    if not previous.get("secret_call", True):
        return dict(previous)
    secret = secret_summary(secret_result)
    if secret["failed"]:
        raise HostStepFailed(secret["msg"] or "entra_app_secret failed without a message")
    if secret["skipped"]:
        raise HostStepFailed("entra_app_secret did not run for this host")
    if secret["created"] and not secret["has_value"] and not check_mode:
        raise HostStepFailed("entra_app_secret returned no secret value to deploy")
    plan = dict(previous)
    running = None
    if not secret["created"]:
        credentials = ((plan.get("snapshot") or {}).get("credentials")) or []
        # A kept secret missing from the leader's read (made meanwhile) settles nothing: no cleanup.
        running = next((c for c in credentials if c.get("keyId") == secret["key_id"]), {"keyId": secret["key_id"]})
    return _with_deployment(mode, plan, secret, running, check_mode)


def host_outcome(mode, plan, role_result=None, revoke_result=None, check_mode=False):
    """The outcome of a host whose steps all ran (or that stopped early: its plan says why)."""
    plan = plan or {}
    if not plan.get("proceed"):
        return dict(plan.get("outcome") or _failed("the host stopped before its outcome was decided"))
    secret = plan.get("secret") or secret_summary(None)
    # The role's result exists only when it converged this host in this run; otherwise the
    # host is as it was read.
    now = (role_result if plan.get("deploy") else None) or plan.get("before") or {}
    enabled = bool(now.get("integration_enabled", False))
    consent_pending = bool(now.get("user_consent_pending", True))
    if mode == "rotate":
        status = "rotated" if secret["created"] else "kept"
    elif enabled and not consent_pending:
        status = "configured"
    else:
        status = "consent_pending"
    revoke_result = revoke_result or {}
    revoke_failed = bool(revoke_result.get("failed"))
    revoked = [] if revoke_failed or revoke_result.get("skipped") else sorted(revoke_result.get("revoked_key_ids") or [])
    reason = CHECK_MODE_REASON if check_mode else ""
    if revoke_failed:
        # The host runs its secret; the replaced ones stay valid until a later run's cleanup
        # (cleanup_key_ids) revokes them, so the host did not fail.
        reason = "revoking the replaced secret(s) %s failed (%s); the next onboard or rotate_secret run revokes them" % (
            ", ".join(plan.get("revoke_key_ids") or []),
            _text(revoke_result.get("msg")).rstrip(".") or "no message",
        )
    return {
        "status": status,
        "reason": reason,
        "client_id": plan["app"]["app_id"],
        "secret_key_id": secret["key_id"],
        "secret_end_date": secret["end_date"],
        "secret_days_left": secret["days_left"],
        "secret_created": secret["created"],
        "secret_decision": secret["why"],
        "revoked_key_ids": revoked,
        "restarted": bool((role_result or {}).get("restarted", False)) if plan.get("deploy") else False,
        "integration_enabled": enabled,
        "user_consent_pending": consent_pending,
    }


def failed_outcome(plan, failed_task=None, failed_msg=None, withdraw_result=None, readback_failed=False):
    """The outcome of a host whose step failed: it keeps its previous secret and file."""
    plan = plan or {}
    secret = plan.get("secret") or secret_summary(None)
    reason = "%s: %s" % (failed_task or "a task", failed_msg or "failed without a message")
    if readback_failed and secret["created"] and secret["key_id"]:
        reason += " (the new secret %s was kept: the host could not be read back)" % secret["key_id"]
    withdrawn = bool((withdraw_result or {}).get("changed")) and not (withdraw_result or {}).get("failed")
    return {
        "status": "failed",
        "reason": reason,
        "client_id": (plan.get("app") or {}).get("app_id", ""),
        "secret_kept_key_ids": secret["replaced_key_ids"],
        "withdrawn_key_id": secret["key_id"] if withdrawn else "",
    }


def withdraw_key_id(plan):
    """The new secret to withdraw after a failure, or '' (only one this run created)."""
    secret = (plan or {}).get("secret") or {}
    return secret.get("key_id", "") if secret.get("created") else ""
