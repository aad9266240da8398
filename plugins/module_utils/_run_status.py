# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decisions of the status playbook for one host: its row, problems and state, its app's notes.

For internal collection use only; the interface may change without notice.

Per host the playbook reads the UCServer (role ``ucserver``, ``tasks_from: read``) and, once per
app, the app registration (``entra_app_info``); ``status_row`` classifies the host from both.
The deployed secret is tied to one of the app's secrets by the same rules ``entra_app_secret``
uses (``_secrets.hint_matches`` and the per-host display name ``_secrets.secret_display_name``).
The report of every host's row is ``_status_report.status_report``. The action plugin
``procall.msteams.run_status_host`` is a thin wrapper.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procall.msteams.plugins.module_utils._dates import parse_graph_datetime
from ansible_collections.procall.msteams.plugins.module_utils._secrets import (
    DEFAULT_NAME_PREFIX,
    graph_credential,
    hint_matches,
    orphan_secrets,
    replaced_credentials,
    secret_consumer,
    secret_display_name,
)

DEFAULT_MIN_DAYS = 14
DEFAULT_DUE_DAYS = 30


def _text(value):
    return "" if value is None else str(value)


def status_key(tenant_id, current):
    """The app a host runs (tenant and client id from its msteams.cfg), or '' when none."""
    client_id = _text((current or {}).get("client_id")).strip()
    if not client_id:
        return ""
    return "%s/%s" % (_text(tenant_id).strip().lower(), client_id.lower())


def _days(credential):
    left = credential.get("days_left")
    return (left is None, left if left is not None else 0)


def match_secret(secrets, deployed_secret, host, name_prefix=DEFAULT_NAME_PREFIX):
    """The app's secret the host runs: same hint as the deployed value, the host's own name
    preferred (``procall-msteams: <host>``, exactly as entra_app_secret names it), the one
    expiring first among equals. None when no secret has the deployed value's hint."""
    candidates = hint_matches(list(secrets or []), deployed_secret)
    if not candidates:
        return None
    own = secret_display_name(name_prefix, host)
    named = [c for c in candidates if c.get("display_name") == own]
    return sorted(named or candidates, key=_days)[0]


def replaced_secrets(app_info, match, host, name_prefix=DEFAULT_NAME_PREFIX):
    """The host's replaced secrets that still work: its other unexpired secrets, not the one it
    runs (``_secrets.replaced_credentials``), as ``{key_id, days_left}``, oldest first. Left by an
    overlapping run or a revoke that failed; the next onboard or rotate_secret run revokes them once
    they are older than ``msteams_secret_revoke_grace_minutes``. Not a problem of the host."""
    own = secret_display_name(name_prefix, host)
    try:
        now = parse_graph_datetime((app_info or {}).get("secrets_read_at"))
    except ValueError:
        now = None
    if not match or match.get("display_name") != own or now is None:
        return []
    secrets = [s for s in (app_info or {}).get("secrets") or [] if isinstance(s, dict)]
    left = {s.get("key_id"): s.get("days_left") for s in secrets}
    found = replaced_credentials([graph_credential(s) for s in secrets], own, graph_credential(match), now)
    return [{"key_id": _text(c["keyId"]), "days_left": left.get(c["keyId"])} for c in found]


def problems_of(current, app_info, has_key, match):
    """What is wrong with a host, one sentence each, in the order a person fixes them."""
    current = current or {}
    app_info = app_info or {}
    problems = []
    if not current.get("installed", True):
        problems.append("UCServer not installed")
    cfg_present = bool(current.get("config_present", False))
    if not cfg_present:
        problems.append("msteams.cfg missing")
    elif not current.get("config_valid", True):
        problems.append("msteams.cfg is not valid JSON")
    if cfg_present and not current.get("client_id"):
        problems.append("no client id configured")
    service = current.get("service_state")
    if service != "running":
        problems.append("service %s, not running" % (service or "unknown"))
    if has_key:
        if app_info.get("failed"):
            problems.append("app not readable in Graph: %s" % (app_info.get("msg") or "?"))
        elif not app_info.get("exists", True):
            problems.append("the configured app does not exist in the tenant (deleted?)")
        elif not match:
            problems.append("the deployed secret is not a secret of the app (revoked or mistyped)")
    if match and _int(match.get("days_left")) <= 0:
        problems.append("secret expired")
    return problems


def _int(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def state_of(problems, match, current, min_days=DEFAULT_MIN_DAYS, due_days=DEFAULT_DUE_DAYS):
    """``broken`` > ``expiring`` (fewer than min_days left) > ``rotation_due`` (inside the
    rotation window) > ``consent_pending`` (the person's step in the admin GUI) > ``ok``."""
    if problems:
        return "broken"
    left = _int((match or {}).get("days_left"))
    if left < int(min_days):
        return "expiring"
    if left <= int(due_days):
        return "rotation_due"
    current = current or {}
    if not current.get("integration_enabled", False) or current.get("user_consent_pending", True):
        return "consent_pending"
    return "ok"


def status_row(host, current, app_info, deployed_secret, tenant_id, min_days=DEFAULT_MIN_DAYS, due_days=DEFAULT_DUE_DAYS):
    """A host's status: the row fields, ``status`` and ``reason`` (its problems joined)."""
    current = current or {}
    app_info = app_info or {}
    has_key = bool(status_key(tenant_id, current))
    match = match_secret(app_info.get("secrets"), deployed_secret, host) if has_key and not app_info.get("failed") else None
    problems = problems_of(current, app_info, has_key, match)
    replaced = replaced_secrets(app_info, match, host)
    match = match or {}
    return {
        "replaced_secrets": replaced,
        "tenant_id": _text(current.get("tenant_id")),
        "client_id": _text(current.get("client_id")),
        "app_display_name": _text(app_info.get("display_name")),
        "secret_key_id": _text(match.get("key_id")),
        "secret_name": _text(match.get("display_name")),
        "secret_end_date": _text(match.get("end_date")),
        "secret_days_left": match.get("days_left"),
        "service_state": _text(current.get("service_state")),
        "integration_enabled": bool(current.get("integration_enabled", False)),
        "user_consent_pending": bool(current.get("user_consent_pending", True)),
        "status": state_of(problems, match, current, min_days, due_days),
        "reason": "; ".join(problems),
    }


def app_notes(app_info, inventory_hosts, tenant, name_prefix=DEFAULT_NAME_PREFIX):
    """What the report says once per app, not per host: the app's orphaned secrets (a consumer in
    no inventory host: renamed, replaced or removed hosts; ``_secrets.orphan_secrets``) with
    their days left, and what the automation identity could not check (``consent.not_checked``
    of entra_app_info, e.g. the delegated admin consent with Application.ReadWrite.OwnedBy only)."""
    app_info = app_info or {}
    if app_info.get("failed") or not app_info.get("exists", True):
        return {"orphans": [], "not_checked": []}
    orphans = [
        {
            "tenant": _text(tenant),
            "consumer": secret_consumer(c.get("display_name"), name_prefix),
            "key_id": _text(c.get("key_id")),
            "display_name": _text(c.get("display_name")),
            "end_date": _text(c.get("end_date")),
            "days_left": c.get("days_left"),
        }
        for c in orphan_secrets(app_info.get("secrets"), inventory_hosts, name_prefix)
    ]
    not_checked = [_text(n) for n in (app_info.get("consent") or {}).get("not_checked") or []]
    return {"orphans": orphans, "not_checked": not_checked}


def unread_row(reason):
    """The outcome of a host that could not be read (its inventory or the role's read failed)."""
    return {"status": "failed", "reason": _text(reason) or "the host could not be read"}
