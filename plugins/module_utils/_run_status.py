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


# -- the report --------------------------------------------------------------------------------------


def report_row(host, tenant, outcome):
    """The report's row: every field present; a failed read counts as ``broken``."""
    row = {"host": host, "tenant": _text(tenant)}
    row.update(dict.fromkeys(ROW_FIELDS, ""))
    row.update(outcome or {"status": "broken", "reason": UNREAD_REASON})
    row.pop("app_notes", None)
    row.setdefault("replaced_secrets", [])
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


def collect_notes(hosts):
    """Every app's notes once (the first host of an app that carries them), in inventory order:
    ``(orphans, not_checked)``; each ``not_checked`` sentence names the tenant it is about."""
    seen, orphans, not_checked = set(), [], []
    for _host, tenant, outcome in hosts:
        outcome = outcome or {}
        notes = outcome.get("app_notes")
        key = status_key(outcome.get("tenant_id"), outcome)
        if not notes or not key or key in seen:
            continue
        seen.add(key)
        orphans.extend(dict(o, tenant_id=_text(outcome.get("tenant_id")), client_id=_text(outcome.get("client_id"))) for o in notes.get("orphans") or [])
        for sentence in notes.get("not_checked") or []:
            line = "%s (tenant %s): %s" % (_text(outcome.get("app_display_name")) or "app", _text(tenant), sentence)
            if line not in not_checked:
                not_checked.append(line)
    return orphans, not_checked


def note_lines(orphans, not_checked, rows=()):
    """The lines under the table: replaced secrets still valid (per host), orphaned secrets, then what
    was not checked (each once)."""
    lines = []
    replaced = [(r["host"], s) for r in rows for s in r.get("replaced_secrets") or []]
    if replaced:
        lines.append(
            "Replaced secrets still valid (host, key id, days left; the next onboard or rotate_secret revokes them"
            " once older than msteams_secret_revoke_grace_minutes):"
        )
        lines.extend("  %s  %s  %s" % (host, s["key_id"], _cell(s.get("days_left"))) for host, s in replaced)
    if orphans:
        lines.append("Secrets of no inventory host (renamed, replaced or removed hosts; consumer, tenant, key id, days left):")
        lines.extend("  %s  %s  %s  %s" % (o["consumer"], o["tenant"], o["key_id"], _cell(o.get("days_left"))) for o in orphans)
    lines.extend("Not checked: %s" % sentence for sentence in not_checked)
    return lines


def status_report(hosts, min_days=DEFAULT_MIN_DAYS, due_days=DEFAULT_DUE_DAYS, generated_at=None):
    """``hosts``: ``[(host, tenant, outcome or None)]`` in inventory order -> the report parts.

    ``generated_at``: the run's time (seconds since the epoch) for the Prometheus file.
    """
    rows = [report_row(host, tenant, outcome) for host, tenant, outcome in hosts]
    orphans, not_checked = collect_notes(hosts)
    exit_code, nagios_line = nagios_result(rows, orphans, min_days, due_days)
    return {
        "rows": rows,
        "lines": table_lines(rows) + note_lines(orphans, not_checked, rows),
        "json": json.dumps({"hosts": rows, "orphans": orphans, "not_checked": not_checked}, indent=4, sort_keys=True) + "\n",
        "csv": csv_text(rows),
        "prometheus": prometheus_text(rows, orphans, generated_at),
        "nagios": "%s\n%d\n" % (nagios_line, exit_code),
        "nagios_exit_code": exit_code,
        "nagios_line": nagios_line,
        "fail_msg": status_failure(rows, min_days),
        "failing_hosts": [r["host"] for r in rows if r["status"] in ("broken", "expiring")],
    }


# -- monitoring-native output --------------------------------------------------------------------------

# Prometheus text exposition format, as node_exporter's textfile collector reads it
# (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): HELP and
# TYPE once per metric, label values with backslash, double quote and line feed escaped.
METRIC_PREFIX = "procall_msteams_"
REPORT_STATES = ("ok", "consent_pending", "rotation_due", "expiring", "broken")


