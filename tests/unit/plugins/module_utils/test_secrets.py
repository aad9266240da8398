"""Secret decisions of entra_app_secret (no I/O)."""

import datetime

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _dates as d
from ansible_collections.procall.msteams.plugins.module_utils import _secrets as s

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def cred(key, name, days, hint="abc"):
    end = NOW + datetime.timedelta(days=days)
    return {"keyId": key, "displayName": name, "hint": hint, "endDateTime": end.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"), "startDateTime": "2025-01-01T00:00:00Z"}


UCS1 = s.secret_display_name(None, "ucs1")
UCS2 = s.secret_display_name(None, "ucs2")


def test_display_names_per_consumer_and_shared():
    assert UCS1 == "procall-msteams: ucs1"
    assert s.secret_display_name("acme", None) == "acme"
    assert s.secret_display_name("acme", " ") == "acme"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-26T03:00:00Z", datetime.datetime(2026, 5, 26, 3, tzinfo=datetime.timezone.utc)),
        ("2026-05-26T03:00:00.1234567Z", datetime.datetime(2026, 5, 26, 3, 0, 0, 123456, tzinfo=datetime.timezone.utc)),
        ("2026-05-26T05:00:00+02:00", datetime.datetime(2026, 5, 26, 3, tzinfo=datetime.timezone.utc)),
        ("2026-05-26T03:00:00", datetime.datetime(2026, 5, 26, 3, tzinfo=datetime.timezone.utc)),
    ],
)
def test_parse_graph_datetime(text, expected):
    assert d.parse_graph_datetime(text) == expected


def test_parse_rejects_garbage():
    with pytest.raises(ValueError):
        d.parse_graph_datetime("next tuesday")


def test_http_date_is_parsed_else_none():
    assert d.parse_http_date("Wed, 01 Jul 2026 10:00:00 GMT") == datetime.datetime(2026, 7, 1, 10, tzinfo=datetime.timezone.utc)
    assert d.parse_http_date(None) is None
    assert d.parse_http_date("garbage") is None


def test_days_left_rounds_up_and_is_not_positive_once_expired():
    assert s.days_left(cred("k", UCS1, 30), NOW) == 30
    assert s.days_left({"endDateTime": "2026-01-30T23:59:59Z"}, NOW) == 30
    assert s.days_left({"endDateTime": "2026-01-31T00:00:01Z"}, NOW) == 31
    assert s.days_left({"endDateTime": "2026-01-01T00:00:01Z"}, NOW) == 1
    assert s.days_left({"endDateTime": "2026-01-01T00:00:00Z"}, NOW) == 0
    assert s.days_left({"endDateTime": "2025-12-31T12:00:00Z"}, NOW) == 0
    assert s.days_left({"endDateTime": "2025-12-31T00:00:00Z"}, NOW) == -1
    assert s.days_left({}, NOW) is None


def test_present_keeps_known_secret_after_token_check():
    creds = [cred("k1", UCS1, 100, hint="abc")]
    plan = s.plan_present(creds, UCS1, NOW, 30, current_secret="abcdef")
    assert plan.needs_token_check and plan.keep["keyId"] == "k1"
    plan = s.plan_present(creds, UCS1, NOW, 30, current_secret="abcdef", current_secret_works=True)
    assert plan.action == "keep" and not plan.needs_token_check and plan.keep["keyId"] == "k1"


def test_present_rotates_inside_window_and_names_the_replaced():
    creds = [cred("k1", UCS1, 30, hint="abc"), cred("other", UCS2, 5, hint="abc")]
    plan = s.plan_present(creds, UCS1, NOW, 30, current_secret="abcdef")
    assert plan.action == "create"
    assert plan.replaced_key_ids() == ["k1"]  # never another consumer's secret


def test_present_host_lost_secret_creates_new():
    creds = [cred("k1", UCS1, 100, hint="xyz")]
    plan = s.plan_present(creds, UCS1, NOW, 30, current_secret="abcdef")
    assert plan.action == "create" and plan.replaced_key_ids() == ["k1"]


def test_present_token_rejected_creates_new():
    creds = [cred("k1", UCS1, 100, hint="abc")]
    plan = s.plan_present(creds, UCS1, NOW, 30, current_secret="abcdef", current_secret_works=False)
    assert plan.action == "create" and plan.replaced_key_ids() == ["k1"]


