"""The ucserver role's preflight rules, branch by branch (module_utils/_ucserver_input.py)."""

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_input as m

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SECRET = "Sup3r~Secret.value"


def check(**over):
    params = {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET}
    params.update(over)
    return m.check_inputs(params)


def problem(**over):
    with pytest.raises(m.RoleInputError) as err:
        check(**over)
    return str(err.value)


def test_defaults_and_unset_values():
    settings = check()
    assert settings["cfg"] == {
        "tenant_id": TENANT, "client_id": CLIENT, "get_from_teams": None, "send_to_teams": None,
        "log_level": None, "polling_rate": None, "force_reset": False,
    }  # fmt: skip
    assert settings["install_dir"] == "" and settings["service_name"] == "eucsrv" and settings["admin_gui_process"] == "SrvAdm"
    assert settings["service_timeout"] == 120 and settings["backups_keep"] == 5 and settings["service_account"] is None
    assert settings["file_acl"] == "write" and settings["allow_unencrypted_winrm"] is False
    assert SECRET not in repr(settings)


@pytest.mark.parametrize("unset", [None, "", "  "])
def test_null_rendered_as_empty_string_before_core_2_19_means_unset(unset):
    settings = check(get_from_teams=unset, send_to_teams=unset, log_level=unset, polling_rate=unset, force_reset=unset, service_account=unset)
    assert settings["cfg"]["get_from_teams"] is None and settings["cfg"]["log_level"] is None
    assert settings["cfg"]["force_reset"] is False and settings["service_account"] is None


@pytest.mark.parametrize(("given", "flag"), [(True, 1), (False, 0), (1, 1), (0, 0), ("yes", 1), ("no", 0), ("True", 1), (" 0 ", 0)])
def test_flags_take_what_to_flag_takes(given, flag):
    assert check(get_from_teams=given, send_to_teams=given)["cfg"]["get_from_teams"] == flag


def test_a_bad_flag_names_the_option_without_its_value():
    text = problem(send_to_teams="maybe-" + SECRET)
    assert "ucserver_send_to_teams must be true or false (yes/no, on/off, 1/0)" in text and SECRET not in text


@pytest.mark.parametrize(
    ("key", "value", "want"), [("log_level", "7", 7), ("log_level", 0, 0), ("log_level", 10, 10), ("polling_rate", 1, 1), ("polling_rate", "3600", 3600)]
)
def test_whole_numbers_in_range_also_as_text(key, value, want):
    assert check(**{key: value})["cfg"][key] == want


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("log_level", 10**12, "ucserver_log_level must be a whole number from 0 to 10"),
        ("log_level", -1, "from 0 to 10"),
        ("log_level", True, "ucserver_log_level"),
        ("log_level", "4.5", "ucserver_log_level"),
        ("polling_rate", 0, "ucserver_polling_rate must be a whole number from 1 to 3600 seconds"),
        ("service_timeout", 0, "ucserver_service_timeout must be a whole number from 1 to 3600 seconds"),
        ("backups_keep", 0, "ucserver_backups_keep must be a whole number from 1 to 100"),
        ("backups_keep", "5x", "ucserver_backups_keep"),
    ],
)
def test_numbers_out_of_range_name_the_option_and_range(key, value, allowed):
    assert allowed in problem(**{key: value})


@pytest.mark.parametrize("key", ["tenant_id", "client_id"])
@pytest.mark.parametrize("value", [SECRET, "contoso.onmicrosoft.com", None, 42])
def test_ids_must_be_guids_and_are_never_echoed(key, value):
    text = problem(**{key: value})
    assert f"ucserver_{key} must be the" in text and "GUID" in text and SECRET not in text


def test_guid_is_trimmed():
    assert check(tenant_id=f"  {TENANT} ")["cfg"]["tenant_id"] == TENANT


@pytest.mark.parametrize("value", ["", "   ", None, 5])
def test_secret_must_be_a_non_empty_string(value):
    assert "ucserver_client_secret must be the non-empty client secret" in problem(client_secret=value)


