# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The msteams.cfg decisions of the ``ucserver`` role, as pure functions.

For internal collection use only: the filter plugins in ``plugins/filter/msteams_cfg.py``
expose these to the role. Nothing here does I/O, so every decision is unit-tested.

Facts used (the vendor procedure, docs/vendor-procedure.md, and the vendor's support pages):
- the vendor file: nine keys in a fixed order, flags as the integers 0/1, ``u8s...`` strings,
  3-space indented JSON with ``"key" : value``;
- ``u8sTokenCache`` comes from a person's user consent ("Commission in the admin GUI"): a secret renewal must keep it;
- encoding is not documented: read UTF-8 with or without BOM, write UTF-8 without BOM.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import re

from ansible_collections.procall.msteams.plugins.module_utils._flags import FLAG_VALUES, read_flag

# Key order and defaults of the vendor's own file ("Write msteams.cfg" in docs/vendor-procedure.md).
VENDOR_KEYS = (
    "bEnabled",
    "bGetFromTeams",
    "bSendToTeams",
    "iLogLevel",
    "iPollingRate",
    "u8sTenant",
    "u8sClientID",
    "u8sClientSecret",
    "u8sTokenCache",
)
VENDOR_DEFAULTS = {
    "bEnabled": 0,
    "bGetFromTeams": 1,
    "bSendToTeams": 1,
    "iLogLevel": 4,
    "iPollingRate": 5,
    "u8sTenant": "",
    "u8sClientID": "",
    "u8sClientSecret": "",
    "u8sTokenCache": "",
}
FLAG_KEYS = ("bEnabled", "bGetFromTeams", "bSendToTeams")
INT_KEYS = ("iLogLevel", "iPollingRate")
# The token cache holds refresh tokens from the user consent: as secret as the client secret.
SECRET_KEYS = ("u8sClientSecret", "u8sTokenCache")
MASK = "REDACTED"
MASK_CHANGED = "CHANGED REDACTED"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class MsteamsCfgError(ValueError):
    """An input the role must reject with one clear sentence."""


def is_guid(value) -> bool:
    return isinstance(value, str) and bool(_GUID.match(value.strip()))


def to_flag(value, name):
    """A switch (``_flags.read_flag``) -> the integer 0 or 1 the vendor file uses."""
    flag = read_flag(value)
    if flag is None:
        raise MsteamsCfgError(f"{name} must be {FLAG_VALUES}.")
    return int(flag)


def to_int(value, name):
    if isinstance(value, bool):
        raise MsteamsCfgError(f"{name} must be a whole number.")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r"^\s*-?\d+\s*$", value):
        return int(value)
    raise MsteamsCfgError(f"{name} must be a whole number.")


def decode_current(current, encoding="text"):
    """The raw file content as text, or None when there is no file.

    ``encoding='base64'`` takes the ``content`` of ``ansible.windows.slurp``. Raises
    UnicodeDecodeError for bytes that are not UTF-8 (the caller treats that as not valid).
    """
    if current is None:
        return None
    if encoding == "base64":
        try:
            raw = base64.b64decode(current, validate=True)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise MsteamsCfgError(f"the current msteams.cfg content is not base64: {exc}") from None
        return raw.decode("utf-8-sig")
    if encoding != "text":
        raise MsteamsCfgError(f"encoding must be 'text' or 'base64', not {encoding!r}.")
    if isinstance(current, bytes):
        return current.decode("utf-8-sig")
    return current


def parse_cfg(current, encoding="text"):
    """-> dict(state='absent'|'valid'|'invalid', values=dict|None, error=str|None, bom=bool)."""
    try:
        text = decode_current(current, encoding)
    except UnicodeDecodeError as exc:
        return {"state": "invalid", "values": None, "error": f"not UTF-8 ({exc.reason})", "bom": False}
    if text is None:
        return {"state": "absent", "values": None, "error": None, "bom": False}
    bom = text.startswith(codecs.BOM_UTF8.decode("utf-8"))
    if bom:
        text = text[1:]
    try:
        values = json.loads(text)
    except ValueError as exc:
        return {"state": "invalid", "values": None, "error": f"not valid JSON ({exc})", "bom": bom}
    if not isinstance(values, dict):
        return {"state": "invalid", "values": None, "error": "not a JSON object", "bom": bom}
    return {"state": "valid", "values": values, "error": None, "bom": bom}


def order_cfg(values):
    """Vendor keys in the vendor's order, then unknown keys in their own order."""
    ordered = {k: values[k] for k in VENDOR_KEYS if k in values}
    ordered.update((k, v) for k, v in values.items() if k not in ordered)
    return ordered


def render_cfg(values):
    """The vendor's style: 3-space indent, ``"key" : value``, one key a line, no BOM."""
    lines = [f"   {json.dumps(k, ensure_ascii=False)} : {json.dumps(v, ensure_ascii=False)}" for k, v in order_cfg(values).items()]
    if not lines:
        return "{\n}\n"
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _same(a, b):
    # Type-aware: True == 1 in Python, but a JSON true is not the vendor's integer 1.
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _same_id(a, b):
    return isinstance(a, str) and isinstance(b, str) and a.strip().lower() == b.strip().lower() and a.strip() != ""


def mask_cfg(values, reference=None):
    """A copy with secret values masked: REDACTED, or CHANGED REDACTED when it differs from ``reference``.

    Empty secrets stay empty so a diff still shows "no token cache yet". Non-dict input (a file
    that is not JSON) is returned unchanged: it is shown as text, secrets and all, nowhere.
    """
    if not isinstance(values, dict):
        return values
    masked = dict(values)
    for key in SECRET_KEYS:
        if key in masked and masked[key] not in ("", None):
            changed = isinstance(reference, dict) and not _same(reference.get(key), masked[key])
            masked[key] = MASK_CHANGED if changed else MASK
    return masked


