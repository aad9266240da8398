# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Select one application by the options every Graph module shares.

For internal collection use only: the interface may change without notice.
Display names are not unique in Entra ID, so a display name selects an
app only when exactly one carries it.
"""

from __future__ import annotations

from ansible_collections.procall.msteams.plugins.module_utils._graph_client import GraphError, odata_quote
from ansible_collections.procall.msteams.plugins.module_utils._graph_settings import validate_guid

SELECTOR_ARGSPEC = dict(
    app_id=dict(type="str"),
    unique_name=dict(type="str"),
    display_name=dict(type="str"),
    object_id=dict(type="str"),
)
SELECTORS = ("object_id", "app_id", "unique_name", "display_name")


class AmbiguousApplication(GraphError):
    def __init__(self, display_name, app_ids):
        self.display_name = display_name
        self.app_ids = sorted(app_ids)
        super().__init__(action="select the application by display_name")

    def sentence(self):
        return "%d applications carry the display name %r (app ids %s): select one with app_id or unique_name instead of display_name." % (
            len(self.app_ids),
            self.display_name,
            ", ".join(self.app_ids),
        )


def applications_named(client, display_name):
    return client.list(
        "applications",
        params={"$filter": "displayName eq %s" % odata_quote(display_name)},
        action="look up applications named %r" % display_name,
    )


def find_application(client, app_id=None, unique_name=None, display_name=None, object_id=None):
    """The one application selected (first given of object_id, app_id, unique_name, display_name) or None."""
    if object_id:
        validate_guid(object_id, "object_id", "the application's object id")
        try:
            return client.get("applications/%s" % object_id, action="read application %s" % object_id)
        except GraphError as exc:
            if exc.status == 404:
                return None
            raise
    if app_id or unique_name:
        # A read by alternate key sees an object at once; a $filter list only after replication
        # (seconds), so a rerun right after a create would not find it and create it again.
        # https://learn.microsoft.com/en-us/graph/api/application-get
        field, value = ("appId", app_id) if app_id else ("uniqueName", unique_name)
        try:
            return client.get("applications(%s=%s)" % (field, odata_quote(value)), action="look up the application with %s %s" % (field, value))
        except GraphError as exc:
            if exc.status == 404:
                return None
            raise
    if display_name:
        found = applications_named(client, display_name)
        if len(found) > 1:
            raise AmbiguousApplication(display_name, [app.get("appId") for app in found])
        return found[0] if found else None
    return None


def selector_text(selectors):
    """``app_id=..., unique_name=...`` for messages (only the selectors given)."""
    return ", ".join("%s=%s" % (k, v) for k, v in selectors.items() if v)
