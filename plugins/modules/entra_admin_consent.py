#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: entra_admin_consent
short_description: Grant tenant-wide admin consent to an Entra ID app's Microsoft Graph permissions
version_added: 0.1.0
description:
  - Does what "Grant admin consent" in the Azure portal does for the app ProCall UCServer's Integration in
    Microsoft Teams uses (the vendor step "Grant admin consent", see docs/vendor-procedure.md), idempotently and with check mode and diff.
  - Ensures the app's service principal exists (waiting out replication right after the app was created, when
    Graph answers C(NoBackingApplicationObject)).
  - Ensures one delegated permission grant for all principals (C(consentType AllPrincipals)) on Microsoft Graph
    holding the delegated permissions (created, or updated when it differs).
  - Ensures one app role assignment per application permission (by default the vendor's C(Presence.ReadWrite.All)).
  - By default consents to exactly what the app requests (its C(requiredResourceAccess) on Microsoft Graph);
    O(delegated_permissions) and O(application_permissions) give explicit lists instead.
  - Only Microsoft Graph is managed; grants and assignments on other APIs are never touched.
author:
  - procall.msteams contributors (@procall-msteams)
extends_documentation_fragment:
  - procall.msteams.auth
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  action_group:
    membership: [procall.msteams.graph]
  platform:
    platforms: posix
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Shows the service principal, granted scopes and assigned roles before and after.
options:
  app_id:
    description: Application (client) id of the app. One of O(app_id), O(unique_name), O(object_id), O(display_name) is required.
    type: str
  unique_name:
    description: The app's C(uniqueName), the stable key M(procall.msteams.entra_app) gives it.
    type: str
  object_id:
    description: Object id of the application.
    type: str
  display_name:
    description: Display name of the app; used only when exactly one app has it.
    type: str
  delegated_permissions:
    description:
      - Microsoft Graph delegated permission names to consent to for all users, for example C(Presence.Read).
      - Omitted, the delegated permissions the app requests are used.
    type: list
    elements: str
  application_permissions:
    description:
      - Microsoft Graph application permission names to assign, for example C(Presence.ReadWrite.All).
      - Omitted, the application permissions the app requests are used.
    type: list
    elements: str
  mode:
    description:
      - V(exact) removes scopes from the grant and app role assignments on Microsoft Graph that are not wanted.
      - V(additive) only adds what is missing and leaves everything else.
    type: str
    choices: [exact, additive]
    default: exact
notes:
  - The automation identity needs C(Application.Read.All) (or C(Application.ReadWrite.All)),
    C(DelegatedPermissionGrant.ReadWrite.All) for the delegated grant and C(AppRoleAssignment.ReadWrite.All) for the
    app role assignments, or a token of a user with the directory role Privileged Role Administrator.
    Cloud Application Administrator cannot consent to Microsoft Graph application permissions such as
    C(Presence.ReadWrite.All). Without them the module fails naming what is missing, before writing anything.
  - Check mode predicts the real run from what the app requests now. Right after M(procall.msteams.entra_app) in the
    same play, pass its RV(procall.msteams.entra_app#module:permissions) result as O(delegated_permissions) and
    O(application_permissions), so that a permission C(entra_app) is about to restore is in the prediction too
    (check mode does not write the app, so the app does not request it yet).
  - A grant or app role assignment that exists already (a retried create whose first answer was lost, or a parallel
    run) is read back as success.
  - These permissions let their holder elevate any app; keep them for onboarding only. Secret rotation
    (M(procall.msteams.entra_app_secret)) does not need them.
seealso:
  - module: procall.msteams.entra_app
  - module: procall.msteams.entra_app_secret
"""

EXAMPLES = r"""
- name: Grant admin consent to what the app requests
  procall.msteams.entra_admin_consent:
    unique_name: procall-msteams
  module_defaults:
    group/procall.msteams.graph:
      tenant_id: "{{ entra_tenant_id }}"
      client_id: "{{ automation_client_id }}"
      client_secret: "{{ automation_client_secret }}"
  register: consent

- name: Consent to what entra_app makes the app request (check mode then predicts both steps)
  procall.msteams.entra_admin_consent:
    app_id: "{{ procall_app.app_id }}"
    delegated_permissions: "{{ procall_app.permissions.delegated }}"
    application_permissions: "{{ procall_app.permissions.application }}"

- name: Consent to an explicit list, leaving other consent in place
  procall.msteams.entra_admin_consent:
    app_id: 11111111-2222-3333-4444-555555555555
    delegated_permissions: [Presence.Read, Presence.Read.All, User.Read]
    application_permissions: [Presence.ReadWrite.All]
    mode: additive
"""

RETURN = r"""
graph_retries:
  description:
    - >-
      One line per retried Graph call of this task (method, path and why, how long it waited; repeats in a row as one line, at most 25
      lines), for example C(POST /applications/{id}/addPassword: 503, waited 2 s). No host, query or secret. Shown with C(-v).
    - A warning is added only when the retries used half of O(max_retry_wait) or more.
  returned: when a Graph call was retried
  type: list
  elements: str
service_principal_id:
  description: Object id of the app's service principal (empty in check mode when it would be created).
  returned: always
  type: str
granted_scopes:
  description: Delegated permissions granted for all principals on Microsoft Graph after this run.
  returned: always
  type: list
  elements: str
  sample: [Presence.Read, Presence.Read.All, User.Read]
assigned_roles:
  description: Application permissions assigned on Microsoft Graph after this run.
  returned: always
  type: list
  elements: str
  sample: [Presence.ReadWrite.All]
grant_id:
  description: Id of the delegated permission grant (absent when none exists).
  returned: when a grant exists or was created
  type: str
created_service_principal:
  description: The service principal was created by this run.
  returned: always
  type: bool
"""

from ansible_collections.procall.msteams.plugins.module_utils._app_lookup import SELECTOR_ARGSPEC, SELECTORS, selector_text
from ansible_collections.procall.msteams.plugins.module_utils._compare import DifferenceTracker
from ansible_collections.procall.msteams.plugins.module_utils._consent import (
    ConsentError,
    check_scope_names,
    missing_permissions,
    plan_assignments,
    plan_grant,
    resolve_role_ids,
    role_names,
    wanted_from_application,
)
from ansible_collections.procall.msteams.plugins.module_utils._graph_client import GraphError, odata_quote
from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import CONSENT_ROLE_HINT
from ansible_collections.procall.msteams.plugins.module_utils._graph_module import GraphModule
from ansible_collections.procall.msteams.plugins.module_utils._replication import (
    create_service_principal,
    find_application_waiting,
    find_service_principal,
    read_back_waiting,
)


class ConsentFailure(Exception):
    pass


def read_back_duplicate(client, exc, read, what):
    """A create answered "already exists" (a retried POST whose first attempt went through, or a
    parallel run; Graph: 409 Request_MultipleObjectsWithSameKeyValue "Permission entry already
    exists"): the object is there, which is what was wanted. Returns what ``read()`` finds,
    asking again within max_retry_wait while a list does not show it yet (replication)."""
    duplicate = exc.status == 409 or (exc.status == 400 and "already exists" in (exc.message or ""))
    found = read_back_waiting(client, read, what) if duplicate else None
    if found is None:
        raise exc
    return found


def grant_consent(client, grant, sp_id, graph_sp):
    if grant["action"] == "create":
        body = dict(grant["body"], clientId=sp_id)
        try:
            return (client.post("oauth2PermissionGrants", body, action="grant admin consent to delegated permissions") or {}).get("id")
        except GraphError as exc:
            found = read_back_duplicate(client, exc, lambda: next(iter(list_grants(client, sp_id, graph_sp["id"])), None), "reading back the existing grant")
            client.patch("oauth2PermissionGrants/%s" % found["id"], {"scope": body["scope"]}, action="update the delegated permission grant")
            return found["id"]
    if grant["action"] == "patch":
        client.patch("oauth2PermissionGrants/%s" % grant["grant_id"], grant["body"], action="update the delegated permission grant")
    for gid in grant["delete_ids"]:
        delete_ignoring_gone(client, "oauth2PermissionGrants/%s" % gid, "remove a delegated permission grant")
    return grant["grant_id"] if grant["action"] != "delete" else None


def assign_roles(client, create_roles, delete_assignments, sp_id, graph_sp):
    for role_id in create_roles:
        name = role_names(graph_sp, [role_id])[0]
        body = {"principalId": sp_id, "resourceId": graph_sp["id"], "appRoleId": role_id}
        try:
            client.post("servicePrincipals/%s/appRoleAssignedTo" % graph_sp["id"], body, action="assign the application permission %s" % name)
        except GraphError as exc:
            read_back_duplicate(
                client,
                exc,
                lambda rid=role_id: next((a for a in list_assignments(client, sp_id) if a.get("appRoleId") == rid), None),
                "reading back the existing assignment",
            )
    for assignment in delete_assignments:
        name = role_names(graph_sp, [assignment.get("appRoleId")])[0]
        delete_ignoring_gone(
            client, "servicePrincipals/%s/appRoleAssignedTo/%s" % (graph_sp["id"], assignment["id"]), "remove the application permission %s" % name
        )


def delete_ignoring_gone(client, path, action):
    try:
        client.delete(path, action=action)
    except GraphError as exc:
        if exc.status != 404:  # a retried DELETE whose first attempt went through
            raise


def list_grants(client, sp_id, resource_id=None):
    grants = client.list(
        "oauth2PermissionGrants",
        params={"$filter": "clientId eq %s and consentType eq 'AllPrincipals'" % odata_quote(sp_id)},
        action="list the app's delegated permission grants",
    )
    return [g for g in grants if resource_id is None or g.get("resourceId") == resource_id]


def list_assignments(client, sp_id):
    return client.list("servicePrincipals/%s/appRoleAssignments" % sp_id, action="list the app's app role assignments")


def wanted_consent(client, p, app, graph_sp):
    try:
        requested_scopes, requested_roles = wanted_from_application(app, graph_sp)
        scopes = check_scope_names(graph_sp, p["delegated_permissions"]) if p["delegated_permissions"] is not None else requested_scopes
        roles = p["application_permissions"] if p["application_permissions"] is not None else requested_roles
        return scopes, resolve_role_ids(graph_sp, roles)
    except ConsentError as exc:
        raise ConsentFailure(str(exc)) from None


def run(module):
    p = module.params
    client = module.client
    selectors = {k: p[k] for k in SELECTORS}
    app = find_application_waiting(client, selectors)
    if app is None:
        raise ConsentFailure(
            "No application matches %s after waiting %.0f s of max_retry_wait for replication; create it first with procall.msteams.entra_app."
            % (selector_text(selectors), client.budget.waited)
        )
    if "appId" not in app or ("requiredResourceAccess" not in app and (p["delegated_permissions"] is None or p["application_permissions"] is None)):
        app = client.get("applications/%s" % app["id"], action="read the application")
    app_id = app["appId"]
    graph_sp = client.graph_service_principal()
    scopes, role_ids = wanted_consent(client, p, app, graph_sp)

    sp = find_service_principal(client, app_id)
    sp_id = sp["id"] if sp else None
    grants = list_grants(client, sp_id) if sp_id else []
    assignments = list_assignments(client, sp_id) if sp_id else []
    grant = plan_grant(grants, sp_id, graph_sp["id"], scopes, p["mode"])
    create_roles, delete_assignments, before_roles, after_roles = plan_assignments(assignments, sp_id, graph_sp["id"], role_ids, p["mode"])

    need_grant = grant["action"] != "none" or bool(grant["delete_ids"])
    need_assignment = bool(create_roles or delete_assignments)
    missing = missing_permissions(client.token_claims(), need_grant, need_assignment)
    if missing:
        raise GraphError(action="grant admin consent to application %s" % app_id, needs=missing, roles=client.roles, hint=CONSENT_ROLE_HINT)

    tracker = DifferenceTracker()
    tracker.add("service_principal", bool(sp_id), True)
    tracker.add("granted_scopes", sorted(grant["before"]), sorted(grant["after"]))
    tracker.add("assigned_roles", sorted(role_names(graph_sp, before_roles)), sorted(role_names(graph_sp, after_roles)))
    # Duplicate grants or assignments removed in exact mode change no name, but are a write.
    changed = tracker.has_changed() or need_grant or need_assignment
    result = dict(
        changed=changed,
        created_service_principal=sp_id is None,
        service_principal_id=sp_id or "",
        granted_scopes=grant["after"],
        assigned_roles=role_names(graph_sp, after_roles),
        diff=tracker.diff(all_items=True),
    )
    if grant["grant_id"] and grant["action"] != "delete":
        result["grant_id"] = grant["grant_id"]
    if module.check_mode or not changed:
        return result

    if sp_id is None:
        # Entra ID is eventually consistent: POST /servicePrincipals right after the app was
        # created can answer 400 NoBackingApplicationObject; the client retries it.
        sp_id = create_service_principal(client, app_id)["id"]
        client.expect_new(sp_id)
        result["service_principal_id"] = sp_id
    grant_id = grant_consent(client, grant, sp_id, graph_sp)
    if grant_id:
        result["grant_id"] = grant_id
    assign_roles(client, create_roles, delete_assignments, sp_id, graph_sp)
    return result


def main():
    module = GraphModule(
        argument_spec=dict(
            **SELECTOR_ARGSPEC,
            delegated_permissions=dict(type="list", elements="str"),
            application_permissions=dict(type="list", elements="str"),
            mode=dict(type="str", default="exact", choices=["exact", "additive"]),
        ),
        supports_check_mode=True,
        required_one_of=[SELECTORS],
        mutually_exclusive=[SELECTORS],
    )
    module.run_and_exit(run, failures=(ConsentFailure,))


if __name__ == "__main__":
    main()
