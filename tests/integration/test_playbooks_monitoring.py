"""Scheduled runs as monitoring sees them: a least-privilege rotate_secret + status pair in the
realistic emulator world, orphaned secrets, and the Prometheus / Nagios files of that status run.

One test, two playbook runs (the CI budget): the rotation identity is the one docs/permissions.md
recommends (Application.ReadWrite.OwnedBy only, owner of the app). The rules themselves are unit
tested (tests/unit/plugins/module_utils/test_status_report_monitoring.py, test_consent.py).
"""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.procall.msteams.plugins.module_utils._secrets import secret_display_name

from tests.integration.test_playbooks import WINDOW, deployed_secret, graph_call, onboarded_world, status_rows, summary_rows, use_rotation_identities, world

pytestmark = pytest.mark.slow

__all__ = ["world"]  # the fixture, imported for this module's test

NOT_CHECKED = "admin consent of the delegated permissions not checked: needs Directory.Read.All"


def warnings_of(record):
    """Every warning of a run: the JSON callback's per-result ``warnings`` and the printed ones.

    The realistic world throttles (~3 % 429) and delays a new secret at the token service (2 s), so
    rotate always retries; retries are ``graph_retries`` lines in the results, not warnings
    (issue 12). Before, every run printed "...; retried after 1.0 s (... of max_retry_wait=120 used)".
    """
    found = [line for line in record.result.output.splitlines() if "[WARNING]" in line]
    for play in (record.result.report or {}).get("plays", []):
        for task in play.get("tasks", []):
            for host, result in task["hosts"].items():
                found.extend("%s %s: %s" % (task["task"]["name"], host, w) for w in result.get("warnings") or [])
    return found


def forbidden(world):
    return [(r["method"], r["path"]) for r in world.emulator.requests() if r["status"] == 403]


def test_least_privilege_schedule_is_quiet_reports_orphans_and_writes_monitoring_files(world):
    onboarded_world(world, days={"ucs-c1": WINDOW - 5})
    # A host that was removed from the inventory left its secret behind.
    app = world.app("contoso")
    end = world.emulator.clock.now() + datetime.timedelta(days=40, hours=1)
    body = {"passwordCredential": {"displayName": secret_display_name(None, "ucs-retired"), "endDateTime": end.strftime("%Y-%m-%dT%H:%M:%SZ")}}
    orphan = graph_call(world, "contoso", "POST", f"/applications/{app['id']}/addPassword", body)
    use_rotation_identities(world)
    before = deployed_secret(world, "ucs-c1")

    assert world.emulator.profile == "realistic"
    rotate = world.run("rotate_secret")
    assert rotate.rc == 0, rotate.result
    assert forbidden(world) == []
    # The run did retry: the token service refused the new secret until it propagated.
    assert any(r["kind"] == "token" and r["status"] >= 400 for r in world.emulator.requests())
    assert warnings_of(rotate) == []
    assert summary_rows(world, "rotate_secret")["ucs-c1"]["status"] == "rotated" and deployed_secret(world, "ucs-c1") != before

    status = world.run("status")
    assert status.rc == 0, status.result
    assert forbidden(world) == []
    assert warnings_of(status) == []
    table = status.result.run_once_result("Print the status table")["msg"]
    not_checked = [line for line in table if line.startswith("Not checked:")]
    assert len(not_checked) == 2 and all(line.endswith(NOT_CHECKED) for line in not_checked), "once per app (two tenants), not per host"
    assert sum("ucs-retired" in line for line in table) == 1

    report = world.report("status.json")
    assert [(o["consumer"], o["key_id"], o["tenant"]) for o in report["orphans"]] == [("ucs-retired", orphan["keyId"], "contoso")]
    assert report["orphans"][0]["days_left"] in (40, 41)
    assert len(report["not_checked"]) == 2
    rows = status_rows(world)
    assert {rows[h]["status"] for h in world.hosts} == {"consent_pending"}

    parser = pytest.importorskip("prometheus_client.parser", reason="prometheus_client (tests/compat/requirements.txt) parses the textfile")
    families = {f.name: f for f in parser.text_string_to_metric_families((world.report_dir / "status.prom").read_text())}
    days = {s.labels["host"]: s.value for s in families["procall_msteams_secret_days_left"].samples}
    assert days == {h: float(rows[h]["secret_days_left"]) for h in world.hosts}
    assert [s.labels["consumer"] for s in families["procall_msteams_orphan_secret_days_left"].samples] == ["ucs-retired"]
    nagios_line, exit_code = (world.report_dir / "status.nagios").read_text().splitlines()
    assert exit_code == "1" and nagios_line.startswith("PROCALL MSTEAMS WARNING - 4 hosts: 4 warning (")
