"""The status report for monitoring: orphaned secrets, what was not checked, the Prometheus
textfile (parsed by prometheus_client's own parser) and the Nagios/Icinga plugin result (parsed by
the Monitoring Plugins guidelines' rules: https://www.monitoring-plugins.org/doc/guidelines.html)."""

import json
import re

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _run_status as st
from ansible_collections.procall.msteams.plugins.module_utils import _status_report as rp

from .test_run_status import CLIENT, TENANT, current

NOT_CHECKED = "admin consent of the delegated permissions not checked: needs Directory.Read.All"


def secret(key, days, consumer, hint="abc"):
    return {"key_id": key, "display_name": "procall-msteams: " + consumer, "hint": hint, "end_date": "2027-01-01T00:00:00Z", "days_left": days}


def app_info(*secrets, **changes):
    base = {"exists": True, "display_name": "ProCall", "secrets": list(secrets), "consent": {"not_checked": [NOT_CHECKED]}}
    base.update(changes)
    return base


INFO = app_info(
    secret("k1", 100, "ucs1", hint="aaa"),
    secret("k2", 20, "ucs2", hint="bbb"),
    secret("k3", 7, "old-ucs", hint="ccc"),
    {"key_id": "k4", "display_name": "made by hand", "hint": "ddd", "end_date": "", "days_left": 3},
)


def outcome(host, deployed, info=None, inventory=("ucs1", "ucs2"), **cur):
    info = INFO if info is None else info
    row = st.status_row(host, current(**cur), info, deployed, TENANT)
    row["app_notes"] = st.app_notes(info, list(inventory), "contoso")
    return row


def fleet(**overrides):
    hosts = {"ucs1": outcome("ucs1", "aaa-value"), "ucs2": outcome("ucs2", "bbb-value")}
    hosts.update(overrides)
    return [(host, "contoso", out) for host, out in hosts.items()]


# -- orphans and not checked ---------------------------------------------------------------------------


def test_app_notes_orphans_with_days_left_and_not_checked():
    notes = st.app_notes(INFO, ["ucs1", "ucs2"], "contoso")
    assert notes["orphans"] == [
        {
            "tenant": "contoso",
            "consumer": "old-ucs",
            "key_id": "k3",
            "display_name": "procall-msteams: old-ucs",
            "end_date": "2027-01-01T00:00:00Z",
            "days_left": 7,
        }
    ]
    assert notes["not_checked"] == [NOT_CHECKED]


@pytest.mark.parametrize("info", [{"failed": True, "msg": "403"}, {"exists": False}, {}])
def test_app_notes_empty_for_an_unread_or_missing_app(info):
    assert st.app_notes(info, ["ucs1"], "contoso") == {"orphans": [], "not_checked": []}


def test_report_lists_orphans_and_not_checked_once_per_app_and_keeps_them_out_of_the_rows():
    report = rp.status_report(fleet())
    doc = json.loads(report["json"])
    assert [o["key_id"] for o in doc["orphans"]] == ["k3"]
    assert doc["orphans"][0]["client_id"] == CLIENT and doc["orphans"][0]["tenant_id"] == TENANT
    assert doc["not_checked"] == ["ProCall (tenant contoso): " + NOT_CHECKED]
    assert all("app_notes" not in r for r in doc["hosts"])
    assert sum("old-ucs" in line for line in report["lines"]) == 1
    assert [line for line in report["lines"] if line.startswith("Not checked:")] == ["Not checked: ProCall (tenant contoso): " + NOT_CHECKED]
    assert "warn" not in report["json"].lower()


def test_report_without_notes_has_no_extra_lines():
    plain = app_info(secret("k1", 100, "ucs1", hint="aaa"), consent={"not_checked": []})
    report = rp.status_report([("ucs1", "contoso", outcome("ucs1", "aaa-value", info=plain, inventory=["ucs1"]))])
    assert len(report["lines"]) == 2
    assert json.loads(report["json"])["orphans"] == []


# -- Prometheus textfile ---------------------------------------------------------------------------------


