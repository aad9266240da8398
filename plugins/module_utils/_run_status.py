# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decisions of the status playbook: each host's row, problems and state; the report files.

For internal collection use only; the interface may change without notice.

Per host the playbook reads the UCServer (role ``ucserver``, ``tasks_from: read``) and, once per
app, the app registration (``entra_app_info``); ``status_row`` classifies the host from both.
The deployed secret is tied to one of the app's secrets by the same rules ``entra_app_secret``
uses (``_secrets.hint_matches`` and the per-host display name ``_secrets.secret_display_name``).
The action plugins ``procall.msteams.run_status_host`` and ``run_report`` are thin wrappers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json

from ansible_collections.procall.msteams.plugins.module_utils._secrets import (
    DEFAULT_NAME_PREFIX,
    hint_matches,
    secret_display_name,
)

DEFAULT_MIN_DAYS = 14
DEFAULT_DUE_DAYS = 30

STATES = ("ok", "consent_pending", "rotation_due", "expiring", "broken")

# The row fields every host has, also when its read failed (then they stay empty).
ROW_FIELDS = (
    "tenant_id",
    "client_id",
    "app_display_name",
    "secret_key_id",
    "secret_name",
    "secret_end_date",
    "secret_days_left",
    "service_state",
    "integration_enabled",
    "user_consent_pending",
    "reason",
)
CSV_COLUMNS = (
    "host",
    "tenant",
    "tenant_id",
    "client_id",
    "secret_key_id",
    "secret_end_date",
    "secret_days_left",
    "service_state",
    "integration_enabled",
    "user_consent_pending",
    "status",
    "reason",
)
TABLE_FORMAT = "%-24s %-14s %-36s %9s %-10s %-7s %-7s %-14s %s"
TABLE_HEADER = ("HOST", "TENANT", "CLIENT ID", "DAYS LEFT", "SERVICE", "ENABLED", "CONSENT", "STATUS", "PROBLEMS")
UNREAD_REASON = "the host could not be read (unreachable?)"


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
    match = match or {}
    return {
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


def unread_row(reason):
    """The outcome of a host that could not be read (its inventory or the role's read failed)."""
    return {"status": "failed", "reason": _text(reason) or "the host could not be read"}


# -- the report --------------------------------------------------------------------------------------


def report_row(host, tenant, outcome):
    """The report's row: every field present; a failed read counts as ``broken``."""
    row = {"host": host, "tenant": _text(tenant)}
    row.update(dict.fromkeys(ROW_FIELDS, ""))
    row.update(outcome or {"status": "broken", "reason": UNREAD_REASON})
    if row.get("status") == "failed":
        row["status"] = "broken"
    return row


def _cell(value):
    return "-" if value in ("", None) else value


def table_lines(rows):
    lines = [TABLE_FORMAT % TABLE_HEADER]
    for row in rows:
        lines.append(
            TABLE_FORMAT
            % (
                row["host"],
                row["tenant"],
                _cell(row.get("client_id")),
                _cell(row.get("secret_days_left")),
                _cell(row.get("service_state")),
                "yes" if _text(row.get("integration_enabled")).lower() == "true" else "no",
                "pending" if _text(row.get("user_consent_pending")).lower() != "false" else "yes",
                row["status"],
                row.get("reason", ""),
            )
        )
    return lines


def csv_text(rows):
    """RFC 4180 CSV (the csv module quotes commas, quotes and line breaks inside a field)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_text(row.get(column)) for column in CSV_COLUMNS])
    return buffer.getvalue()


def status_failure(rows, min_days=DEFAULT_MIN_DAYS):
    """The sentence that fails the run (exit code 2) when a host is broken or expiring, or ''."""
    bad = [r for r in rows if r["status"] in ("broken", "expiring")]
    if not bad:
        return ""
    return "%d host(s) need attention: %s (threshold: %s days left)" % (
        len(bad),
        ", ".join("%s %s" % (r["host"], r["status"]) for r in bad),
        min_days,
    )


def status_report(hosts, min_days=DEFAULT_MIN_DAYS):
    """``hosts``: ``[(host, tenant, outcome or None)]`` in inventory order -> the report parts."""
    rows = [report_row(host, tenant, outcome) for host, tenant, outcome in hosts]
    return {
        "rows": rows,
        "lines": table_lines(rows),
        "json": json.dumps({"hosts": rows}, indent=4, sort_keys=True) + "\n",
        "csv": csv_text(rows),
        "fail_msg": status_failure(rows, min_days),
    }