def test_present_without_value_keeps_valid_secret_unknown():
    creds = [cred("k1", UCS1, 10), cred("k2", UCS1, 150)]
    plan = s.plan_present(creds, UCS1, NOW, 30)
    assert plan.action == "keep" and plan.keep["keyId"] == "k2" and not plan.needs_token_check


def test_present_without_value_creates_when_only_expiring():
    creds = [cred("k1", UCS1, 10), cred("k9", UCS2, 150)]
    plan = s.plan_present(creds, UCS1, NOW, 30)
    assert plan.action == "create" and plan.replaced_key_ids() == ["k1"]


def test_present_first_secret():
    plan = s.plan_present([], UCS1, NOW, 30)
    assert plan.action == "create" and plan.replaced == []


def test_shared_hint_picks_soonest_expiry():
    creds = [cred("long", UCS1, 150, hint="abc"), cred("short", UCS1, 20, hint="abc")]
    plan = s.plan_present(creds, UCS1, NOW, 30, current_secret="abc123")
    assert plan.action == "create"


def test_rotated_always_creates():
    creds = [cred("k1", UCS1, 150)]
    plan = s.plan_present(creds, UCS1, NOW, 30, current_secret="abcdef", force=True)
    assert plan.action == "create" and plan.replaced_key_ids() == ["k1"]


def test_exactly_rotate_before_days_left_rotates():
    assert not s.is_usable(cred("k", UCS1, 30), NOW, 30)
    assert s.is_usable(cred("k", UCS1, 31), NOW, 30)


def test_absent_by_consumer_keeps_keep_key_ids_and_others():
    creds = [cred("old", UCS1, 10), cred("new", UCS1, 180), cred("u2", UCS2, 10)]
    revoke = s.plan_absent(creds, name=UCS1, keep_key_ids=["new"])
    assert [c["keyId"] for c in revoke] == ["old"]


def test_absent_by_key_ids_only_those():
    creds = [cred("a", UCS1, 10), cred("b", UCS2, 10), cred("c", UCS2, 10)]
    assert [c["keyId"] for c in s.plan_absent(creds, key_ids=["b", "zzz"])] == ["b"]
    # with a consumer too, a key id of another consumer is not touched
    assert s.plan_absent(creds, name=UCS1, key_ids=["b"]) == []


def test_absent_never_the_deployed_secret():
    creds = [cred("a", UCS1, 10, hint="xyz"), cred("b", UCS1, 100, hint="abc")]
    assert [c["keyId"] for c in s.plan_absent(creds, name=UCS1, current_secret="abc999")] == ["a"]


def test_absent_without_consumer_or_key_ids_is_an_error():
    with pytest.raises(s.SecretDecisionError, match="key_ids or consumer"):
        s.plan_absent([cred("a", UCS1, 10)])


def test_public_credential_has_no_value():
    out = s.public_credential(dict(cred("k", UCS1, 40), secretText="nope"), NOW)
    assert out["days_left"] == 40 and "nope" not in str(out)


def test_secret_consumer_of_display_names():
    assert s.secret_consumer("procall-msteams: ucs1") == "ucs1"
    assert s.secret_consumer("acme: ucs1", "acme") == "ucs1"
    assert s.secret_consumer("procall-msteams") is None
    assert s.secret_consumer("procall-msteams: ") is None
    assert s.secret_consumer("hand made") is None
    assert s.secret_consumer(None) is None
    assert s.secret_consumer("procall-msteamsX: ucs1") is None


def test_orphans_are_per_consumer_secrets_of_no_inventory_host():
    creds = [
        cred("k1", UCS1, 100),
        cred("k2", UCS2, 50),
        cred("k3", "procall-msteams: old-ucs", 20),
        cred("k4", "procall-msteams: gone", 5),
        cred("k5", "procall-msteams", 10),
        cred("k6", "made by hand", 1),
    ]
    orphans = s.orphan_secrets(creds, ["ucs1", "ucs2"])
    assert [c["keyId"] for c in orphans] == ["k4", "k3"]
    assert orphans[0] is creds[3]


def test_orphans_with_public_fields_and_own_prefix():
    creds = [
        {"key_id": "a", "display_name": "acme: ucs1", "end_date": "2026-03-01T00:00:00Z"},
        {"key_id": "b", "display_name": "acme: ucs9", "end_date": "2026-02-01T00:00:00Z"},
        {"key_id": "c", "display_name": "procall-msteams: ucs9", "end_date": "2026-02-01T00:00:00Z"},
    ]
    assert [c["key_id"] for c in s.orphan_secrets(creds, [" ucs1 "], "acme")] == ["b"]


