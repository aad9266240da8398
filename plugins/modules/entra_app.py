#!/usr/bin/python
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: entra_app
short_description: Manage the Entra ID app registration of the ProCall Integration in Microsoft Teams
version_added: 0.1.0
description:
  - Creates, updates or deletes the Microsoft Entra ID application (app registration) that estos ProCall UCServer
    uses for its Integration in Microsoft Teams, as the vendor steps "Register the app", "Add the redirect URIs"
    and "Add the Graph permissions" describe it (docs/vendor-procedure.md).
  - Finds the app by a stable key (O(unique_name)) or O(app_id); a O(display_name) alone selects an app only when
    exactly one app carries it. A rerun never creates a second app.
  - Detects drift in the sign-in audience, the public-client redirect URIs and the requested API permissions, shows
    it in diff mode and repairs it.
  - Admin consent and client secrets are separate modules (M(procall.msteams.entra_admin_consent),
    M(procall.msteams.entra_app_secret)).
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
  diff_mode:
    support: full
  platform:
    platforms: posix
options:
  state:
    description:
      - V(present) creates or updates the app, V(absent) deletes it (Entra ID keeps deleted apps restorable for 30 days).
    type: str
    choices: [present, absent]
    default: present
  unique_name:
    description:
      - A stable key of the app (Graph C(uniqueName)), set once at creation and never changed afterwards.
      - The recommended way to select the app; it is created with an idempotent upsert, so a create that timed out or
        was throttled can simply be run again.
    type: str
  app_id:
    description:
      - The Application (client) ID of an existing app to manage. Cannot create an app.
    type: str
  object_id:
    description:
      - The object ID of an existing app to manage. Cannot create an app.
    type: str
  display_name:
    description:
      - The display name of the app. Required to create one.
      - When no other selector is given it also selects the app; several apps with this name are an error that lists
        their app ids.
    type: str
  sign_in_audience:
    description:
      - Who may sign in to the app (vendor step "Register the app"). V(AzureADMyOrg) is single tenant.
    type: str
    choices: [AzureADMyOrg, AzureADMultipleOrgs, AzureADandPersonalMicrosoftAccount, PersonalMicrosoftAccount]
    default: AzureADMyOrg
  redirect_uris:
    description:
      - Redirect URIs of the "public client / native (mobile and desktop)" platform (vendor step "Add the redirect URIs").
      - The vendor's optional second URI C(https://www.estos.de/piimt) only shows a help page after admin
        consent from the UCServer admin GUI; add it here if wanted.
      - The list is managed exactly; order does not matter.
    type: list
    elements: str
    default: ['http://localhost']
  delegated_permissions:
    description:
      - Microsoft Graph delegated permissions (scopes) the app requests, by name (vendor step "Add the Graph permissions").
      - Names are resolved to ids through the tenant's Microsoft Graph service principal; an unknown name fails with
        the closest valid names.
    type: list
    elements: str
    default: [Presence.Read, Presence.Read.All, User.Read]
  application_permissions:
    description:
      - Microsoft Graph application permissions (app roles) the app requests, by name (vendor step "Add the Graph permissions").
    type: list
    elements: str
    default: [Presence.ReadWrite.All]
  permissions_mode:
    description:
      - V(exact) makes the app request exactly the listed permissions and removes any others (also of other APIs).
      - V(additive) adds the listed permissions and keeps the ones requested already.
    type: str
    choices: [exact, additive]
    default: exact
  owners:
    description:
      - Object IDs of users or service principals to add as owners of the app. Owners not listed are kept.
      - Adding owners needs C(Application.ReadWrite.All) together with C(Directory.Read.All)
        (U(https://learn.microsoft.com/graph/api/application-post-owners)); C(Application.ReadWrite.OwnedBy) cannot add owners.
    type: list
    elements: str
  owner_automation_identity:
    description:
      - Make the automation identity (the service principal of O(client_id)) an owner of the app, so the scheduled
        secret rotation later needs only C(Application.ReadWrite.OwnedBy).
      - Like O(owners), this needs C(Application.ReadWrite.All) together with C(Directory.Read.All), unless the automation
        identity created the app with C(Application.ReadWrite.OwnedBy), which makes it the owner already.
    type: bool
    default: false
  notes:
    description:
      - Free text notes on the app. Unset keeps the current notes.
    type: str
  tags:
    description:
      - Tags of the app (managed exactly when given; order does not matter). Unset keeps the current tags.
    type: list
    elements: str
notes:
  - The automation identity needs C(Application.ReadWrite.OwnedBy) (apps it owns) or C(Application.ReadWrite.All);
    creating an app needs C(AppRegistration.Create) at least, reading the Microsoft Graph service principal
    C(Application.Read.All). Without read access to it the documented permission ids are used, with a warning.
  - Graph replaces the whole C(requiredResourceAccess) array on update, so the module always sends the full merged list.
  - Without O(unique_name), the app is found by its display name. Entra ID lists a new app only after replication
    (seconds), so a rerun right after the create might not see it yet; O(unique_name) has no such window, because
    its create is an upsert.
seealso:
  - module: procall.msteams.entra_app_info
  - module: procall.msteams.entra_admin_consent
  - module: procall.msteams.entra_app_secret
"""

EXAMPLES = r"""
- name: Ensure the ProCall Teams app registration (vendor defaults)
  module_defaults:
    group/procall.msteams.graph:
      tenant_id: "{{ tenant_id }}"
      client_id: "{{ automation_client_id }}"
      client_secret: "{{ automation_client_secret }}"
  block:
    - name: Register the app
      procall.msteams.entra_app:
        unique_name: procall-msteams
        display_name: ProCall Integration in Microsoft Teams
        owner_automation_identity: true
      register: procall_app

    - name: Show the ids UCServer needs
      ansible.builtin.debug:
        msg: "tenant {{ procall_app.tenant_id }}, client {{ procall_app.app_id }}"

- name: Add the optional help-page redirect and keep extra permissions someone added by hand
  procall.msteams.entra_app:
    unique_name: procall-msteams
    display_name: ProCall Integration in Microsoft Teams
    redirect_uris:
      - http://localhost
      - https://www.estos.de/piimt
    permissions_mode: additive
    certificate_path: /etc/ansible/automation.pem
    tenant_id: contoso.onmicrosoft.com
    client_id: 6f1b2c3d-0000-4000-8000-00000000abcd

- name: Remove the app
  procall.msteams.entra_app:
    unique_name: procall-msteams
    state: absent
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
app_id:
  description: The Application (client) ID, C(u8sClientID) in msteams.cfg. Null in check mode before the app exists.
  returned: success
  type: str
  sample: 2b8f6a1e-5c44-4f0e-9b1a-3c5d7e9f1a2b
object_id:
  description: The object ID of the application.
  returned: success
  type: str
  sample: 7c1d2e3f-0000-4000-8000-000000000001
tenant_id:
  description: The Directory (tenant) ID, C(u8sTenant) in msteams.cfg.
  returned: success
  type: str
  sample: 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
display_name:
  description: The display name of the app.
  returned: success
  type: str
  sample: ProCall Integration in Microsoft Teams
unique_name:
  description: The stable key of the app, if it has one.
  returned: success
  type: str
  sample: procall-msteams
sign_in_audience:
  description: Who may sign in.
  returned: state=present
  type: str
  sample: AzureADMyOrg
redirect_uris:
  description: Public-client redirect URIs after the run.
  returned: state=present
  type: list
  elements: str
  sample: ['http://localhost']
permissions:
  description: The Microsoft Graph permissions the app requests after the run, by name.
  returned: state=present
  type: dict
  contains:
    delegated:
      description: Delegated permission names.
      type: list
      elements: str
      returned: always
    application:
      description: Application permission names.
      type: list
      elements: str
      returned: always
    other:
      description: Permissions of other APIs, as C(resourceAppId:type:id).
      type: list
      elements: str
      returned: always
  sample: {"delegated": ["Presence.Read", "Presence.Read.All", "User.Read"], "application": ["Presence.ReadWrite.All"], "other": []}
secrets:
  description:
    - The app's client secrets as Graph returned them with the app (no values; the same fields as M(procall.msteams.entra_app_info)
      returns), so a playbook decides every host's secret from this one read.
    - Empty for an app created by this run; null when Graph's answer held no C(passwordCredentials).
  returned: state=present
  type: list
  elements: dict
secrets_read_at:
  description: Graph's clock when RV(secrets) were read (ISO 8601 UTC); their C(days_left) count from it.
  returned: state=present
  type: str
  sample: "2026-11-27T03:00:00Z"
changed_properties:
  description: Names of the properties that were (or in check mode would be) changed.
  returned: always
  type: list
  elements: str
  sample: [redirect_uris, permissions]
"""

from ansible_collections.procall.msteams.plugins.module_utils._app_lookup import (
    SELECTOR_ARGSPEC,
    applications_named,
    find_application,
)
from ansible_collections.procall.msteams.plugins.module_utils._compare import DifferenceTracker
from ansible_collections.procall.msteams.plugins.module_utils._dates import format_graph_datetime
from ansible_collections.procall.msteams.plugins.module_utils._graph_client import GraphError, odata_quote
from ansible_collections.procall.msteams.plugins.module_utils._graph_module import GraphModule
from ansible_collections.procall.msteams.plugins.module_utils._graph_settings import validate_guid
from ansible_collections.procall.msteams.plugins.module_utils._permissions import (
    DEFAULT_APPLICATION,
    DEFAULT_DELEGATED,
    UnknownPermission,
    access_set,
    builtin_graph_sp,
    describe_permissions,
    merge_required_resource_access,
    resolve_permissions,
)
from ansible_collections.procall.msteams.plugins.module_utils._secret_limits import PERSONAL_AUDIENCES
from ansible_collections.procall.msteams.plugins.module_utils._secrets import describe_secrets

AUDIENCES = ["AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"]


def current_redirects(app):
    return list(((app or {}).get("publicClient") or {}).get("redirectUris") or [])


def plan_update(app, params, wanted_access, graph_sp, current_owners=None, wanted_owners=None):
    """Compare the app with what is wanted: ``(tracker, patch_body, owners_to_add)`` (pure)."""
    app = app or {}
    tracker = DifferenceTracker()
    body = {}
    if params.get("display_name") is not None and tracker.add("display_name", app.get("displayName"), params["display_name"]):
        body["displayName"] = params["display_name"]
    if tracker.add("sign_in_audience", app.get("signInAudience"), params["sign_in_audience"]):
        body["signInAudience"] = params["sign_in_audience"]
        # Graph refuses a personal-account audience unless the app asks for v2 access tokens
        # (https://learn.microsoft.com/graph/api/resources/apiapplication, requestedAccessTokenVersion).
        if params["sign_in_audience"] in PERSONAL_AUDIENCES and (app.get("api") or {}).get("requestedAccessTokenVersion") != 2:
            body["api"] = {"requestedAccessTokenVersion": 2}
    if tracker.add("redirect_uris", current_redirects(app), list(params["redirect_uris"]), unordered=True):
        body["publicClient"] = {"redirectUris": list(params["redirect_uris"])}
    current_access = app.get("requiredResourceAccess") or []
    merged = merge_required_resource_access(current_access, wanted_access, params["permissions_mode"])
    before_names = describe_permissions(graph_sp, current_access)
    after_names = describe_permissions(graph_sp, merged)
    if access_set(current_access) != access_set(merged):
        tracker.add("permissions", before_names, after_names)
        body["requiredResourceAccess"] = merged
    if params.get("notes") is not None and tracker.add("notes", app.get("notes"), params["notes"]):
        body["notes"] = params["notes"]
    if params.get("tags") is not None and tracker.add("tags", list(app.get("tags") or []), list(params["tags"]), unordered=True):
        body["tags"] = list(params["tags"])
    owners_to_add = []
    if wanted_owners:
        have = set(current_owners or [])
        owners_to_add = sorted(set(wanted_owners) - have)
        tracker.add("owners", sorted(have), sorted(have | set(wanted_owners)))
    return tracker, body, owners_to_add, after_names


def create_body(params, wanted_access):
    body = {
        "displayName": params["display_name"],
        "signInAudience": params["sign_in_audience"],
        "publicClient": {"redirectUris": list(params["redirect_uris"])},
        "requiredResourceAccess": wanted_access,
    }
    if params.get("notes") is not None:
        body["notes"] = params["notes"]
    if params.get("tags") is not None:
        body["tags"] = list(params["tags"])
    return body


def upsert_path(unique_name):
    return "applications(uniqueName=%s)" % odata_quote(unique_name)


class AppFailure(Exception):
    """A sentence for fail_json (never holds a secret)."""


def create_app(module, client, params, wanted_access):
    """Create the app; returns the app. Safe to retry: never leaves a duplicate behind.

    With ``unique_name`` the create is an upsert (idempotent, the transport may simply resend it).
    Without, a POST whose answer was lost (5xx, dropped connection) may have created the app:
    the transport asks for it by display name before it sends the POST again.
    """
    body = create_body(params, wanted_access)
    if params.get("unique_name"):
        # 201 + object when created, 204 when it existed already.
        status, created = client.patch(
            upsert_path(params["unique_name"]),
            body,
            action="create application %r" % params["unique_name"],
            headers={"Prefer": "create-if-missing"},
        )
        if status == 201 and created:
            client.expect_new(created.get("id"))
            client.expect_new(created.get("appId"))
            return created
        # 204: the app existed although the lookup did not list it (replication lag); the upsert
        # has set every property, so read it back, retrying while it is not visible yet.
        module.warn("Application %r existed although the lookup did not find it yet (replication); the upsert updated it." % params["unique_name"])
        client.expect_new(upsert_path(params["unique_name"]))
        return client.get(upsert_path(params["unique_name"]), action="read application %r" % params["unique_name"])

    def look():
        found = applications_named(client, params["display_name"])
        return found[0] if len(found) == 1 else None

    def recheck(maybe_done):
        found = look()
        if found is None and maybe_done:
            # The POST may have created the app, but a $filter list shows a new app only after
            # replication: wait for it within max_retry_wait rather than create a second one.
            found, _reason = client.budget.until(
                lambda: (look(), "it may exist but not be listed yet (replication)"), "looking for the application whose create got no clear answer"
            )
        if found is not None:
            module.warn("Creating the application got no clear answer but it exists; using app %s." % found.get("appId"))
        return found

    created = client.post("applications", body, action="create application %r" % params["display_name"], recheck=recheck)
    client.expect_new(created.get("id"))
    client.expect_new(created.get("appId"))
    return created


def wanted_permissions(module, client, params):
    try:
        graph_sp = client.graph_service_principal()
    except GraphError as exc:
        if exc.status not in (403, 404) and exc.status is not None:
            raise
        module.warn("Could not read the Microsoft Graph service principal (%s); using the documented permission ids." % exc)
        graph_sp = builtin_graph_sp()
    access = resolve_permissions(graph_sp, {"delegated": params["delegated_permissions"], "application": params["application_permissions"]})
    return graph_sp, access


def read_owners(client, app):
    owners = client.list("applications/%s/owners" % app["id"], params={"$select": "id"}, action="read the owners of application %s" % app.get("appId"))
    return [o.get("id") for o in owners if o.get("id")]


def add_owner(client, app, owner_id):
    validate_guid(owner_id, "owners", "a directory object id")
    ref = {"@odata.id": "%s/v1.0/directoryObjects/%s" % (client.settings.graph_endpoint, owner_id)}
    try:
        client.post("applications/%s/owners/$ref" % app["id"], ref, action="add owner %s to application %s" % (owner_id, app.get("appId")))
    except GraphError as exc:
        # "One or more added object references already exist": another run added it meanwhile.
        if not (exc.status == 400 and "already exist" in (exc.message or "")):
            raise


def result_of(client, app, params, names):
    # Graph's clock (its Date header) at the app's read: days left and ages of the secrets count from it.
    now = client.now()
    credentials = app.get("passwordCredentials") if app.get("id") else []
    return dict(
        secrets=None if credentials is None else describe_secrets(credentials, now),
        secrets_read_at=format_graph_datetime(now),
        app_id=app.get("appId"),
        object_id=app.get("id"),
        tenant_id=client.tenant_id,
        display_name=app.get("displayName", params.get("display_name")),
        unique_name=app.get("uniqueName", params.get("unique_name")),
        sign_in_audience=params["sign_in_audience"],
        redirect_uris=list(params["redirect_uris"]),
        permissions=names,
    )


def run_absent(module, client, params):
    app = find_application(client, **{k: params.get(k) for k in SELECTOR_ARGSPEC})
    tracker = DifferenceTracker()
    if not app:
        return dict(changed=False, app_id=None, object_id=None, tenant_id=client.tenant_id, display_name=None, unique_name=None, changed_properties=[])
    tracker.add("state", "present", "absent")
    if not module.check_mode:
        try:
            client.delete("applications/%s" % app["id"], action="delete application %s" % app.get("appId"))
        except GraphError as exc:
            if exc.status != 404:  # a retried DELETE whose first attempt went through
                raise
    return dict(
        changed=True,
        diff=tracker.diff(),
        app_id=app.get("appId"),
        object_id=app.get("id"),
        tenant_id=client.tenant_id,
        display_name=app.get("displayName"),
        unique_name=app.get("uniqueName"),
        changed_properties=tracker.changed_names(),
    )


def wanted_owner_ids(client, params):
    wanted = [validate_guid(o, "owners", "a directory object id") for o in params.get("owners") or []]
    if params["owner_automation_identity"]:
        oid = client.token_claims().get("oid")
        if not oid:
            raise AppFailure(
                "owner_automation_identity=true needs an app-only token with an oid claim; set owners to the automation identity's object id instead."
            )
        wanted.append(oid)
    return wanted


def run_create(module, client, params, graph_sp, wanted_access, wanted_owners):
    if params.get("app_id") or params.get("object_id"):
        key = "app_id" if params.get("app_id") else "object_id"
        raise AppFailure(
            "No application with %s %s exists: %s only selects an existing app; use unique_name and display_name to create one." % (key, params[key], key)
        )
    if not params.get("display_name"):
        raise AppFailure("No application with unique_name %r exists and display_name is not set: set display_name to create it." % params.get("unique_name"))
    if params.get("unique_name"):
        # An app made by hand in the portal has the same name but no uniqueName: say so, since
        # the run makes a new app instead of adopting it (select that one with app_id instead).
        namesakes = [a.get("appId") for a in applications_named(client, params["display_name"])]
        if namesakes:
            module.warn(
                "Applications named %r without unique_name %r exist (app ids %s); a new app is created. To manage an existing one, "
                "select it with app_id instead." % (params["display_name"], params["unique_name"], ", ".join(sorted(namesakes)))
            )
    tracker, _body, _owners, names = plan_update({}, params, wanted_access, graph_sp, [], wanted_owners)
    tracker.add("state", "absent", "present")
    app = {"displayName": params["display_name"]}
    if not module.check_mode:
        app = create_app(module, client, params, wanted_access)
        if wanted_owners:
            current = [] if client.is_new(app.get("id")) else read_owners(client, app)
            for owner in sorted(set(wanted_owners) - set(current)):
                add_owner(client, app, owner)
    return dict(changed=True, diff=tracker.diff(), changed_properties=["state"], **result_of(client, app, params, names))


def run(module):
    client = module.client
    params = module.params
    if params["state"] == "absent":
        return run_absent(module, client, params)
    graph_sp, wanted_access = wanted_permissions(module, client, params)
    app = find_application(client, **{k: params.get(k) for k in SELECTOR_ARGSPEC})
    wanted_owners = wanted_owner_ids(client, params)
    if not app:
        return run_create(module, client, params, graph_sp, wanted_access, wanted_owners)
    current_owners = read_owners(client, app) if wanted_owners else None
    tracker, body, owners_to_add, names = plan_update(app, params, wanted_access, graph_sp, current_owners, wanted_owners)
    changed = tracker.has_changed()
    if changed and not module.check_mode:
        if body:
            client.patch("applications/%s" % app["id"], body, action="update application %s" % app.get("appId"))
        for owner in owners_to_add:
            add_owner(client, app, owner)
    return dict(changed=changed, diff=tracker.diff(), changed_properties=tracker.changed_names(), **result_of(client, app, params, names))


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        sign_in_audience=dict(type="str", default="AzureADMyOrg", choices=AUDIENCES),
        redirect_uris=dict(type="list", elements="str", default=["http://localhost"]),
        delegated_permissions=dict(type="list", elements="str", default=list(DEFAULT_DELEGATED)),
        application_permissions=dict(type="list", elements="str", default=list(DEFAULT_APPLICATION)),
        permissions_mode=dict(type="str", default="exact", choices=["exact", "additive"]),
        owners=dict(type="list", elements="str"),
        owner_automation_identity=dict(type="bool", default=False),
        notes=dict(type="str"),
        tags=dict(type="list", elements="str"),
    )
    argument_spec.update(SELECTOR_ARGSPEC)
    module = GraphModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[("unique_name", "app_id", "object_id", "display_name")],
    )
    module.run_and_exit(run, failures=(AppFailure, UnknownPermission))


if __name__ == "__main__":
    main()
