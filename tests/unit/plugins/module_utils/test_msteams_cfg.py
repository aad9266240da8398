"""The msteams.cfg merge: every decision of the role's Windows side, without I/O."""

import base64
import codecs
import json

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _msteams_cfg as m

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
OTHER = "99999999-8888-7777-6666-555555555555"
SECRET = "s3cr3t~value"


def vendor_file(**over):
    values = dict(m.VENDOR_DEFAULTS, u8sTenant=TENANT, u8sClientID=CLIENT, u8sClientSecret="old-secret")
    values.update(over)
    return m.render_cfg(values)


def merge(current, **kw):
    args = dict(tenant_id=TENANT, client_id=CLIENT, client_secret=SECRET)
    args.update(kw)
    return m.merge_cfg(current, **args)


def test_no_file_gives_the_vendor_template():
    plan = merge(None)
    assert plan["changed"] and plan["reason"] == "absent" and plan["mode"] == "reset"
    assert list(plan["values"]) == list(m.VENDOR_KEYS)
    assert plan["values"]["bEnabled"] == 0 and plan["values"]["u8sTokenCache"] == ""
    assert plan["values"]["u8sClientSecret"] == SECRET
    assert plan["user_consent_pending"] and not plan["integration_enabled"]
    assert plan["diff"]["before"] == ""


def test_same_app_new_secret_changes_only_the_secret():
    current = vendor_file(bEnabled=1, u8sTokenCache="TOKENS", iLogLevel=6, zUnknown={"a": 1})
    plan = merge(current)
    assert plan["changed"] and plan["reason"] == "same_app" and plan["mode"] == "update"
    assert plan["changed_keys"] == ["u8sClientSecret"]
    assert plan["values"]["bEnabled"] == 1 and plan["values"]["u8sTokenCache"] == "TOKENS"
    assert plan["values"]["iLogLevel"] == 6 and plan["values"]["zUnknown"] == {"a": 1}
    assert plan["integration_enabled"] and not plan["user_consent_pending"]


def test_same_app_ids_compare_case_insensitively():
    plan = merge(vendor_file(u8sClientSecret=SECRET, u8sTenant=TENANT.upper()))
    assert plan["reason"] == "same_app"


def test_converged_file_is_unchanged_even_with_other_formatting_and_bom():
    values = dict(m.VENDOR_DEFAULTS, u8sTenant=TENANT, u8sClientID=CLIENT, u8sClientSecret=SECRET, bEnabled=1)
    text = "\ufeff" + json.dumps(values, indent=2)
    plan = merge(text)
    assert not plan["changed"] and plan["changed_keys"] == []
    raw = codecs.BOM_UTF8 + json.dumps(values).encode()
    assert not merge(base64.b64encode(raw).decode(), encoding="base64")["changed"]


def test_explicit_keys_are_set_as_integers():
    plan = merge(vendor_file(u8sClientSecret=SECRET), get_from_teams=False, send_to_teams="1", log_level="7", polling_rate=10)
    assert plan["changed_keys"] == ["bGetFromTeams", "iLogLevel", "iPollingRate"]
    assert plan["values"]["bGetFromTeams"] == 0 and not isinstance(plan["values"]["bGetFromTeams"], bool)
    assert plan["values"]["bSendToTeams"] == 1 and plan["values"]["iLogLevel"] == 7
    assert '"bGetFromTeams" : 0' in plan["content"]


def test_json_booleans_become_vendor_integers():
    plan = merge(vendor_file(u8sClientSecret=SECRET, bEnabled=True))
    assert plan["changed"] and plan["changed_keys"] == ["bEnabled"]
    assert plan["values"]["bEnabled"] == 1 and not isinstance(plan["values"]["bEnabled"], bool)


def test_another_app_resets_to_the_template():
    plan = merge(vendor_file(u8sClientID=OTHER, bEnabled=1, u8sTokenCache="TOKENS", zUnknown=1))
    assert plan["reason"] == "other_app" and plan["mode"] == "reset"
    assert plan["values"]["bEnabled"] == 0 and plan["values"]["u8sTokenCache"] == ""
    assert "zUnknown" not in plan["values"]
    assert {"bEnabled", "u8sClientID", "u8sClientSecret", "u8sTokenCache", "zUnknown"} <= set(plan["changed_keys"])


