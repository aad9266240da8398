# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report of the status playbook: every host's row as a table, JSON, CSV, a Prometheus textfile
and a Nagios/Icinga plugin result, the notes once per app, and the sentence that fails the run.

For internal collection use only; the interface may change without notice.

``status_report`` takes each host's outcome as ``_run_status.status_row`` classified it (or None
for a host that could not be read). The action plugin ``procall.msteams.run_report`` is a thin
wrapper.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json

from ansible_collections.procall.msteams.plugins.module_utils._run_status import DEFAULT_DUE_DAYS, DEFAULT_MIN_DAYS, status_key

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