def _label_value(value):
    return _text(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _sample(name, labels, value):
    inner = ",".join('%s="%s"' % (key, _label_value(val)) for key, val in labels)
    return "%s%s{%s} %s" % (METRIC_PREFIX, name, inner, value) if inner else "%s%s %s" % (METRIC_PREFIX, name, value)


def _metric(lines, name, help_text, samples):
    lines.append("# HELP %s%s %s" % (METRIC_PREFIX, name, help_text))
    lines.append("# TYPE %s%s gauge" % (METRIC_PREFIX, name))
    lines.extend(_sample(name, labels, value) for labels, value in samples)


def _number(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def prometheus_text(rows, orphans, generated_at=None):
    """The textfile collector file: days left per host and secret, status per host (one series
    per state, 1 for the current one), days left of orphaned secrets, the hosts per state and
    the time of the run; every host series labelled ``host`` and ``tenant``."""
    lines = []
    host_labels = [(r, [("host", r["host"]), ("tenant", r["tenant"])]) for r in rows]
    _metric(
        lines,
        "secret_days_left",
        "Whole days (rounded up) until the client secret a UCServer host runs expires.",
        [
            (labels + [("client_id", r.get("client_id")), ("key_id", r.get("secret_key_id"))], _number(r.get("secret_days_left")))
            for r, labels in host_labels
            if _number(r.get("secret_days_left")) is not None
        ],
    )
    _metric(
        lines,
        "host_status",
        "1 for the status of the UCServer host in the last status run, 0 for the other statuses.",
        [(labels + [("status", state)], 1 if r["status"] == state else 0) for r, labels in host_labels for state in REPORT_STATES],
    )
    _metric(
        lines,
        "orphan_secret_days_left",
        "Days left of a secret of the app whose consumer is no inventory host (renamed, replaced or removed hosts).",
        [
            (
                [("tenant", o.get("tenant")), ("client_id", o.get("client_id")), ("consumer", o.get("consumer")), ("key_id", o.get("key_id"))],
                _number(o.get("days_left")),
            )
            for o in orphans
            if _number(o.get("days_left")) is not None
        ],
    )
    per_state = [([("status", state)], sum(1 for r in rows if r["status"] == state)) for state in REPORT_STATES]
    _metric(lines, "status_hosts", "UCServer hosts per status in the last status run.", per_state)
    if generated_at is not None:
        run_time = [([], "%.3f" % float(generated_at))]
        _metric(lines, "status_last_run_timestamp_seconds", "When the last status run wrote this file (seconds since the epoch).", run_time)
    return "\n".join(lines) + "\n"


# Nagios / Icinga plugin result (https://nagios-plugins.org/doc/guidelines.html#AEN78, the
# Monitoring Plugins guidelines): exit code 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; one line
# "SERVICE STATE - text | perfdata", perfdata 'label'=value[UOM];[warn];[crit];[min];[max].
NAGIOS_SERVICE = "PROCALL MSTEAMS"
NAGIOS_STATES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
# CRITICAL is what fails the playbook (broken, fewer than min_days left); WARNING what needs a
# person soon (inside the rotation window, the integration not commissioned yet).
STATUS_EXIT_CODES = {"ok": 0, "consent_pending": 1, "rotation_due": 1, "expiring": 2, "broken": 2}


def _perf_label(text):
    # Quoted labels may hold anything but '=' and a lone single quote (doubled inside quotes).
    return "'%s'" % _text(text).replace("=", "_").replace("|", "/").replace("'", "''")


def _plain(text):
    return _text(text).replace("|", "/").replace("\n", " ")


def nagios_result(rows, orphans=(), min_days=DEFAULT_MIN_DAYS, due_days=DEFAULT_DUE_DAYS):
    """``(exit code, line)`` of the status as a Nagios/Icinga plugin result.

    Per host the worst state decides (``STATUS_EXIT_CODES``); no host at all is UNKNOWN. The
    perfdata has the host counts and each host's days left with the thresholds the states use
    as Nagios ranges: WARNING below ``due_days + 1`` (so ``due_days`` left warns), CRITICAL below
    ``min_days``.
    """
    if not rows:
        return 3, "%s UNKNOWN - no UCServer host in the status report | 'hosts'=0;;;0" % NAGIOS_SERVICE
    codes = [(STATUS_EXIT_CODES.get(r["status"], 2), r) for r in rows]
    exit_code = max(code for code, _row in codes)
    critical = [r for code, r in codes if code == 2]
    warning = [r for code, r in codes if code == 1]
    parts = []
    if critical:
        parts.append("%d critical (%s)" % (len(critical), ", ".join("%s %s" % (r["host"], r["status"]) for r in critical)))
    if warning:
        parts.append("%d warning (%s)" % (len(warning), ", ".join("%s %s" % (r["host"], r["status"]) for r in warning)))
    if not parts:
        parts.append("all %d hosts ok" % len(rows))
    text = "%d hosts: %s" % (len(rows), "; ".join(parts)) if critical or warning else parts[0]
    if orphans:
        text += "; %d secret(s) of no inventory host" % len(orphans)
    perf = ["'hosts'=%d;;;0" % len(rows), "'critical'=%d;;;0" % len(critical), "'warning'=%d;;;0" % len(warning), "'orphans'=%d;;;0" % len(orphans)]
    for r in rows:
        left = _number(r.get("secret_days_left"))
        if left is not None:
            perf.append("%s=%d;%d:;%d:;;" % (_perf_label(r["host"] + " days_left"), left, int(due_days) + 1, int(min_days)))
    return exit_code, "%s %s - %s | %s" % (NAGIOS_SERVICE, NAGIOS_STATES[exit_code], _plain(text), " ".join(perf))
