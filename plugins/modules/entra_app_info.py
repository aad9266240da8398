#!/usr/bin/python
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: entra_app_info
short_description: Read the Entra ID app of the ProCall Teams integration, its consent state and secrets
version_added: 0.1.0
description:
  - Read-only view of the app registration used by the estos ProCall Integration in Microsoft Teams.
  - Returns its ids, the requested Microsoft Graph permissions by name, its service principal, which requested
    permissions have admin consent (delegated grant scopes and app role assignments), and its client secrets with
    the days left, without any secret value (Graph never returns one after creation).
  - Never changes anything; safe in check mode.
author:
  - procall.msteams contributors (@procall-msteams)
extends_documentation_fragment:
  - procall.msteams.auth
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  action_group:
    membership: [procall.msteams.graph]
  check_mode:
    support: full
    details: Read-only; it runs and returns the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  unique_name:
    description:
      - Select the app by its stable key (Graph C(uniqueName)).
    type: str
  app_id:
    description:
      - Select the app by its Application (client) ID.
    type: str
  object_id:
    description:
      - Select the app by its object ID.
    type: str
  display_name:
    description:
      - Select the app by display name; several apps with this name are an error that lists their app ids.
    type: str
  consent:
    description:
      - Also read the admin consent state (the app's service principal, its delegated grants and app role assignments) and name the
        requested permissions from Microsoft Graph's own service principal. That costs 3 to 4 requests more than the app itself.
      - V(false) reads only the app (one request, more only when Graph pages its answer), that is its ids, redirect URIs, RV(permissions) named from
        the documented permission ids, RV(secrets). This is what a scheduled secret rotation needs (C(procall.msteams.rotate_secret)).
    type: bool
    default: true
notes:
  - Reading needs C(Application.Read.All); the delegated consent state additionally needs C(Directory.Read.All).
    Consent parts that cannot be read are returned as null with a warning.
seealso:
  - module: procall.msteams.entra_app
"""

EXAMPLES = r"""
- name: Report the app, its consent and secrets
  module_defaults:
    group/procall.msteams.graph:
      tenant_id: "{{ tenant_id }}"
      client_id: "{{ automation_client_id }}"
      client_secret: "{{ automation_client_secret }}"
  block:
    - name: Read the app
      procall.msteams.entra_app_info:
        unique_name: procall-msteams
      register: procall_app_info

    - name: Warn about secrets that expire within 30 days
      ansible.builtin.debug:
        msg: "{{ item.display_name }} expires in {{ item.days_left }} days"
      loop: "{{ procall_app_info.secrets | selectattr('days_left', 'lt', 30) }}"
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
exists:
  description: Whether the app exists.
  returned: always
  type: bool
  sample: true
app_id:
  description: The Application (client) ID.
  returned: always
  type: str
  sample: 2b8f6a1e-5c44-4f0e-9b1a-3c5d7e9f1a2b
object_id:
  description: The object ID of the application.
  returned: always
  type: str
tenant_id:
  description: The Directory (tenant) ID.
  returned: always
  type: str
display_name:
  description: The display name.
  returned: always
  type: str
unique_name:
  description: The stable key, if any.
  returned: always
  type: str
sign_in_audience:
  description: Who may sign in.
  returned: exists
  type: str
redirect_uris:
  description: Public-client redirect URIs.
  returned: exists
  type: list
  elements: str
permissions:
  description: Requested Microsoft Graph permissions by name (C(other) lists permissions of other APIs by id).
  returned: exists
  type: dict
  sample: {"delegated": ["Presence.Read", "Presence.Read.All", "User.Read"], "application": ["Presence.ReadWrite.All"], "other": []}
service_principal_id:
  description: Object ID of the app's service principal in this tenant, null when it has none (no consent yet).
  returned: exists and O(consent) is true
  type: str
consent:
  description:
    - Admin consent state of the requested Microsoft Graph permissions.
    - C(granted) and C(missing) per kind; null when the automation identity may not read that part.
    - C(complete) is true when every requested permission is granted.
    - >-
      C(not_checked) lists, one sentence each, what the automation identity's token does not allow to read, with the
      permission that would allow it (for example V(admin consent of the delegated permissions not checked: needs Directory.Read.All)
      for an identity with C(Application.ReadWrite.OwnedBy) only). That part is not requested at all, so the run
      gets no 403 and prints no warning.
  returned: exists and O(consent) is true
  type: dict
  sample:
    delegated: {"granted": ["Presence.Read", "Presence.Read.All", "User.Read"], "missing": []}
    application: {"granted": [], "missing": ["Presence.ReadWrite.All"]}
    complete: false
    not_checked: []
secrets:
  description: The app's client secrets, without values.
  returned: exists
  type: list
  elements: dict
  contains:
    key_id:
      description: Id of the secret.
      type: str
      returned: always
    display_name:
      description: Description given at creation.
      type: str
      returned: always
    hint:
      description: First characters of the secret (as Graph shows them).
      type: str
      returned: always
    start_date:
      description: Start of validity (ISO 8601).
      type: str
      returned: always
    end_date:
      description: End of validity (ISO 8601).
      type: str
      returned: always
    days_left:
      description: Whole days until C(end_date), by Graph's clock; negative when expired.
      type: int
      returned: always
    expired:
      description: Whether the secret has expired.
      type: bool
      returned: always
secrets_read_at:
  description:
    - Graph's clock when RV(secrets) were read (the C(Date) header of its answer, ISO 8601 UTC); C(days_left) counts from it.
    - The playbooks decide from it whether a replaced secret is older than C(msteams_secret_revoke_grace_minutes).
  returned: exists
  type: str
  sample: "2026-11-27T03:00:00Z"
"""

from ansible_collections.procall.msteams.plugins.module_utils._app_lookup import SELECTOR_ARGSPEC, find_application
from ansible_collections.procall.msteams.plugins.module_utils._consent import not_checked_sentence, unreadable_consent
from ansible_collections.procall.msteams.plugins.module_utils._dates import format_graph_datetime
from ansible_collections.procall.msteams.plugins.module_utils._graph_client import GraphError, odata_quote
from ansible_collections.procall.msteams.plugins.module_utils._graph_module import GraphModule
from ansible_collections.procall.msteams.plugins.module_utils._permissions import (
    builtin_graph_sp,
    describe_permissions,
    permission_names,
)
from ansible_collections.procall.msteams.plugins.module_utils._replication import find_service_principal
from ansible_collections.procall.msteams.plugins.module_utils._secrets import describe_secrets


def consent_state(requested, granted_scopes, granted_roles):
    """``requested`` names per kind vs what is granted -> the ``consent`` result (pure)."""
    result = {}
    complete = True
    for kind, granted in (("delegated", granted_scopes), ("application", granted_roles)):
        wanted = requested.get(kind) or []
        if granted is None:
            result[kind] = None
            complete = None if complete is not False else False
            continue
        missing = sorted(set(wanted) - set(granted))
        result[kind] = {"granted": sorted(set(wanted) & set(granted)), "missing": missing}
        if missing:
            complete = False
    result["complete"] = complete
    return result


def read_consent(module, client, app, graph_sp):
    sp = find_service_principal(client, app["appId"], action="look up the service principal of application %s" % app["appId"])
    if not sp:
        return None, [], [], []
    sp_id = sp["id"]
    scopes = roles = None
    # What the token's roles cannot read is not requested (no 403, no warning per run); the
    # result says once what was not checked.
    unreadable = unreadable_consent(client.token_claims())
    if "delegated" not in unreadable:
        scopes = read_delegated_scopes(module, client, app, graph_sp, sp_id)
    if "application" not in unreadable:
        roles = read_application_roles(module, client, app, graph_sp, sp_id)
    return sp_id, scopes, roles, [not_checked_sentence(kind, permission) for kind, permission in sorted(unreadable.items())]


def read_delegated_scopes(module, client, app, graph_sp, sp_id):
    try:
        grants = client.list(
            "oauth2PermissionGrants",
            params={"$filter": "clientId eq %s and consentType eq 'AllPrincipals'" % odata_quote(sp_id)},
            action="read the delegated admin consent of application %s" % app["appId"],
        )
        return sorted({s for g in grants if not graph_sp.get("id") or g.get("resourceId") == graph_sp["id"] for s in (g.get("scope") or "").split()})
    except GraphError as exc:
        if exc.status != 403:
            raise
        module.warn(str(exc))
    return None


def read_application_roles(module, client, app, graph_sp, sp_id):
    try:
        assignments = client.list(
            "servicePrincipals/%s/appRoleAssignments" % sp_id,
            action="read the application permissions granted to application %s" % app["appId"],
        )
        by_id = permission_names(graph_sp, "application")
        return sorted(by_id.get(a.get("appRoleId"), a.get("appRoleId")) for a in assignments if not graph_sp.get("id") or a.get("resourceId") == graph_sp["id"])
    except GraphError as exc:
        if exc.status != 403:
            raise
        module.warn(str(exc))
    return None


def run(module):
    client = module.client
    app = find_application(client, **{k: module.params.get(k) for k in SELECTOR_ARGSPEC})
    if not app:
        return dict(
            changed=False,
            exists=False,
            app_id=None,
            object_id=None,
            tenant_id=client.tenant_id,
            display_name=None,
            unique_name=module.params.get("unique_name"),
        )
    if not module.params["consent"]:
        # Only the app: its Date header is Graph's clock for the secrets' days left.
        return dict(_app_facts(client, app), permissions=describe_permissions(builtin_graph_sp(), app.get("requiredResourceAccess")))
    try:
        graph_sp = client.graph_service_principal()
    except GraphError as exc:
        if exc.status not in (403, 404) and exc.status is not None:
            raise
        module.warn("Could not read the Microsoft Graph service principal (%s); using the documented permission ids." % exc)
        graph_sp = builtin_graph_sp()
    # Graph's clock at the app's read (its Date header), before the consent reads move it on.
    now = client.now()
    permissions = describe_permissions(graph_sp, app.get("requiredResourceAccess"))
    sp_id, scopes, roles, not_checked = read_consent(module, client, app, graph_sp)
    consent = consent_state(permissions, scopes, roles)
    consent["not_checked"] = not_checked
    return dict(_app_facts(client, app, now), permissions=permissions, service_principal_id=sp_id, consent=consent)


def _app_facts(client, app, now=None):
    """The result's part read from the app itself; ``now``: Graph's clock at that read (default: its last answer)."""
    now = now or client.now()
    return dict(
        changed=False,
        exists=True,
        app_id=app.get("appId"),
        object_id=app.get("id"),
        tenant_id=client.tenant_id,
        display_name=app.get("displayName"),
        unique_name=app.get("uniqueName"),
        sign_in_audience=app.get("signInAudience"),
        redirect_uris=list((app.get("publicClient") or {}).get("redirectUris") or []),
        secrets=describe_secrets(app.get("passwordCredentials"), now),
        secrets_read_at=format_graph_datetime(now),
    )


def main():
    module = GraphModule(
        argument_spec=dict(SELECTOR_ARGSPEC, consent=dict(type="bool", default=True)),
        supports_check_mode=True,
        required_one_of=[("unique_name", "app_id", "object_id", "display_name")],
    )
    module.run_and_exit(run)


if __name__ == "__main__":
    main()
