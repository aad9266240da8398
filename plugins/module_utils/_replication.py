# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Waiting out Entra ID replication for ``entra_admin_consent`` and ``entra_app_secret``.

For internal collection use only; the interface may change without notice.

reference/graph.md "Eventual consistency": right after ``entra_app`` created the app, a
lookup on another replica can miss it (a filtered list answers 200 with no match, which the
shared client cannot tell from a missing app), and ``POST /servicePrincipals`` answers 400
``NoBackingApplicationObject``, which the client retries for objects announced with
``expect_new``. Both waits share the client's retry budget (``max_retry_wait``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.procall.msteams.plugins.module_utils._app_lookup import find_application

# A missing app is most often a typo; wait only briefly for a lookup that finds nothing.
LOOKUP_WAIT_CAP = 15.0


def _backoff(client, attempt, reason, cap=None, sleep=time.sleep):
    """Sleep 1, 2, 4, 8 ... s while the client's budget (and ``cap``) allows; False when out of time."""
    wait = min(2.0**attempt, 8.0)
    budget = getattr(client, "budget", None)
    remaining = budget.remaining if budget is not None else 0.0
    if cap is not None:
        remaining = min(remaining, cap - sum(min(2.0**i, 8.0) for i in range(attempt)))
    if wait > remaining:
        return False
    if budget is not None:
        budget.wait(wait, reason)
    else:  # pragma: no cover - every GraphClient has a budget
        sleep(wait)
    return True


def find_application_waiting(client, selectors):
    """``find_application`` that asks again for a few seconds when nothing matched (replication)."""
    attempt = 0
    while True:
        app = find_application(client, **selectors)
        if app is not None:
            return app
        reason = "no application matched %s yet (a new app can take seconds to replicate)" % ", ".join("%s=%s" % (k, v) for k, v in selectors.items() if v)
        if not _backoff(client, attempt, reason, cap=LOOKUP_WAIT_CAP):
            return None
        attempt += 1


def create_service_principal(client, app_id, action="create the app's service principal"):
    """``POST /servicePrincipals`` for ``app_id``; the client retries NoBackingApplicationObject for it."""
    client.expect_new(app_id)
    return client.post("servicePrincipals", {"appId": app_id}, action=action)
