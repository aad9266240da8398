"""The end of onboard and rotate_secret: the rollout halt rule, the summary and the hosts that fail the run."""

import json

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _run_summary as su
from ansible_collections.procall.msteams.plugins.module_utils._run_settings import RunInputError

# -- rollout halt ------------------------------------------------------------------------------------


def outcomes(*statuses):
    return [{"status": s} for s in statuses]


def test_halt_when_every_tried_host_of_the_batch_failed():
    assert su.rollout_halt(outcomes("failed", "kept"), outcomes("failed", "kept")) == "every host of a batch failed"


def test_no_halt_when_one_host_of_the_batch_rotated():
    assert su.rollout_halt(outcomes("failed", "rotated"), outcomes("failed", "rotated")) is None


def test_no_halt_when_nothing_was_tried():
    assert su.rollout_halt(outcomes("kept", "skipped") + [None], outcomes("kept")) is None


def test_halt_at_max_failed_hosts_across_batches():
    assert su.rollout_halt(outcomes("failed", "rotated"), outcomes("failed", "rotated", "failed"), "2") == "msteams_max_failed_hosts (2) hosts failed"
    assert su.rollout_halt(outcomes("failed", "rotated"), outcomes("failed", "rotated"), 2) is None
    assert su.rollout_halt(outcomes("rotated"), outcomes("rotated"), "") is None


def test_halt_refuses_a_bad_max_failed_hosts():
    with pytest.raises(RunInputError, match="msteams_max_failed_hosts must be a whole number"):
        su.rollout_halt([], [], "many")


# -- summary ----------------------------------------------------------------------------------------


def test_summary_groups_hosts_by_status_with_their_reasons():
    report = su.summary_report(
        "rotate_secret",
        [
            ("ucs1", "contoso", {"status": "rotated", "reason": ""}),
            ("ucs2", "contoso", {"status": "failed", "reason": "Start the UCServer service:\nit did not start"}),
            ("ucs3", "fabrikam", {"status": "kept", "reason": ""}),
            ("ucs4", "fabrikam", None),
        ],
    )
    assert report["lines"] == [
        "procall.msteams.rotate_secret: 4 host(s)",
        su.TITLES["failed"] + ": 2",
        "  - ucs2 [contoso]: Start the UCServer service: it did not start",
        "  - ucs4 [fabrikam]: " + su.UNKNOWN_FAILURE_REASON,
        su.TITLES["kept"] + ": 1",
        "  - ucs3 [fabrikam]",
        su.TITLES["rotated"] + ": 1",
        "  - ucs1 [contoso]",
    ]
    assert report["fail_msg"].startswith("2 host(s) failed: ucs2, ucs4. They keep their previous secret")
    assert json.loads(report["json"]) == {"run": "rotate_secret", "hosts": report["rows"]}


def test_summary_of_a_clean_run_does_not_fail_and_knows_unknown_statuses():
    report = su.summary_report("onboard", [("ucs1", "contoso", {"status": "new_kind"})])
    assert report["fail_msg"] == "" and report["lines"][1] == "new_kind: 1"
    assert report["rows"] == [{"host": "ucs1", "tenant": "contoso", "reason": "", "status": "new_kind"}]


def test_consent_pending_title_names_the_vendor_step():
    assert 'vendor step "Commission in the admin GUI"' in su.TITLES["consent_pending"]


def test_the_failed_hosts_themselves_fail_the_run():
    report = su.summary_report("rotate_secret", [("ucs1", "c", {"status": "rotated"}), ("ucs2", "c", {"status": "failed", "reason": "x"}), ("ucs3", "c", None)])
    assert report["failing_hosts"] == ["ucs2", "ucs3"]
    # ucs3 left the play unreachable: ucs2 carries the failure, not ucs1 that ran the report.
    assert su.hosts_to_fail(report["failing_hosts"], ["ucs1", "ucs2", "localhost"], "ucs1") == ["ucs2"]
    # Every failed host left the play: the host that ran the report fails, so the run still fails.
    assert su.hosts_to_fail(["ucs3"], ["ucs1", "localhost"], "ucs1") == ["ucs1"]
    assert su.hosts_to_fail([], ["ucs1"], "ucs1") == []
    assert su.hosts_to_fail(["ucs2"], None, "localhost") == ["localhost"]
