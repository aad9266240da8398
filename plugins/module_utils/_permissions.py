# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Graph permission names <-> ``requiredResourceAccess`` (pure functions).

For internal collection use only: the interface may change without notice.
Names are resolved against the tenant's Microsoft Graph service principal, as Microsoft
advises (https://learn.microsoft.com/en-us/graph/permissions-reference); the table below is only a fallback and a test fixture.
The same name has different ids as a delegated scope and as an application role, so names
always come with their kind: ``{"delegated": [...], "application": [...]}``.
"""

from __future__ import annotations

import difflib

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"

DEFAULT_DELEGATED = ["Presence.Read", "Presence.Read.All", "User.Read"]
DEFAULT_APPLICATION = ["Presence.ReadWrite.All"]

# https://learn.microsoft.com/en-us/graph/permissions-reference
BUILTIN_SCOPES = {
    "Presence.Read": "76bc735e-aecd-4a1d-8b4c-2b915deabb79",
    "Presence.Read.All": "9c7a330d-35b3-4aa1-963d-cb2b9f927841",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
}
BUILTIN_ROLES = {
    "Presence.ReadWrite.All": "83cded22-8297-4ff6-a7fa-e97e9545a259",
    "Presence.Read.All": "a70e0c2d-e793-494c-94c4-118fa0a67f42",
}

KINDS = {"delegated": ("Scope", "oauth2PermissionScopes"), "application": ("Role", "appRoles")}


class PermissionNameError(ValueError):
    """A permission name or id that Microsoft Graph does not offer (the text names the option)."""


class UnknownPermission(PermissionNameError):
    def __init__(self, kind, name, closest, option=None):
        self.kind = kind
        self.name = name
        self.closest = closest
        option = option or ("delegated_permissions" if kind == "delegated" else "application_permissions")
        text = "%s: Microsoft Graph has no %s permission named %s (names are case sensitive)" % (option, kind, name)
        if closest:
            text += "; closest valid names: %s" % ", ".join(closest)
        super().__init__(text + ".")


def builtin_graph_sp():
    """A stand-in for the Graph service principal built from the documented ids (no ``id``)."""
    return {
        "id": None,
        "appId": GRAPH_APP_ID,
        "oauth2PermissionScopes": [{"id": i, "value": n, "isEnabled": True} for n, i in BUILTIN_SCOPES.items()],
        "appRoles": [{"id": i, "value": n, "isEnabled": True, "allowedMemberTypes": ["Application"]} for n, i in BUILTIN_ROLES.items()],
    }


def _offered(entry, kind):
    """The one validity rule: enabled, and for app roles assignable to applications."""
    if not entry.get("value") or not entry.get("isEnabled", True):
        return False
    return kind == "delegated" or "Application" in (entry.get("allowedMemberTypes") or ["Application"])


def permission_table(graph_sp, kind):
    """``{name: id}`` of one kind (``delegated`` or ``application``) that Graph offers."""
    collection = KINDS[kind][1]
    return {entry["value"]: entry["id"] for entry in (graph_sp.get(collection) or []) if _offered(entry, kind)}


def permission_names(graph_sp, kind):
    """``{id: name}``: the reverse of :func:`permission_table`."""
    return {v: k for k, v in permission_table(graph_sp, kind).items()}


def closest_names(graph_sp, kind, name, limit=3):
    table = permission_table(graph_sp, kind)
    lowered = {n.lower(): n for n in table}
    if name.lower() in lowered:
        return [lowered[name.lower()]]
    return [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=limit, cutoff=0.5)]


def resolve_ids(graph_sp, kind, names, option=None):
    """Permission names of one kind -> their ids (order kept); an unknown name is UnknownPermission."""
    table = permission_table(graph_sp, kind)
    ids = []
    for name in names or []:
        if name not in table:
            raise UnknownPermission(kind, name, closest_names(graph_sp, kind, name), option)
        if table[name] not in ids:
            ids.append(table[name])
    return ids


def resolve_permissions(graph_sp, names):
    """``{"delegated": [...], "application": [...]}`` -> the Graph entry of ``requiredResourceAccess``.

    Returns a list with one resource entry (empty list when no names). Raises UnknownPermission
    naming the closest valid names.
    """
    access = []
    for kind in ("delegated", "application"):
        for pid in resolve_ids(graph_sp, kind, names.get(kind)):
            access.append({"id": pid, "type": KINDS[kind][0]})
    if not access:
        return []
    return [{"resourceAppId": graph_sp.get("appId") or GRAPH_APP_ID, "resourceAccess": access}]


def describe_permissions(graph_sp, required_resource_access):
    """``requiredResourceAccess`` -> ``{"delegated": [names], "application": [names], "other": [...]}``."""
    scopes = permission_names(graph_sp, "delegated")
    roles = permission_names(graph_sp, "application")
    result = {"delegated": [], "application": [], "other": []}
    for resource in required_resource_access or []:
        for entry in resource.get("resourceAccess") or []:
            if resource.get("resourceAppId") == GRAPH_APP_ID and entry.get("type") == "Scope" and entry.get("id") in scopes:
                result["delegated"].append(scopes[entry["id"]])
            elif resource.get("resourceAppId") == GRAPH_APP_ID and entry.get("type") == "Role" and entry.get("id") in roles:
                result["application"].append(roles[entry["id"]])
            else:
                result["other"].append("%s:%s:%s" % (resource.get("resourceAppId"), entry.get("type"), entry.get("id")))
    for key in result:
        result[key] = sorted(result[key])
    return result


def access_set(required_resource_access):
    """The comparable set of ``(resourceAppId, type, id)``."""
    return {
        (resource.get("resourceAppId"), entry.get("type"), str(entry.get("id")).lower())
        for resource in required_resource_access or []
        for entry in resource.get("resourceAccess") or []
    }


def merge_required_resource_access(current, wanted, mode="exact"):
    """The full array to send (Graph replaces the whole ``requiredResourceAccess`` on PATCH).

    ``exact``: the app requests exactly ``wanted``. ``additive``: everything ``current`` has is
    kept and ``wanted`` is added. Order of ``current`` is kept so an unchanged list compares equal.
    """
    if mode == "exact":
        base = []
    else:
        base = [{"resourceAppId": r.get("resourceAppId"), "resourceAccess": [dict(e) for e in r.get("resourceAccess") or []]} for r in current or []]
    for resource in wanted or []:
        target = next((r for r in base if r["resourceAppId"] == resource["resourceAppId"]), None)
        if target is None:
            target = {"resourceAppId": resource["resourceAppId"], "resourceAccess": []}
            base.append(target)
        have = {(e.get("type"), str(e.get("id")).lower()) for e in target["resourceAccess"]}
        for entry in resource["resourceAccess"]:
            if (entry["type"], str(entry["id"]).lower()) not in have:
                target["resourceAccess"].append({"id": entry["id"], "type": entry["type"]})
    return [r for r in base if r["resourceAccess"]]