def test_orphans_none_when_every_consumer_is_in_the_inventory_or_no_secrets():
    assert s.orphan_secrets([cred("k1", UCS1, 3)], ["ucs1"]) == []
    assert s.orphan_secrets(None, ["ucs1"]) == []
    assert [c["keyId"] for c in s.orphan_secrets([cred("k1", UCS1, 3)], None)] == ["k1"]


def test_orphans_host_names_are_case_sensitive_and_missing_end_dates_last():
    creds = [{"keyId": "x", "displayName": "procall-msteams: UCS1"}, cred("y", "procall-msteams: z", 2)]
    assert [c["keyId"] for c in s.orphan_secrets(creds, ["ucs1"])] == ["y", "x"]


@pytest.mark.parametrize(
    ("rotate_before", "validity", "allowed"),
    [(0, 1, True), (179, 180, True), (180, 180, False), (200, 180, False), (-1, 180, False), (0, 0, False), (3649, 3650, True), (0, 3651, False)],
)
def test_rotation_settings_boundaries(rotate_before, validity, allowed):
    error = s.rotation_settings_error(rotate_before, validity, "msteams_secret_rotate_before_days", "msteams_secret_validity_days")
    assert (error is None) is allowed
    if not allowed and validity >= 1 and validity <= s.MAX_VALIDITY_DAYS:
        assert "msteams_secret_rotate_before_days (%d)" % rotate_before in error
        assert "smaller than msteams_secret_validity_days (%d)" % validity in error


def _rerun_after_rotation(rotate_before, validity, later):
    """Create a secret like entra_app_secret does (start = now without microseconds), rerun later."""
    start = NOW.replace(microsecond=0)
    new = {"keyId": "new", "displayName": UCS1, "hint": "abc", "endDateTime": d.format_graph_datetime(s.new_end_date(start, validity))}
    rerun = start + later
    with_value = s.plan_present([new], UCS1, rerun, rotate_before, current_secret="abc-the-new-value", current_secret_works=True)
    without_value = s.plan_present([new], UCS1, rerun, rotate_before)
    return with_value.action, without_value.action


@pytest.mark.parametrize("later", [datetime.timedelta(seconds=1), datetime.timedelta(hours=23, minutes=59)])
def test_every_allowed_pair_keeps_the_new_secret_on_rerun(later):
    # Every validity with the largest allowed rotate-before (the off-by-one case), and the
    # smallest one, at a rerun one second and almost one day after the rotation.
    for validity in range(1, s.MAX_VALIDITY_DAYS + 1):
        for rotate_before in sorted({0, validity - 1}):
            assert s.rotation_settings_error(rotate_before, validity) is None
            assert _rerun_after_rotation(rotate_before, validity, later) == ("keep", "keep"), (rotate_before, validity)


def test_largest_allowed_rotate_before_rotates_once_a_day_has_passed():
    assert _rerun_after_rotation(179, 180, datetime.timedelta(days=1)) == ("create", "create")
    assert _rerun_after_rotation(178, 180, datetime.timedelta(days=1)) == ("keep", "keep")


# -- overlapping runs and interrupted revokes ---------------------------------------------------------------


