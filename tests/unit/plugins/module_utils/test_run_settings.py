"""Inputs of onboard and rotate_secret: a host's settings from its inventory variables, the leaders."""

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _run_settings as rs

TENANT = "11111111-2222-3333-4444-555555555555"


def settings(**variables):
    base = {"msteams_tenant_id": TENANT, "msteams_tenant_name": "contoso"}
    base.update(variables)
    return rs.host_settings("ucs1", base)


def test_settings_with_defaults():
    s = settings()
    assert s["proceed"] and s["targeted"] and s["tenant"] == "contoso"
    assert s["app_unique_name"] == "procall-msteams" and s["app_key"] == TENANT + "/procall-msteams"
    assert (s["rotate_before_days"], s["validity_days"]) == (30, 180)


def test_settings_from_the_inventory():
    s = settings(msteams_tenant_name=None, msteams_app_unique_name="Own-App", msteams_secret_rotate_before_days="35", msteams_secret_validity_days=90)
    assert s["tenant"] == TENANT and s["app_key"] == TENANT + "/own-app"
    assert (s["rotate_before_days"], s["validity_days"]) == (35, 90)


@pytest.mark.parametrize("tenant", [None, "", "  "])
def test_settings_without_a_tenant_fail_the_host_not_the_run(tenant):
    s = rs.host_settings("ucs1", {"msteams_tenant_id": tenant})
    assert not s["proceed"] and s["app_key"] == "" and s["tenant"] == "?"
    assert s["outcome"] == {"status": "failed", "reason": "ucs1 has no msteams_tenant_id: set it in the group_vars of its tenant group (docs/inventory.md)."}


@pytest.mark.parametrize(("value", "words"), [("soon", "must be a whole number of days"), (-1, "must not be negative")])
def test_settings_with_bad_days_name_the_variable(value, words):
    s = settings(msteams_secret_validity_days=value)
    assert not s["proceed"] and s["outcome"]["status"] == "failed"
    assert s["outcome"]["reason"].startswith("ucs1: msteams_secret_validity_days " + words)


def test_leaders_first_host_per_key_and_none_for_empty_keys():
    leaders = rs.elect_leaders([("a", "t/x"), ("b", ""), ("c", "t/x"), ("d", "t/y")])
    assert leaders == {"t/x": "a", "t/y": "d"}


@pytest.mark.parametrize(
    ("rotate_before", "validity", "proceed"), [("200", None, False), (180, 180, False), (179, 180, True), (None, "30", False), (0, 1, True)]
)
def test_rotation_pair_is_checked_where_the_variables_are_read(rotate_before, validity, proceed):
    variables = {"msteams_tenant_id": "t1", "msteams_secret_rotate_before_days": rotate_before, "msteams_secret_validity_days": validity}
    settings = rs.host_settings("ucs1", variables)
    assert settings["proceed"] is proceed
    if not proceed:
        reason = settings["outcome"]["reason"]
        assert reason.startswith("ucs1: msteams_secret_rotate_before_days (")
        assert "smaller than msteams_secret_validity_days (" in reason


@pytest.mark.parametrize(("value", "words"), [("soon", "from 0 to 10080"), (-1, "from 0 to 10080, not -1"), (10081, "not 10081")])
def test_settings_with_a_bad_grace_name_the_variable(value, words):
    s = settings(msteams_secret_revoke_grace_minutes=value)
    assert not s["proceed"] and s["outcome"]["reason"].startswith("ucs1: msteams_secret_revoke_grace_minutes must be a whole number of minutes")
    assert words in s["outcome"]["reason"]
    assert "soon" not in s["outcome"]["reason"], "a text value is never echoed (it may be a secret in the wrong variable)"


def test_settings_grace_and_health_check_defaults_and_values():
    s = settings()
    assert (s["revoke_grace_minutes"], s["health_check"]) == (60, False)
    s = settings(msteams_secret_revoke_grace_minutes="0", msteams_secret_health_check=True)
    assert (s["revoke_grace_minutes"], s["health_check"]) == (0, True)
    assert settings(msteams_secret_health_check="off")["health_check"] is False


def test_settings_with_a_bad_health_check_name_the_variable():
    s = settings(msteams_secret_health_check="sometimes")
    assert not s["proceed"] and s["outcome"]["reason"] == "ucs1: msteams_secret_health_check must be true or false (yes/no, on/off, 1/0)"
