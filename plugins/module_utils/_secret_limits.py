# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a tenant and an app registration allow for client secrets: pure functions, no I/O.

For internal collection use only; the interface may change without notice.

``entra_app_secret`` checks these before and after ``addPassword``: the shortest lifetime an
appManagementPolicy allows (``policy_max_lifetime_days``), the error codes Graph refuses a new
secret with, and the limit of 2 secrets of an app whose audience includes personal accounts
(``personal_limit_reached``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# https://learn.microsoft.com/en-us/entra/identity-platform/supported-accounts-validation: personal-account audiences allow only 2 secrets per app.
PERSONAL_AUDIENCES = ("AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount")
PERSONAL_SECRET_LIMIT = 2


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T.*)?$")

# addPassword refusals by an appManagementPolicy (error codes as Graph sends them; branch on
# code, never on message).
POLICY_LIFETIME_CODE = "CredentialInvalidLifetimeAsPerAppPolicy"
POLICY_FORBIDDEN_CODE = "CredentialTypeNotAllowedAsPerAppPolicy"
TOO_MANY_PASSWORDS_CODE = "TooManyAppPasswords"


def personal_limit_reached(application):
    """True when a personal-account audience app already holds its 2 secrets (supported-accounts-validation)."""
    if (application.get("signInAudience") or "") not in PERSONAL_AUDIENCES:
        return False
    return len(application.get("passwordCredentials") or []) >= PERSONAL_SECRET_LIMIT


def duration_days(value):
    """ISO 8601 duration of a policy's ``maxLifetime`` (``P90D``, ``P1Y``, ``P6M``) -> whole days, or None."""
    m = _DURATION.match(str(value or "").strip())
    if not m or not any(m.groups()):
        return None
    years, months, weeks, days = (int(g or 0) for g in m.groups())
    return years * 365 + months * 30 + weeks * 7 + days


def policy_max_lifetime_days(policies):
    """The smallest ``passwordLifetime`` ``maxLifetime`` in appManagementPolicy objects, in days, or None.

    Accepts the tenant default policy (``applicationRestrictions``) and app policies
    (``restrictions``); restrictions with a ``state`` other than ``enabled`` do not count.
    """
    found = []
    for policy in policies or []:
        for section in ("applicationRestrictions", "restrictions"):
            for item in ((policy or {}).get(section) or {}).get("passwordCredentials") or []:
                if item.get("restrictionType") == "passwordLifetime" and item.get("state", "enabled") == "enabled":
                    days = duration_days(item.get("maxLifetime"))
                    if days is not None:
                        found.append(days)
    return min(found) if found else None
