# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``ucserver`` role's input rules (its preflight), as pure functions.

For internal collection use only: the action plugins ``procall.msteams.ucserver_preflight``
and ``procall.msteams.ucserver_read`` call these. Nothing here does I/O.

Rules of this file:
- an unset optional value is ``None`` or ``''``: before ansible-core 2.19 a variable set to
  ``null`` renders as ``''`` wherever it is templated on its own, so both mean "unset";
- an error names the option and the allowed values, never the value given (it could be the
  secret put into the wrong variable).
"""

from __future__ import annotations

import re

from ansible_collections.procall.msteams.plugins.module_utils._flags import FLAG_VALUES, read_flag
from ansible_collections.procall.msteams.plugins.module_utils._msteams_cfg import MsteamsCfgError, is_guid, to_flag

# msteams.cfg's iLogLevel and iPollingRate have no documented range (vendor defaults 4 and 5):
# these bounds catch typos (a log level of 10^12, a polling rate of 0 that would poll Graph
# without pause) and are wide enough for any value the admin GUI offers.
LOG_LEVEL_RANGE = (0, 10)
POLLING_RATE_RANGE = (1, 3600)
SERVICE_TIMEOUT_RANGE = (1, 3600)
BACKUPS_KEEP_RANGE = (1, 100)
ACL_MODES = ("write", "always", "never")

_DRIVE_PATH = re.compile(r"^[A-Za-z]:\\")
# A Windows service name or process image name: no path separators, no wildcards.
_PLAIN_NAME = re.compile(r"^[^\\/:*?\"<>|]+$")


class RoleInputError(ValueError):
    """One or more role inputs are wrong; ``str()`` is one sentence per problem."""


def is_unset(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def to_bool(value, name):
    flag = read_flag(value)
    if flag is None:
        raise RoleInputError(f"{name} must be {FLAG_VALUES}.")
    return flag


def to_whole(value, name, bounds, unit=""):
    """A whole number (also given as text, as ``-e name=7`` gives it) within ``bounds``."""
    low, high = bounds
    allowed = f"a whole number from {low} to {high}{unit}"
    if isinstance(value, bool):
        raise RoleInputError(f"{name} must be {allowed}.")
    if isinstance(value, str) and re.match(r"^\s*-?\d{1,20}\s*$", value):
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        raise RoleInputError(f"{name} must be {allowed}.")
    return value


def check_install_dir(value, name="ucserver_install_dir"):
    """'' (find it from the service), else a local absolute path like ``D:\\UCServer``."""
    if is_unset(value):
        return ""
    if not isinstance(value, str) or not _DRIVE_PATH.match(value.strip()) or ".." in value.split("\\"):
        raise RoleInputError(
            f"{name} must be a local folder with a drive letter, such as D:\\UCServer (not a UNC path \\\\server\\share, "
            "not a relative path), or empty to find it from the UCServer service."
        )
    return value.strip().rstrip("\\")


def _check_name(value, name, default):
    if not isinstance(value, str) or not value.strip() or not _PLAIN_NAME.match(value.strip()):
        raise RoleInputError(f"{name} must be a plain name without path or wildcards (default {default}).")
    return value.strip()


def check_service_name(value, name="ucserver_service_name"):
    """The Windows service name of UCServer (default eucsrv): a plain name, never a path or wildcard."""
    return _check_name(value, name, "eucsrv")


def _optional(params, key, convert):
    value = params.get(key)
    return None if is_unset(value) else convert(value)


def check_inputs(params):
    """Role variables (without the ``ucserver_`` prefix) -> normalised settings, no secret in them.

    Raises ``RoleInputError`` listing every problem at once, so one run shows all of them.
    """
    problems = []

    def take(func):
        try:
            return func()
        except (RoleInputError, MsteamsCfgError) as exc:
            problems.append(str(exc))
            return None

    def guid(key, what):
        if not is_guid(params.get(key)):
            raise RoleInputError(
                f"ucserver_{key} must be the {what} of the app registration as a GUID (8-4-4-4-12 hex digits, Azure portal, "
                "app registration, Overview); a domain name is not accepted here."
            )
        return params[key].strip()

    def secret():
        value = params.get("client_secret")
        if not isinstance(value, str) or not value.strip():
            raise RoleInputError("ucserver_client_secret must be the non-empty client secret value (for example from a vault).")

    def flag(key):
        return _optional(params, key, lambda v: to_flag(v, f"ucserver_{key}"))

    settings = {
        "tenant_id": take(lambda: guid("tenant_id", "directory (tenant) id")),
        "client_id": take(lambda: guid("client_id", "application (client) id")),
        "get_from_teams": take(lambda: flag("get_from_teams")),
        "send_to_teams": take(lambda: flag("send_to_teams")),
        "log_level": take(lambda: _optional(params, "log_level", lambda v: to_whole(v, "ucserver_log_level", LOG_LEVEL_RANGE, " (vendor default 4)"))),
        "polling_rate": take(
            lambda: _optional(params, "polling_rate", lambda v: to_whole(v, "ucserver_polling_rate", POLLING_RATE_RANGE, " seconds (vendor default 5)"))
        ),
        "force_reset": take(lambda: False if is_unset(params.get("force_reset")) else to_bool(params["force_reset"], "ucserver_force_reset")),
    }
    take(secret)
    service = {
        "install_dir": take(lambda: check_install_dir(params.get("install_dir"))),
        "service_name": take(lambda: check_service_name(params.get("service_name", "eucsrv"))),
        "admin_gui_process": take(lambda: _check_name(params.get("admin_gui_process", "SrvAdm"), "ucserver_admin_gui_process", "SrvAdm")),
        "service_timeout": take(lambda: to_whole(params.get("service_timeout", 120), "ucserver_service_timeout", SERVICE_TIMEOUT_RANGE, " seconds")),
        "backups_keep": take(lambda: to_whole(params.get("backups_keep", 5), "ucserver_backups_keep", BACKUPS_KEEP_RANGE)),
        "service_account": take(lambda: _optional(params, "service_account", _check_account)),
        "file_acl": take(lambda: _check_choice(params.get("file_acl") or "write", "ucserver_file_acl", ACL_MODES)),
        "allow_unencrypted_winrm": take(
            lambda: False if is_unset(params.get("allow_unencrypted_winrm")) else to_bool(params["allow_unencrypted_winrm"], "ucserver_allow_unencrypted_winrm")
        ),
    }
    if problems:
        raise RoleInputError(" ".join(problems))
    return {"cfg": settings, **service}


def _check_account(value):
    if not isinstance(value, str) or not re.match(r"^[^/:*?\"<>|]+$", value.strip()):
        raise RoleInputError("ucserver_service_account must be an account name such as NT AUTHORITY\\LocalService or .\\ucsvc, or empty.")
    return value.strip()


def _check_choice(value, name, choices):
    if value not in choices:
        raise RoleInputError(f"{name} must be one of {', '.join(choices)}.")
    return value


# -- the connection -------------------------------------------------------------------------
# pywinrm encrypts WinRM messages over http only with NTLM, Kerberos or CredSSP
# (https://docs.ansible.com/ansible/latest/os_guide/windows_winrm.html#winrm-encryption);
# basic ("plaintext"), certificate and ssl over http send the body, and so the secret, in clear.
_ENCRYPTING_AUTH = ("ntlm", "kerberos", "credssp", "negotiate")


def _as_list(value):
    if is_unset(value):
        return []
    if isinstance(value, str):
        return [v.strip().lower() for v in value.split(",") if v.strip()]
    return [str(v).strip().lower() for v in value]


def _port(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def unencrypted_transport(conn):
    """-> None when the connection protects the secret, else a short description of why not.

    ``conn``: ``connection`` (the plugin name) and the host's ``ansible_winrm_*`` /
    ``ansible_psrp_*`` settings without the ``ansible_`` prefix, plus ``port``. Other
    connections (ssh, local, the test simulator) are not WinRM and are not judged here.
    """
    name = str(conn.get("connection") or "").rsplit(".", 1)[-1].lower()
    if name == "winrm":
        port = _port(conn.get("port"), 5986)
        scheme = str(conn.get("winrm_scheme") or ("http" if port == 5985 else "https")).lower()
        encryption = str(conn.get("winrm_message_encryption") or "auto").lower()
        # Ansible's default transport over http is "plaintext" (basic auth), plus Kerberos first
        # when the user is user@REALM and pykerberos is installed.
        transports = _as_list(conn.get("winrm_transport")) or ["plaintext"]
    elif name == "psrp":
        port = _port(conn.get("port"), 5986)
        scheme = str(conn.get("psrp_protocol") or ("http" if port == 5985 else "https")).lower()
        encryption = str(conn.get("psrp_message_encryption") or "auto").lower()
        transports = _as_list(conn.get("psrp_auth")) or ["negotiate"]
    else:
        return None
    if scheme == "https":
        return None
    if encryption == "never":
        return f"{name} over http with message encryption turned off"
    if encryption == "always":
        return None
    clear = [t for t in transports if t not in _ENCRYPTING_AUTH]
    if clear:
        return f"{name} over http with {'/'.join(clear)} authentication, which does not encrypt messages"
    return None


def check_transport(conn, allowed):
    """Raise ``RoleInputError`` for an unencrypted WinRM connection unless ``allowed``."""
    why = unencrypted_transport(conn)
    if why and not allowed:
        raise RoleInputError(
            f"The connection to this host is {why}: the client secret would cross the network in clear. Use https "
            "(ansible_winrm_scheme: https, port 5986) or NTLM/Kerberos/CredSSP with message encryption, "
            "or set ucserver_allow_unencrypted_winrm: true to accept this."
        )
    return why