def parsed_families(text):
    parser = pytest.importorskip("prometheus_client.parser", reason="prometheus_client (tests/compat/requirements.txt) parses the textfile")
    return {family.name: family for family in parser.text_string_to_metric_families(text)}


def test_prometheus_textfile_parses_with_labels_and_values():
    hosts = fleet(ucs3=st.unread_row("WinRM refused"))
    report = rp.status_report(hosts, generated_at=1767225600.5)
    families = parsed_families(report["prometheus"])
    assert set(families) == {
        "procall_msteams_secret_days_left",
        "procall_msteams_host_status",
        "procall_msteams_orphan_secret_days_left",
        "procall_msteams_status_hosts",
        "procall_msteams_status_last_run_timestamp_seconds",
    }
    assert all(f.type == "gauge" for f in families.values())
    days = {s.labels["host"]: (s.labels, s.value) for s in families["procall_msteams_secret_days_left"].samples}
    assert days["ucs1"] == ({"host": "ucs1", "tenant": "contoso", "client_id": CLIENT, "key_id": "k1"}, 100)
    assert days["ucs2"][1] == 20 and "ucs3" not in days
    status = {(s.labels["host"], s.labels["status"]): s.value for s in families["procall_msteams_host_status"].samples}
    assert status[("ucs1", "ok")] == 1 and status[("ucs2", "rotation_due")] == 1 and status[("ucs3", "broken")] == 1
    assert sum(status.values()) == 3 and len(status) == 3 * len(rp.REPORT_STATES)
    assert all(s.labels["tenant"] == "contoso" for s in families["procall_msteams_host_status"].samples)
    orphans = families["procall_msteams_orphan_secret_days_left"].samples
    assert [(s.labels["consumer"], s.labels["key_id"], s.value) for s in orphans] == [("old-ucs", "k3", 7)]
    per_state = {s.labels["status"]: s.value for s in families["procall_msteams_status_hosts"].samples}
    assert per_state == {"ok": 1, "consent_pending": 0, "rotation_due": 1, "expiring": 0, "broken": 1}
    assert families["procall_msteams_status_last_run_timestamp_seconds"].samples[0].value == 1767225600.5


def test_prometheus_label_values_are_escaped():
    odd = 'ucs "quoted" \\ back\nslash'
    report = rp.status_report([(odd, 'ten"ant', outcome("ucs1", "aaa-value"))])
    sample = parsed_families(report["prometheus"])["procall_msteams_secret_days_left"].samples[0]
    assert sample.labels["host"] == odd and sample.labels["tenant"] == 'ten"ant'


def test_prometheus_without_run_time_and_hosts_still_parses():
    families = parsed_families(rp.prometheus_text([], [], None))
    assert "procall_msteams_status_last_run_timestamp_seconds" not in families
    assert {s.value for s in families["procall_msteams_status_hosts"].samples} == {0}


# -- Nagios / Icinga plugin result -------------------------------------------------------------------

# Monitoring Plugins guidelines: "SERVICE STATUS: text | perfdata", perfdata
# 'label'=value[UOM];[warn];[crit];[min];[max], labels quoted with '' for a quote, UOM one of
# s ms us % B KB MB TB c, ranges [@][start:][end].
PERF_ITEM = re.compile(r"(?:'(?:[^']|'')+'|[^ '=]+)=[^ ]*")
PERF = re.compile(r"^('(?:[^']|'')+'|[^ '=]+)=(-?[0-9.]+)(s|ms|us|%|B|KB|MB|TB|c)?(?:;([^; ]*))?(?:;([^; ]*))?(?:;([^; ]*))?(?:;([^; ]*))?$")
RANGE = re.compile(r"^@?(~|-?[0-9.]+)?:?(-?[0-9.]+)?$")


