# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Admin consent decisions for ``entra_admin_consent``: pure functions, no I/O.

For internal collection use only; the interface may change without notice.

Admin consent is two kinds of objects (https://learn.microsoft.com/en-us/graph/permissions-grant-via-msgraph):
- delegated: ONE ``oauth2PermissionGrant`` per (client SP, resource SP) with
  ``consentType: AllPrincipals`` whose ``scope`` is a space separated list of names;
- application: one ``appRoleAssignment`` per app role, principal = our SP, resource = Graph's SP.
Only the Microsoft Graph resource is managed; grants and assignments on other resources are
never touched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import (
    ASSIGNMENT_PERMISSION,
    CONSENT_ROLE_HINT,
    GRANT_PERMISSION,
    missing_permission_sentence,
)
from ansible_collections.procall.msteams.plugins.module_utils._permissions import (
    GRAPH_APP_ID,
    PermissionNameError,
    permission_names,
    resolve_ids,
)

# Application permissions that also allow the write (a superset in Graph's permission tables).
GRANT_PERMISSION_ALTERNATIVES = (GRANT_PERMISSION, "Directory.ReadWrite.All")
ASSIGNMENT_PERMISSION_ALTERNATIVES = (ASSIGNMENT_PERMISSION,)

# Application permissions that let an app-only token READ the consent, least privileged first:
# GET /oauth2PermissionGrants (https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-list)
# and GET /servicePrincipals/{id}/appRoleAssignments
# (https://learn.microsoft.com/en-us/graph/api/serviceprincipal-list-approleassignments), which
# Application.ReadWrite.OwnedBy also reads, as it reads every service principal.
CONSENT_READ_PERMISSIONS = {
    "delegated": ("Directory.Read.All", GRANT_PERMISSION, "Directory.ReadWrite.All"),
    "application": (
        "Application.Read.All",
        "Application.ReadWrite.OwnedBy",
        "Application.ReadWrite.All",
        ASSIGNMENT_PERMISSION,
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ),
}
CONSENT_KIND_TITLES = {"delegated": "admin consent of the delegated permissions", "application": "admin consent of the application permissions"}

# A user-facing sentence (unknown permission name, unresolvable requested id): the resolver's error.
ConsentError = PermissionNameError


def scope_names(scope):
    """``"User.Read  Presence.Read "`` -> ``["User.Read", "Presence.Read"]`` (order kept, no duplicates)."""
    seen = []
    for name in (scope or "").split():
        if name not in seen:
            seen.append(name)
    return seen


def wanted_from_application(application, graph_sp):
    """(delegated scope names, application role names) the app requests on Microsoft Graph.

    Read from ``requiredResourceAccess`` and named by Graph's own service principal in this
    tenant (ids resolved at run time, never hard-coded).
    """
    scopes, roles = [], []
    names = {"Scope": permission_names(graph_sp, "delegated"), "Role": permission_names(graph_sp, "application")}
    for resource in application.get("requiredResourceAccess") or []:
        if resource.get("resourceAppId") != GRAPH_APP_ID:
            continue
        for access in resource.get("resourceAccess") or []:
            kind, pid = access.get("type"), access.get("id")
            name = names.get(kind, {}).get(pid)
            if name is None:
                raise ConsentError(
                    "The application requests the Microsoft Graph %s %s, which the tenant's Microsoft Graph service principal does not offer; "
                    "fix the app's permissions (procall.msteams.entra_app) or pass delegated_permissions/application_permissions explicitly."
                    % ("delegated permission" if kind == "Scope" else "application permission", pid)
                )
            target = scopes if kind == "Scope" else roles
            if name not in target:
                target.append(name)
    return scopes, roles


def resolve_role_ids(graph_sp, names, option="application_permissions"):
    """Application permission names -> app role ids; an unknown name is an error naming it."""
    return resolve_ids(graph_sp, "application", names, option)


def check_scope_names(graph_sp, names, option="delegated_permissions"):
    resolve_ids(graph_sp, "delegated", names, option)
    return list(names)


def role_names(graph_sp, role_ids):
    by_id = permission_names(graph_sp, "application")
    return [by_id.get(r, r) for r in role_ids]


def plan_grant(grants, client_sp_id, resource_sp_id, wanted_scopes, mode="exact"):
    """Decide the delegated grant on the resource.

    ``grants``: the client's grants (any resource); only ``AllPrincipals`` grants on
    ``resource_sp_id`` are considered. Returns a dict with ``action`` (``none`` | ``create`` |
    ``patch`` | ``delete``), ``grant_id``, ``before``/``after`` scope lists, ``body`` for the
    write and ``delete_ids`` (duplicate grants on the same resource, removed in exact mode).
    """
    mine = [g for g in grants or [] if g.get("clientId") == client_sp_id and g.get("resourceId") == resource_sp_id and g.get("consentType") == "AllPrincipals"]
    before = []
    for g in mine:
        for name in scope_names(g.get("scope")):
            if name not in before:
                before.append(name)
    if mode == "exact":
        after = [n for n in before if n in wanted_scopes] + [n for n in wanted_scopes if n not in before]
    else:
        after = before + [n for n in wanted_scopes if n not in before]
    plan = {"action": "none", "grant_id": mine[0]["id"] if mine else None, "before": before, "after": after, "body": None, "delete_ids": []}
    if not mine:
        if after:
            plan["action"] = "create"
            plan["body"] = {"clientId": client_sp_id, "consentType": "AllPrincipals", "resourceId": resource_sp_id, "scope": " ".join(after)}
        return plan
    if mode == "exact" and len(mine) > 1:
        plan["delete_ids"] = [g["id"] for g in mine[1:]]
    first = scope_names(mine[0].get("scope"))
    if not after:
        if mode == "exact":
            plan["action"] = "delete"
            plan["delete_ids"] = [g["id"] for g in mine]
        return plan
    if set(first) != set(after):
        plan["action"] = "patch"
        plan["body"] = {"scope": " ".join(after)}
    return plan


def plan_assignments(assignments, principal_id, resource_sp_id, wanted_role_ids, mode="exact"):
    """Decide the app role assignments of ``principal_id`` on ``resource_sp_id``.

    Returns ``(create_role_ids, delete_assignments, before_role_ids, after_role_ids)``.
    Assignments on other resources are ignored (never deleted).
    """
    mine = [a for a in assignments or [] if a.get("principalId") == principal_id and a.get("resourceId") == resource_sp_id]
    before = []
    for a in mine:
        if a.get("appRoleId") not in before:
            before.append(a.get("appRoleId"))
    create = [r for r in wanted_role_ids if r not in before]
    delete = []
    if mode == "exact":
        seen = set()
        for a in mine:
            rid = a.get("appRoleId")
            # Duplicates of a wanted role (possible after a race) go too; one stays.
            if rid not in wanted_role_ids or rid in seen:
                delete.append(a)
            seen.add(rid)
        after = [r for r in before if r in wanted_role_ids] + create
    else:
        after = before + create
    return create, delete, before, after


def missing_permissions(claims, need_grant, need_assignment):
    """Application permissions an app-only caller lacks for the planned writes, from its token.

    Only app-only tokens (``roles`` claim, or ``idtyp: app``) are judged: a user token's
    rights come from directory roles, which Graph checks itself (a 403 then says so).
    """
    if not claims or ("roles" not in claims and claims.get("idtyp") != "app"):
        return []
    roles = set(claims.get("roles") or [])
    missing = []
    if need_grant and not roles.intersection(GRANT_PERMISSION_ALTERNATIVES):
        missing.append(GRANT_PERMISSION)
    if need_assignment and not roles.intersection(ASSIGNMENT_PERMISSION_ALTERNATIVES):
        missing.append(ASSIGNMENT_PERMISSION)
    return missing


def missing_permission_message(missing):
    """The sentence for a caller that lacks consent permissions (the one wording, _graph_errors)."""
    return missing_permission_sentence(missing) + " " + CONSENT_ROLE_HINT + "."


def unreadable_consent(claims):
    """``{kind: permission}`` for each kind of consent an app-only token may not read, naming the
    least privileged permission that would allow it; ``{}`` when it may read both, and for user
    tokens (their rights come from directory roles, which only Graph can judge).

    The documented rotation identity (Application.ReadWrite.OwnedBy only) cannot read the
    delegated grants: the caller skips that request instead of collecting a 403 and a warning on
    every scheduled run, and reports it once as not checked (``not_checked_sentence``).
    """
    if not claims or ("roles" not in claims and claims.get("idtyp") != "app"):
        return {}
    roles = set(claims.get("roles") or [])
    return {kind: allowed[0] for kind, allowed in CONSENT_READ_PERMISSIONS.items() if not roles.intersection(allowed)}


def not_checked_sentence(kind, permission):
    """``admin consent of the delegated permissions not checked: needs Directory.Read.All``."""
    return "%s not checked: needs %s" % (CONSENT_KIND_TITLES.get(kind, kind), permission)
