# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inputs of the onboard and rotate_secret playbooks: a host's settings and the leaders.

For internal collection use only; the interface may change without notice.

Before any host is touched, ``host_settings`` checks a host's ``msteams_*`` variables and fills
in the defaults, and ``elect_leaders`` picks one host per app registration (``app_key``) to talk
to Graph. ``RunInputError`` is the error of a variable that cannot work, for every run decision.
The action plugins ``procall.msteams.run_prepare`` and ``run_leader`` are thin wrappers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procall.msteams.plugins.module_utils._flags import FLAG_VALUES, read_flag
from ansible_collections.procall.msteams.plugins.module_utils._secrets import rotation_settings_error

DEFAULT_APP_UNIQUE_NAME = "procall-msteams"
DEFAULT_ROTATE_BEFORE_DAYS = 30
DEFAULT_VALIDITY_DAYS = 180
# A replaced secret younger than this may be the new secret of an overlapping run that has not
# deployed it yet (docs/consent-and-secrets.md, "Overlapping runs"): it is left for a later run.
DEFAULT_REVOKE_GRACE_MINUTES = 60
MAX_REVOKE_GRACE_MINUTES = 10080  # one week


class RunInputError(ValueError):
    """A variable of the inventory or the run that cannot work (the message names it)."""


def _text(value):
    return "" if value is None else str(value)


def _whole_number(variables, name, default):
    value = variables.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise RunInputError("%s must be a whole number of days" % name) from None
    if number < 0:
        raise RunInputError("%s must not be negative, not %d" % (name, number))
    return number


def run_flag(value, name):
    """A run variable's switch (``_flags.read_flag``); ``RunInputError`` naming ``name`` when it is none."""
    flag = read_flag(value)
    if flag is None:
        raise RunInputError("%s must be %s" % (name, FLAG_VALUES))
    return flag


def _flag(variables, name):
    """An inventory switch: true/false (yes/no, on/off, 1/0) as Ansible reads booleans; unset is false."""
    value = variables.get(name)
    if value is None or value == "":
        return False
    return run_flag(value, name)


def _grace_minutes(variables):
    name = "msteams_secret_revoke_grace_minutes"
    value = variables.get(name)
    if value is None or value == "":
        return DEFAULT_REVOKE_GRACE_MINUTES
    try:
        minutes = int(str(value).strip())
    except ValueError:
        raise RunInputError("%s must be a whole number of minutes from 0 to %d" % (name, MAX_REVOKE_GRACE_MINUTES)) from None
    if not 0 <= minutes <= MAX_REVOKE_GRACE_MINUTES:
        raise RunInputError("%s must be a whole number of minutes from 0 to %d, not %d" % (name, MAX_REVOKE_GRACE_MINUTES, minutes))
    return minutes


def _refused(settings, reason):
    """The settings of a host whose inventory cannot work: it fails, the run goes on."""
    settings.update(proceed=False, outcome={"status": "failed", "reason": reason})
    return settings


def app_key(tenant_id, unique_name):
    """One app registration: tenant and unique name, case-insensitive (both are in Entra ID)."""
    return "%s/%s" % (_text(tenant_id).strip().lower(), _text(unique_name).strip().lower())


def host_settings(host, variables):
    """A host's settings from its ``msteams_*`` variables; ``proceed`` false with a failed outcome
    when the inventory cannot work (docs/inventory.md lists the variables)."""
    tenant_id = variables.get("msteams_tenant_id")
    name = variables.get("msteams_tenant_name")
    settings = {"targeted": True, "tenant": _text(name if name is not None else tenant_id).strip() or "?", "app_key": ""}
    if tenant_id is None or _text(tenant_id).strip() == "":
        return _refused(settings, "%s has no msteams_tenant_id: set it in the group_vars of its tenant group (docs/inventory.md)." % host)
    unique_name = _text(variables.get("msteams_app_unique_name")).strip() or DEFAULT_APP_UNIQUE_NAME
    try:
        rotate_before = _whole_number(variables, "msteams_secret_rotate_before_days", DEFAULT_ROTATE_BEFORE_DAYS)
        validity = _whole_number(variables, "msteams_secret_validity_days", DEFAULT_VALIDITY_DAYS)
        health_check = _flag(variables, "msteams_secret_health_check")
        grace = _grace_minutes(variables)
    except RunInputError as exc:
        return _refused(settings, "%s: %s" % (host, exc))
    rotation_error = rotation_settings_error(rotate_before, validity, "msteams_secret_rotate_before_days", "msteams_secret_validity_days")
    if rotation_error:
        return _refused(settings, "%s: %s" % (host, rotation_error))
    settings.update(
        proceed=True,
        tenant_id=_text(tenant_id).strip(),
        app_unique_name=unique_name,
        app_key=app_key(tenant_id, unique_name),
        rotate_before_days=rotate_before,
        validity_days=validity,
        health_check=health_check,
        revoke_grace_minutes=grace,
    )
    return settings


def elect_leaders(keyed_hosts):
    """``[(host, key), ...]`` in play order -> ``{key: host}``: the first host of each key leads.

    Hosts without a key (their inventory failed, nothing configured) lead nothing. A play over
    the hosts with one leader per key works with ``serial`` and ``--limit`` alike, where
    ``run_once`` would run once per batch instead of once per app.
    """
    leaders = {}
    for host, key in keyed_hosts:
        if key and key not in leaders:
            leaders[key] = host
    return leaders