def parse_plugin_output(text):
    """(exit code, service, state, text, {label: (value, warn, crit)}) by the guidelines' rules."""
    line, code, trailer = text.split("\n")
    assert trailer == "" and "\n" not in line
    output, perfdata = line.split(" | ")
    assert "|" not in output
    head = re.match(r"^(PROCALL MSTEAMS) (OK|WARNING|CRITICAL|UNKNOWN) - (.+)$", output)
    assert head, output
    perf = {}
    items = PERF_ITEM.findall(perfdata)
    assert " ".join(items) == perfdata, perfdata
    for item in items:
        m = PERF.match(item)
        assert m, item
        warn, crit = m.group(4) or "", m.group(5) or ""
        assert RANGE.match(warn) and RANGE.match(crit), item
        label = m.group(1)
        label = label[1:-1].replace("''", "'") if label.startswith("'") else label
        perf[label] = (float(m.group(2)), warn, crit)
    return int(code), head.group(2), head.group(3), perf


@pytest.mark.parametrize(
    ("statuses", "code", "state"),
    [
        ({"ucs1": "ok", "ucs2": "ok"}, 0, "OK"),
        ({"ucs1": "ok", "ucs2": "rotation_due"}, 1, "WARNING"),
        ({"ucs1": "consent_pending", "ucs2": "ok"}, 1, "WARNING"),
        ({"ucs1": "expiring", "ucs2": "rotation_due"}, 2, "CRITICAL"),
        ({"ucs1": "ok", "ucs2": "broken"}, 2, "CRITICAL"),
    ],
)
def test_nagios_exit_code_is_the_worst_host(statuses, code, state):
    rows = [dict(rp.report_row(host, "contoso", {"status": status, "secret_days_left": 50}), host=host) for host, status in statuses.items()]
    exit_code, line = rp.nagios_result(rows, [], 14, 30)
    assert exit_code == code
    assert parse_plugin_output("%s\n%d\n" % (line, exit_code))[:2] == (code, state)


def test_nagios_thresholds_follow_the_days_left_states():
    # min_days 14 and due_days 30: 31 left is OK, 30 WARNING (rotation due), 13 CRITICAL (expiring).
    hosts = [
        ("a", "contoso", st.status_row("a", current(), app_info(secret("k1", 31, "a")), "abc-x", TENANT, 14, 30)),
        ("b", "contoso", st.status_row("b", current(), app_info(secret("k2", 30, "b")), "abc-x", TENANT, 14, 30)),
    ]
    code, _state, text, perf = parse_plugin_output(rp.status_report(hosts, 14, 30)["nagios"])
    assert code == 1 and text.startswith("2 hosts: 1 warning (b rotation_due)")
    assert perf["a days_left"] == (31.0, "31:", "14:") and perf["b days_left"] == (30.0, "31:", "14:")
    hosts.append(("c", "contoso", st.status_row("c", current(), app_info(secret("k3", 13, "c")), "abc-x", TENANT, 14, 30)))
    code, state, text, perf = parse_plugin_output(rp.status_report(hosts, 14, 30)["nagios"])
    assert (code, state) == (2, "CRITICAL") and "1 critical (c expiring)" in text
    assert perf["hosts"][0] == 3 and perf["critical"][0] == 1 and perf["warning"][0] == 1


def test_nagios_ok_counts_orphans_and_unknown_without_hosts():
    code, state, text, perf = parse_plugin_output(rp.status_report(fleet(ucs2=outcome("ucs2", "bbb-value", info=INFO)))["nagios"])
    assert perf["orphans"][0] == 1 and "1 secret(s) of no inventory host" in text
    ok_row = [dict(rp.report_row("ucs1", "contoso", {"status": "ok", "secret_days_left": 90}))]
    code, line = rp.nagios_result(ok_row)
    assert (code, line.split(" | ")[0]) == (0, "PROCALL MSTEAMS OK - all 1 hosts ok")
    code, state, text, perf = parse_plugin_output(rp.status_report([])["nagios"])
    assert (code, state, perf) == (3, "UNKNOWN", {"hosts": (0.0, "", "")})


def test_nagios_labels_and_text_survive_odd_host_names():
    rows = [dict(rp.report_row("o'brien|x=1", "contoso", {"status": "broken", "secret_days_left": 5}))]
    code, line = rp.nagios_result(rows)
    parsed = parse_plugin_output("%s\n%d\n" % (line, code))
    assert parsed[0] == 2 and parsed[3]["o'brien/x_1 days_left"] == (5.0, "31:", "14:")
    assert "o'brien/x=1 broken" in parsed[2]