def test_every_problem_at_once():
    text = problem(tenant_id="x", log_level=99, polling_rate=0)
    assert "ucserver_tenant_id" in text and "ucserver_log_level" in text and "ucserver_polling_rate" in text


@pytest.mark.parametrize(("given", "want"), [("D:\\UCServer", "D:\\UCServer"), ("c:\\x\\", "c:\\x"), ("", "")])
def test_install_dir_local_drive_path(given, want):
    assert check(install_dir=given)["install_dir"] == want


@pytest.mark.parametrize("given", ["\\\\server\\share\\UCServer", "//server/share", "UCServer", "C:relative", "C:\\a\\..\\b", 7])
def test_install_dir_unc_or_relative_is_refused(given):
    assert "ucserver_install_dir must be a local folder with a drive letter" in problem(install_dir=given)


@pytest.mark.parametrize(("key", "value"), [("service_name", ""), ("service_name", "a\\b"), ("admin_gui_process", "*"), ("admin_gui_process", None)])
def test_names_must_be_plain(key, value):
    assert f"ucserver_{key} must be a plain name" in problem(**{key: value})


def test_service_account_and_acl_mode():
    assert check(service_account=" .\\ucsvc ")["service_account"] == ".\\ucsvc"
    assert "ucserver_service_account must be an account name" in problem(service_account="a:b")
    assert check(file_acl="always")["file_acl"] == "always"
    assert "ucserver_file_acl must be one of write, always, never" in problem(file_acl="sometimes")


@pytest.mark.parametrize(("given", "want"), [("yes", True), ("off", False), (1, True), (False, False)])
def test_booleans(given, want):
    assert check(force_reset=given)["cfg"]["force_reset"] is want
    assert check(allow_unencrypted_winrm=given)["allow_unencrypted_winrm"] is want


def test_bad_boolean():
    assert "ucserver_force_reset must be true or false" in problem(force_reset="perhaps")


@pytest.mark.parametrize(
    ("conn", "clear"),
    [
        ({"connection": "ssh"}, False),
        ({"connection": "ucsim.host.simhost"}, False),
        ({"connection": "winrm"}, False),  # port 5986, https
        ({"connection": "ansible.builtin.winrm", "port": 5985}, True),  # http + default plaintext
        ({"connection": "winrm", "port": "5985", "winrm_transport": "ntlm"}, False),
        ({"connection": "winrm", "winrm_scheme": "http", "winrm_transport": ["kerberos", "ntlm"]}, False),
        ({"connection": "winrm", "winrm_scheme": "http", "winrm_transport": "ntlm,basic"}, True),
        ({"connection": "winrm", "winrm_scheme": "http", "winrm_transport": "ntlm", "winrm_message_encryption": "never"}, True),
        ({"connection": "winrm", "winrm_scheme": "http", "winrm_transport": "basic", "winrm_message_encryption": "always"}, False),
        ({"connection": "winrm", "winrm_scheme": "HTTPS", "winrm_transport": "basic"}, False),
        ({"connection": "psrp"}, False),
        ({"connection": "psrp", "port": 5985}, False),  # negotiate encrypts
        ({"connection": "psrp", "psrp_protocol": "http", "psrp_auth": "basic"}, True),
        ({"connection": "psrp", "psrp_protocol": "http", "psrp_message_encryption": "never"}, True),
        ({"connection": "winrm", "port": "not a port", "winrm_scheme": None}, False),
    ],
)
def test_unencrypted_transport(conn, clear):
    assert (m.unencrypted_transport(conn) is not None) is clear


def test_unencrypted_winrm_is_refused_unless_allowed():
    conn = {"connection": "winrm", "port": 5985}
    with pytest.raises(m.RoleInputError, match="ucserver_allow_unencrypted_winrm: true"):
        m.check_transport(conn, allowed=False)
    assert "plaintext" in m.check_transport(conn, allowed=True)
    assert m.check_transport({"connection": "winrm"}, allowed=False) is None
