# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The end of an onboard, rotate_secret or decommission run: the rollout halt and the summary.

For internal collection use only; the interface may change without notice.

Between batches of rotate_secret, ``rollout_halt`` decides whether the rollout stops. At the end,
``summary_report`` turns every host's outcome (``_run_outcome.host_outcome``, ``failed_outcome``,
``_run_decommission.decommission_outcome``) into the printed summary and the JSON report, and
``hosts_to_fail`` names the hosts that carry the run's failure. The action plugins
``procall.msteams.run_rollout_halt`` and ``run_report`` are thin wrappers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.procall.msteams.plugins.module_utils._run_settings import RunInputError

UNKNOWN_FAILURE_REASON = "the host stopped before any outcome was recorded (unreachable, or failed outside the playbook steps: see the log above)"

# Titles of the summary, per status (the JSON report keeps the bare status).
TITLES = {
    "configured": "Configured, integration enabled and user consent present",
    "consent_pending": (
        'Configured; a person must still enable "Integration in Microsoft Teams" and give the user consent'
        ' in the UCServer admin GUI (vendor step "Commission in the admin GUI", docs/vendor-procedure.md)'
    ),
    "rotated": "New secret deployed and running, the replaced secret revoked",
    "kept": "Secret still valid: nothing changed",
    "skipped": "Skipped",
    "not_attempted": "Not attempted: the rollout was halted after failures (these hosts keep their secrets)",
    "failed": "FAILED (the host keeps its previous secret and configuration)",
    # procall.msteams.decommission
    "decommissioned": "Taken off the own app (msteams.cfg restored or removed, service running), then its secrets revoked",
    "gone_revoked": "Gone (not contacted): its secrets revoked",
    "left": "Left: it runs no own app (its secrets, if any, revoked)",
}


def _text(value):
    return "" if value is None else str(value)


# -- the rollout ------------------------------------------------------------------------------------


def rollout_halt(batch_outcomes, all_outcomes, max_failed_hosts=None):
    """Why the rollout stops after this batch, or None.

    It stops when every host of the batch that was tried (rotated or failed) failed: a bad
    secret or a broken procedure must not reach the next batch. It also stops once
    ``msteams_max_failed_hosts`` hosts of the play failed.
    """
    tried = [o for o in batch_outcomes if (o or {}).get("status") in ("rotated", "failed")]
    if tried and all(o["status"] == "failed" for o in tried):
        return "every host of a batch failed"
    if max_failed_hosts is not None and max_failed_hosts != "":
        try:
            limit = int(max_failed_hosts)
        except (TypeError, ValueError):
            raise RunInputError("msteams_max_failed_hosts must be a whole number of hosts") from None
        failed = sum(1 for o in all_outcomes if (o or {}).get("status") == "failed")
        if failed >= limit:
            return "msteams_max_failed_hosts (%d) hosts failed" % limit
    return None


# -- the summary -----------------------------------------------------------------------------------


def summary_row(host, tenant, outcome):
    """One host's row of the report; a host without an outcome stopped outside the steps."""
    row = {"host": host, "tenant": _text(tenant), "reason": ""}
    row.update(outcome or {"status": "failed", "reason": UNKNOWN_FAILURE_REASON})
    return row


def summary_lines(run, rows):
    """The printed summary: a count per status (alphabetical), then the hosts with their reasons."""
    lines = ["procall.msteams.%s: %d host(s)" % (run, len(rows))]
    for status in sorted({r["status"] for r in rows}):
        group = [r for r in rows if r["status"] == status]
        lines.append("%s: %d" % (TITLES.get(status, status), len(group)))
        for row in group:
            reason = _text(row.get("reason")).replace("\n", " ")
            lines.append("  - %s [%s]%s" % (row["host"], row["tenant"], (": " + reason) if reason else ""))
    return lines


def summary_failure(rows):
    """The sentence that fails the run when a host failed, or ''."""
    failed = [r["host"] for r in rows if r["status"] == "failed"]
    if not failed:
        return ""
    return "%d host(s) failed: %s. They keep their previous secret; fix the cause shown above and run the playbook again." % (len(failed), ", ".join(failed))


def hosts_to_fail(failing, play_hosts, runner):
    """The hosts that carry the run's failure: each failing host still in the play, so the recap
    and AWX's host summary mark exactly those hosts failed (a run_once failure would mark the
    healthy host that ran the report); the host running the report when none of them is in the
    play any more (they left it unreachable)."""
    in_play = [host for host in failing if host in (play_hosts or [])]
    return in_play or ([runner] if failing else [])


def summary_report(run, hosts):
    """``hosts``: ``[(host, tenant, outcome or None)]`` in inventory order -> the report parts."""
    rows = [summary_row(host, tenant, outcome) for host, tenant, outcome in hosts]
    return {
        "rows": rows,
        "lines": summary_lines(run, rows),
        "json": json.dumps({"run": run, "hosts": rows}, indent=4, sort_keys=True) + "\n",
        "fail_msg": summary_failure(rows),
        "failing_hosts": [r["host"] for r in rows if r["status"] == "failed"],
    }
