"""The filters are thin: they pass options through and turn input errors into filter errors."""

import base64

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.procall.msteams.plugins.filter.msteams_cfg import FilterModule

F = FilterModule().filters()
TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def test_merge_from_slurp_base64():
    plan = F["msteams_cfg_merge"](base64.b64encode(b"{}").decode(), TENANT, CLIENT, "x", encoding="base64", force_reset="")
    assert plan["reason"] == "other_app" and plan["values"]["u8sClientSecret"] == "x"


def test_bad_input_is_a_filter_error_without_the_secret():
    with pytest.raises(AnsibleFilterError, match="ucserver_client_id") as err:
        F["msteams_cfg_merge"](None, TENANT, "bad", "the-secret")
    assert "the-secret" not in str(err.value)


def test_masked_filter_is_gone():
    assert "msteams_cfg_masked" not in F  # dead since the diff comes from the plan (issue: decisions in Python)


def test_role_filters_pass_through():
    assert F["ucserver_old_backups"]([{"filename": "a"}, {"filename": "b"}], 1) == [{"filename": "a"}]


def test_read_filters_are_gone():
    # The read is one action since the one-round-trip probe (procall.msteams.ucserver_read).
    for name in ("ucserver_location", "ucserver_read_problem", "ucserver_current", "ucserver_current_secret"):
        assert name not in F


def test_install_dir_and_summary():
    assert F["msteams_install_dir"]('"C:\\X\\eucsrv.exe"') == "C:\\X"
    assert F["msteams_cfg_summary"](None)["config_present"] is False
    assert F["msteams_cfg_parse"]("{")["state"] == "invalid"