def started_at(key, name, minutes_ago, hint="abc", days=100):
    c = cred(key, name, days, hint)
    c["startDateTime"] = (NOW - datetime.timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return c


def test_plan_present_supersedes_only_what_the_consumer_ran():
    creds = [cred("k-run", UCS1, 10, "abc"), cred("k-other-run", UCS1, 180, "new"), cred("k2", UCS2, 10, "abc")]
    plan = s.plan_present(creds, UCS1, NOW, 30, current_secret="abc-deployed")
    assert plan.action == "create" and plan.superseded_key_ids() == ["k-run"]
    assert sorted(plan.replaced_key_ids()) == ["k-other-run", "k-run"], "replaced still lists every secret of the consumer"
    assert s.plan_present(creds, UCS1, NOW, 30, force=True).superseded_key_ids() == [], "nothing deployed: nothing superseded"
    assert s.plan_present(creds, UCS1, NOW, 30, current_secret="zzz-unknown").superseded_key_ids() == []


def test_plan_present_keeping_supersedes_nothing():
    plan = s.plan_present([cred("k1", UCS1, 100)], UCS1, NOW, 30, current_secret="abc-x", current_secret_works=True)
    assert plan.action == "keep" and plan.superseded_key_ids() == []


def test_kept_by_hint_exactly_one_usable_match():
    assert s.kept_by_hint([cred("k1", UCS1, 100), cred("k2", UCS2, 100)], UCS1, "abc-x", NOW, 30)["keyId"] == "k1"
    assert s.kept_by_hint([cred("k1", UCS1, 100), cred("k2", UCS1, 100)], UCS1, "abc-x", NOW, 30) is None, "ambiguous"
    assert s.kept_by_hint([cred("k1", UCS1, 30)], UCS1, "abc-x", NOW, 30) is None, "due"
    assert s.kept_by_hint([cred("k1", UCS1, 100, "xyz")], UCS1, "abc-x", NOW, 30) is None, "no match"
    assert s.kept_by_hint([cred("k1", UCS1, 100)], UCS1, None, NOW, 30) is None, "nothing deployed"


def test_stale_credentials_are_the_consumers_others_older_than_the_grace():
    running = started_at("k-run", UCS1, 120)
    creds = [running, started_at("k-left", UCS1, 600, "old"), started_at("k-young", UCS1, 30, "yng"), started_at("k2", UCS2, 600)]
    assert [c["keyId"] for c in s.stale_credentials(creds, UCS1, running, NOW, 60)] == ["k-left"], "never k-young, k2 or k-run"
    assert [c["keyId"] for c in s.stale_credentials(creds, UCS1, running, NOW, 0)] == ["k-left", "k-young"]


def test_stale_credentials_include_an_unused_newer_one():
    # Two overlapping runs deployed in the other order than they created: the host runs the older new secret.
    running = started_at("k-run", UCS1, 300)
    creds = [running, started_at("k-unused-newer", UCS1, 290, "new")]
    assert [c["keyId"] for c in s.stale_credentials(creds, UCS1, running, NOW, 60)] == ["k-unused-newer"]


def test_stale_credentials_wait_while_the_running_one_is_younger_than_the_grace():
    running = started_at("k-run", UCS1, 10)
    creds = [running, started_at("k-left", UCS1, 600, "old")]
    assert s.stale_credentials(creds, UCS1, running, NOW, 60) == []
    assert [c["keyId"] for c in s.stale_credentials(creds, UCS1, running, NOW, 5)] == ["k-left"]


def test_stale_credentials_for_a_secret_this_run_made():
    creds = [started_at("k-old", UCS1, 900), started_at("k-left", UCS1, 600), started_at("k-young", UCS1, 30)]
    assert [c["keyId"] for c in s.stale_credentials(creds, UCS1, None, NOW, 60)] == ["k-old", "k-left"]


def test_stale_credentials_never_an_undated_one():
    running = started_at("k-run", UCS1, 120)
    undated = dict(cred("k-nodate", UCS1, 10), startDateTime=None)
    assert s.stale_credentials([running, undated], UCS1, running, NOW, 60) == []
    assert s.stale_credentials([dict(running, startDateTime=None), started_at("k-left", UCS1, 600)], UCS1, dict(running, startDateTime=None), NOW, 60) == []


def test_replaced_credentials_are_the_others_that_still_work():
    running = started_at("k-run", UCS1, 120)
    creds = [running, started_at("k-left", UCS1, 600), started_at("k-expired", UCS1, 900, days=-1), started_at("k-newer", UCS1, 30), started_at("k2", UCS2, 9)]
    assert [c["keyId"] for c in s.replaced_credentials(creds, UCS1, running, NOW)] == ["k-left", "k-newer"]
    assert s.replaced_credentials(creds, UCS1, None, NOW) == []


def test_graph_credential_reads_the_public_form():
    public = {"key_id": "k1", "display_name": UCS1, "hint": "abc", "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-07-01T00:00:00Z"}
    assert s.graph_credential(public) == {
        "keyId": "k1",
        "displayName": UCS1,
        "hint": "abc",
        "startDateTime": "2026-01-01T00:00:00Z",
        "endDateTime": "2026-07-01T00:00:00Z",
    }
    assert s.graph_credential(cred("k1", UCS1, 1))["keyId"] == "k1"


def test_absent_with_the_running_value_never_revokes_what_the_host_runs():
    # The revoke after a deployment: key ids this run chose, the value the host runs now as current_secret.
    creds = [cred("k-old", UCS1, 10, "old"), cred("k-now", UCS1, 180, "now")]
    chosen = s.plan_absent(creds, UCS1, key_ids=["k-old", "k-now"], current_secret="now-running-value")
    assert [c["keyId"] for c in chosen] == ["k-old"]
