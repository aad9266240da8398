"""The status playbook's report files: every field of every row, the table, the CSV and the failure sentence."""

import csv
import io
import json

from ansible_collections.procall.msteams.plugins.module_utils import _status_report as rp
from ansible_collections.procall.msteams.plugins.module_utils._run_status import unread_row

from .test_run_status import CLIENT, app, current, row, secret


def test_report_rows_fill_every_field_and_failed_reads_are_broken():
    report = rp.status_report(
        [("ucs1", "contoso", row()), ("ucs2", "contoso", unread_row("WinRM refused")), ("ucs3", "contoso", None)],
        min_days=14,
    )
    rows = {r["host"]: r for r in report["rows"]}
    assert rows["ucs1"]["status"] == "ok"
    assert rows["ucs2"]["status"] == "broken" and rows["ucs2"]["reason"] == "WinRM refused"
    assert rows["ucs3"]["status"] == "broken" and rows["ucs3"]["reason"] == rp.UNREAD_REASON
    for r in rows.values():
        assert set(rp.ROW_FIELDS) <= set(r)
    assert json.loads(report["json"]) == {"hosts": report["rows"], "orphans": [], "not_checked": []}
    assert report["fail_msg"] == "2 host(s) need attention: ucs2 broken, ucs3 broken (threshold: 14 days left)"


def test_report_does_not_fail_for_healthy_hosts():
    report = rp.status_report([("ucs1", "contoso", row()), ("ucs2", "contoso", row(info=app(secret("k1", 20))))])
    assert report["fail_msg"] == ""


def test_csv_quotes_commas_quotes_and_line_breaks():
    tricky = dict(row(current(service_state="stopped")), reason='a, "quoted"\nreason')
    text = rp.csv_text([rp.report_row("ucs1", "contoso, Inc.", tricky)])
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == list(rp.CSV_COLUMNS)
    values = dict(zip(parsed[0], parsed[1]))
    assert values["tenant"] == "contoso, Inc."
    assert values["reason"] == 'a, "quoted"\nreason'
    assert values["secret_days_left"] == "100" and values["integration_enabled"] == "True"


def test_csv_leaves_empty_cells_for_missing_values():
    text = rp.csv_text([rp.report_row("ucs1", "contoso", None)])
    values = dict(zip(*list(csv.reader(io.StringIO(text)))))
    assert values["secret_days_left"] == "" and values["status"] == "broken"


def test_table_shows_dashes_and_yes_no():
    lines = rp.table_lines([rp.report_row("ucs1", "contoso", row()), rp.report_row("ucs2", "contoso", None)])
    assert lines[0].startswith("HOST") and "DAYS LEFT" in lines[0]
    assert " yes " in lines[1] and CLIENT in lines[1]
    assert lines[2].split()[:4] == ["ucs2", "contoso", "-", "-"]
    assert " no " in lines[2] and "pending" in lines[2]