def test_force_reset_resets_the_same_app():
    plan = merge(vendor_file(u8sClientSecret=SECRET, bEnabled=1, u8sTokenCache="T"), force_reset=True)
    assert plan["reason"] == "force_reset" and plan["values"]["bEnabled"] == 0 and plan["values"]["u8sTokenCache"] == ""


@pytest.mark.parametrize("broken", ["{not json", "", "[1, 2]", b"\xff\xfe{}"])
def test_invalid_file_is_replaced_with_a_warning(broken):
    plan = merge(broken)
    assert plan["changed"] and plan["reason"] == "invalid" and plan["current_state"] == "invalid"
    assert plan["warnings"] and "backed up" in plan["warnings"][0]
    assert plan["values"]["bEnabled"] == 0
    assert plan["diff"]["before"].startswith("<msteams.cfg is ")


def test_key_order_vendor_first_unknown_after_and_style():
    current = json.dumps({"zExtra": 1, "u8sTokenCache": "T", "u8sClientSecret": "x", "u8sClientID": CLIENT, "u8sTenant": TENANT, "bEnabled": 1})
    plan = merge(current)
    assert list(plan["values"]) == [*m.VENDOR_KEYS, "zExtra"]
    lines = plan["content"].splitlines()
    assert lines[0] == "{" and lines[1] == '   "bEnabled" : 1,' and lines[-1] == "}"
    assert plan["content"].encode("utf-8")[:3] != codecs.BOM_UTF8
    assert json.loads(plan["content"]) == plan["values"]


def test_non_ascii_secret_is_written_as_utf8():
    plan = merge(None, client_secret="Clientschlüssel")
    assert "Clientschlüssel" in plan["content"]


def test_diff_masks_secrets_changed_and_unchanged():
    plan = merge(vendor_file(u8sTokenCache="TOKENS"))
    assert SECRET not in json.dumps(plan["diff"]) and "old-secret" not in json.dumps(plan["diff"])
    assert "TOKENS" not in json.dumps(plan["diff"])
    assert '"u8sClientSecret" : "REDACTED"' in plan["diff"]["before"]
    assert '"u8sClientSecret" : "CHANGED REDACTED"' in plan["diff"]["after"]
    assert '"u8sTokenCache" : "REDACTED"' in plan["diff"]["after"]
    same = merge(vendor_file(u8sClientSecret=SECRET))
    assert '"u8sClientSecret" : "REDACTED"' in same["diff"]["after"]


@pytest.mark.parametrize(
    ("kw", "word"),
    [
        ({"tenant_id": "contoso.com"}, "ucserver_tenant_id"),
        ({"client_id": "nope"}, "ucserver_client_id"),
        ({"client_secret": " "}, "ucserver_client_secret"),
        ({"get_from_teams": 2}, "ucserver_get_from_teams"),
        ({"log_level": "high"}, "ucserver_log_level"),
        ({"polling_rate": True}, "ucserver_polling_rate"),
    ],
)
def test_bad_input_is_one_clear_sentence(kw, word):
    with pytest.raises(m.MsteamsCfgError, match=word):
        merge(None, **kw)


def test_summary_has_no_secret():
    summary = m.summarize_cfg(vendor_file(bEnabled=1, u8sTokenCache="T"))
    assert summary == {
        "config_present": True,
        "config_valid": True,
        "config_error": None,
        "tenant_id": TENANT,
        "client_id": CLIENT,
        "integration_enabled": True,
        "user_consent_pending": False,
        "secret_present": True,
    }
    assert m.summarize_cfg(None)["config_present"] is False
    assert m.summarize_cfg("{")["config_valid"] is False


@pytest.mark.parametrize(
    ("path", "folder"),
    [
        ('"C:\\Program Files\\estos\\UCServer\\eucsrv.exe" -service', "C:\\Program Files\\estos\\UCServer"),
        ("C:\\PROGRA~1\\estos\\UCServer\\eucsrv.exe", "C:\\PROGRA~1\\estos\\UCServer"),
        ("D:\\UC Server\\eucsrv.exe /run", "D:\\UC Server"),
        ("", ""),
        ("eucsrv.exe", ""),
    ],
)
def test_install_dir_from_binary_path(path, folder):
    assert m.install_dir_from_binary_path(path) == folder
