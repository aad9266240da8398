# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Waiting out Entra ID replication for ``entra_admin_consent`` and ``entra_app_secret``.

For internal collection use only; the interface may change without notice.

Right after ``entra_app`` created the app, a lookup on another replica can miss it (a filtered
list answers 200 with no match, which the client cannot tell from a missing app), and
``POST /servicePrincipals`` answers 400 ``NoBackingApplicationObject``, which the client
retries for objects announced with ``expect_new``
(https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-serviceprincipals).
Both waits are charged to the client's one retry budget (``max_retry_wait``), and may use all
of it: the app may have been created by an earlier task of the same run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procall.msteams.plugins.module_utils._app_lookup import find_application, selector_text
from ansible_collections.procall.msteams.plugins.module_utils._graph_client import GraphError, odata_quote


def find_application_waiting(client, selectors):
    """``find_application`` that asks again, within max_retry_wait, while nothing matches (replication)."""
    reason = "no application matched %s yet (a new app can take seconds to replicate)" % selector_text(selectors)
    app, _reason = client.budget.until(lambda: (find_application(client, **selectors), reason), "looking up the application")
    return app


def find_service_principal(client, app_id, action="find the app's service principal"):
    """The app's service principal read by its alternate key ``appId``, or None.

    A read by key sees a new object at once; a ``$filter`` list only after replication
    (https://learn.microsoft.com/en-us/graph/api/serviceprincipal-get).
    """
    try:
        return client.get("servicePrincipals(appId=%s)" % odata_quote(app_id), params={"$select": "id,appId"}, action=action)
    except GraphError as exc:
        if exc.status == 404:
            return None
        raise


def read_back_waiting(client, read, what):
    """``read()`` again within max_retry_wait while it finds nothing: Graph said the object exists
    (a 409 duplicate), but a list shows it only after replication."""
    found, _reason = client.budget.until(lambda: (read(), "Graph says it exists but does not list it yet (replication)"), what)
    return found


def create_service_principal(client, app_id, action="create the app's service principal"):
    """``POST /servicePrincipals`` for ``app_id``, safe to repeat.

    The client retries NoBackingApplicationObject for it; a 409 (the service principal exists:
    an earlier attempt whose answer was lost, or a parallel run) is read back as the result.
    """
    client.expect_new(app_id)
    try:
        return client.post("servicePrincipals", {"appId": app_id}, action=action)
    except GraphError as exc:
        if exc.status != 409:
            raise
    found = find_service_principal(client, app_id, action=action)
    if not found:
        raise GraphError(action=action, message="Graph answered 409 but no service principal of app %s can be read" % app_id)
    return found