def summarize_cfg(current, encoding="text"):
    """What ``tasks_from: read`` reports about a file; no secret in it."""
    parsed = parse_cfg(current, encoding)
    values = parsed["values"] or {}
    return {
        "config_present": parsed["state"] != "absent",
        "config_valid": parsed["state"] == "valid",
        "config_error": parsed["error"],
        "tenant_id": values.get("u8sTenant") or None,
        "client_id": values.get("u8sClientID") or None,
        "integration_enabled": parsed["state"] == "valid" and _same(values.get("bEnabled"), 1),
        "user_consent_pending": not values.get("u8sTokenCache"),
        "secret_present": bool(values.get("u8sClientSecret")),
    }


def merge_cfg(
    current,
    tenant_id,
    client_id,
    client_secret,
    get_from_teams=None,
    send_to_teams=None,
    log_level=None,
    polling_rate=None,
    force_reset=False,
    encoding="text",
):
    """Decide the wanted msteams.cfg from the current one.

    Same tenant and client id -> keep everything, set the secret and the explicitly given keys.
    No file, a file that is not valid JSON, another app, or ``force_reset`` -> the vendor template
    (``bEnabled`` 0, empty token cache) so an administrator commissions it in the GUI ("Commission in the admin GUI").
    ``changed`` compares values, not formatting: a file that only looks different is left alone,
    because rewriting it costs a service restart.
    """
    if not is_guid(tenant_id):
        raise MsteamsCfgError("ucserver_tenant_id must be the directory (tenant) id as a GUID.")
    if not is_guid(client_id):
        raise MsteamsCfgError("ucserver_client_id must be the application (client) id as a GUID.")
    if not isinstance(client_secret, str) or not client_secret.strip():
        raise MsteamsCfgError("ucserver_client_secret must be a non-empty string.")
    explicit = {}
    if get_from_teams is not None:
        explicit["bGetFromTeams"] = to_flag(get_from_teams, "ucserver_get_from_teams")
    if send_to_teams is not None:
        explicit["bSendToTeams"] = to_flag(send_to_teams, "ucserver_send_to_teams")
    if log_level is not None:
        explicit["iLogLevel"] = to_int(log_level, "ucserver_log_level")
    if polling_rate is not None:
        explicit["iPollingRate"] = to_int(polling_rate, "ucserver_polling_rate")

    parsed = parse_cfg(current, encoding)
    before = parsed["values"]
    warnings = []
    same_app = parsed["state"] == "valid" and _same_id(before.get("u8sTenant"), tenant_id) and _same_id(before.get("u8sClientID"), client_id)
    if force_reset:
        reason = "force_reset"
    elif parsed["state"] == "absent":
        reason = "absent"
    elif parsed["state"] == "invalid":
        reason = "invalid"
        warnings.append(f"The existing msteams.cfg is {parsed['error']}: it is backed up and replaced by the vendor template.")
    elif not same_app:
        reason = "other_app"
    else:
        reason = "same_app"

    if reason == "same_app":
        wanted = dict(before)
        # Flags the GUI or a person wrote as JSON booleans become the vendor's integers.
        for key in FLAG_KEYS:
            if isinstance(wanted.get(key), bool):
                wanted[key] = int(wanted[key])
        for key in VENDOR_KEYS:
            wanted.setdefault(key, VENDOR_DEFAULTS[key])
    else:
        wanted = dict(VENDOR_DEFAULTS)
    wanted.update(explicit)
    wanted["u8sTenant"] = tenant_id.strip()
    wanted["u8sClientID"] = client_id.strip()
    wanted["u8sClientSecret"] = client_secret
    wanted = order_cfg(wanted)

    old = before if isinstance(before, dict) else {}
    changed_keys = sorted(k for k in set(old) | set(wanted) if k not in old or k not in wanted or not _same(old[k], wanted[k]))
    changed = parsed["state"] != "valid" or bool(changed_keys)
    if parsed["state"] == "invalid":
        before_text = f"<msteams.cfg is {parsed['error']}>\n"
    elif parsed["state"] == "absent":
        before_text = ""
    else:
        before_text = render_cfg(mask_cfg(before))
    return {
        "changed": changed,
        "reason": reason,
        "mode": "update" if reason == "same_app" else "reset",
        "current_state": parsed["state"],
        "current_error": parsed["error"],
        "changed_keys": changed_keys,
        "warnings": warnings,
        "values": wanted,
        "content": render_cfg(wanted),
        "diff": {"before": before_text, "after": render_cfg(mask_cfg(wanted, reference=old))},
        "integration_enabled": _same(wanted.get("bEnabled"), 1),
        "user_consent_pending": not wanted.get("u8sTokenCache"),
    }


def install_dir_from_binary_path(path):
    """The folder of a service's executable, from ``Win32_Service.PathName``.

    The path may be quoted and carry arguments: ``"C:\\Program Files\\estos\\UCServer\\eucsrv.exe" -service``.
    Returns '' when no executable path can be recognised.
    """
    if not isinstance(path, str) or not path.strip():
        return ""
    path = path.strip()
    if path.startswith('"'):
        end = path.find('"', 1)
        exe = path[1:end] if end > 0 else path[1:]
    else:
        match = re.match(r"^(.+?\.exe)(\s|$)", path, re.IGNORECASE)
        exe = match.group(1) if match else path.split(" ")[0]
    if "\\" not in exe:
        return ""
    return exe.rsplit("\\", 1)[0]
