#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: entra_app_secret
short_description: Ensure, rotate and revoke the client secrets of an Entra ID app, one per consumer
version_added: 0.1.0
description:
  - Manages the client secrets (C(passwordCredentials)) of the app registration that ProCall UCServer's
    Integration in Microsoft Teams uses (vendor steps "Create a client secret" and "Renew the secret", docs/vendor-procedure.md).
  - >-
    B(One secret per consumer.) The secret's display name is O(secret_name_prefix), a colon, a space and O(consumer)
    (for example V(procall-msteams: ucs1.example.com) when the inventory host name is passed), so every UCServer
    holds its own secret, rotates on its own and can be revoked alone. Without O(consumer) the secret is named
    O(secret_name_prefix) alone and is shared by everyone who uses it.
  - B(state=present) keeps the consumer's secret while it has more than O(rotate_before_days) days left and
    otherwise adds a new one valid O(validity_days) days. Microsoft Graph never returns a secret's value after
    creation; only its first 3 characters (C(hint)). When O(current_secret) (the value deployed on the host) is
    given, the module finds the credential with that hint among the consumer's secrets and confirms the value with
    a real token request; if the host's value matches none of them or the token service rejects it, a new secret
    is created. Without O(current_secret) the module keeps an existing secret with enough days left but cannot
    return its value (RV(secret_known=false)); the caller decides what to do.
  - B(state=rotated) always adds a new secret. B(state=absent) revokes the secrets given in O(key_ids), or every
    secret of O(consumer) except O(keep_key_ids) and except the one matching O(current_secret).
  - New or replaced secrets are never revoked by V(present) or V(rotated); they are listed in
    RV(replaced_key_ids) so that a later V(absent) task revokes them only after the new value is deployed.
  - B(Whose clock.) Days left are counted against the time in the C(Date) header of Microsoft Graph's answer
    (the server decides when a secret has expired), and against the controller's clock only when Graph sends
    none. Tests move the Graph emulator's clock this way; users need no option for it.
  - B(Secret values in output.) The new value is returned in RV(secret). An action plugin marks the whole result
    of this task as C(no_log) whenever it carries a value, so Ansible censors it in every callback and at every
    verbosity; still set the task keyword C(no_log) to true on every task that uses this module (the examples do).
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
    details:
      - Reports whether a secret would be created or revoked.
      - The token request that confirms O(current_secret) is made in check mode too (it writes nothing).
  diff_mode:
    support: full
    details: Shows the consumer's secrets (key id, hint, end date, never a value) before and after.
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
  state:
    description:
      - V(present) ensures the consumer has a secret with more than O(rotate_before_days) days left.
      - V(rotated) always adds a new secret.
      - V(absent) revokes secrets (O(key_ids), or every secret of O(consumer) except O(keep_key_ids)).
    type: str
    choices: [present, rotated, absent]
    default: present
  consumer:
    description:
      - Who uses the secret, usually the inventory host name of the UCServer (C(inventory_hostname)).
      - Omit it to manage one secret shared by all consumers (named O(secret_name_prefix)).
      - With V(absent), O(consumer) or O(key_ids) is required, so that the module never picks among all the app's secrets.
    type: str
  secret_name_prefix:
    description: First part of the display name of the secrets this module manages.
    type: str
    default: procall-msteams
  current_secret:
    description:
      - The secret value deployed on the consumer (the role's C(ucserver_current_secret)), to tell which credential is in use.
      - Returned as RV(secret) when it is kept.
    type: str
  rotate_before_days:
    description: Rotate when the secret in use has this many days left or fewer. Microsoft recommends at least 30.
    type: int
    default: 30
  validity_days:
    description:
      - Lifetime of a new secret in days. Microsoft recommends less than a year; the portal allows up to 730.
      - A tenant or app management policy may cap it (the module then fails naming the policy).
      - From 1 to 3650 (ten years); other values are an error before anything is written.
    type: int
    default: 180
  key_ids:
    description: With V(absent), the key ids of the secrets to revoke (with O(consumer), only those of that consumer).
    type: list
    elements: str
  keep_key_ids:
    description: With V(absent), key ids that are never revoked, for example the RV(key_id) of the secret just deployed.
    type: list
    elements: str
  verify:
    description:
      - Before returning a new secret, request a token with it (waiting up to O(verify_timeout) seconds for Entra ID to
        replicate it) and check that the token's C(roles) claim holds O(verify_roles).
      - When the check fails, the new secret is revoked again and the task fails; no unverified secret is ever
        returned or left behind (an unknown value would otherwise count as a valid secret on the next run).
    type: bool
    default: true
  verify_timeout:
    description:
      - Seconds to wait for a new secret to be accepted by the token service (replication takes up to a few minutes), from 0 to 3600.
      - The wait is part of the task's one retry budget, so it also ends when O(max_retry_wait) is used up.
    type: int
    default: 180
  verify_roles:
    description:
      - Application permissions the new secret's token must carry in its C(roles) claim; proves admin consent
        (M(procall.msteams.entra_admin_consent)) works. An empty list only checks that a token is issued.
    type: list
    elements: str
    default: [Presence.ReadWrite.All]
notes:
  - Needs C(Application.ReadWrite.OwnedBy) (apps the automation identity owns) or C(Application.ReadWrite.All).
  - Apps whose C(signInAudience) includes personal Microsoft accounts can hold only 2 secrets.
seealso:
  - module: procall.msteams.entra_app
  - module: procall.msteams.entra_admin_consent
"""

EXAMPLES = r"""
- name: Ensure each UCServer has its own valid secret
  module_defaults:
    group/procall.msteams.graph:
      tenant_id: "{{ entra_tenant_id }}"
      client_id: "{{ automation_client_id }}"
      client_secret: "{{ automation_client_secret }}"
  block:
    - name: Keep or renew the host's secret
      procall.msteams.entra_app_secret:
        unique_name: procall-msteams
        consumer: "{{ inventory_hostname }}"
        current_secret: "{{ ucserver_current_secret | default(omit) }}"
      delegate_to: localhost
      register: teams_secret
      no_log: true

    - name: Deploy the new secret (role procall.msteams.ucserver)
      ansible.builtin.include_role:
        name: procall.msteams.ucserver
      vars:
        ucserver_client_secret: "{{ teams_secret.secret }}"
      when: teams_secret.rotated

    - name: Revoke this host's replaced secrets once the new one runs
      procall.msteams.entra_app_secret:
        unique_name: procall-msteams
        consumer: "{{ inventory_hostname }}"
        state: absent
        keep_key_ids: ["{{ teams_secret.key_id }}"]
      delegate_to: localhost
      when: teams_secret.rotated
      no_log: true

- name: One secret shared by every UCServer, rotated now
  procall.msteams.entra_app_secret:
    app_id: 11111111-2222-3333-4444-555555555555
    state: rotated
    validity_days: 90
  delegate_to: localhost
  run_once: true
  register: shared_secret
  no_log: true
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
secret:
  description:
    - The secret value, only when it was created by this run or passed in as O(current_secret) and kept.
    - The whole task result is marked no_log while it holds this value.
  returned: when RV(secret_known) is true
  type: str
secret_known:
  description: Whether RV(secret) holds the value of the consumer's secret in use (false when an existing secret was kept without O(current_secret)).
  returned: state is present or rotated
  type: bool
  sample: true
key_id:
  description: Key id of the consumer's secret in use after this run (the new one when one was created).
  returned: state is present or rotated and a secret exists
  type: str
  sample: 9a0e8c4b-1f7d-4f5e-9f1a-2b3c4d5e6f70
end_date:
  description: End date of that secret (ISO 8601, UTC).
  returned: state is present or rotated and a secret exists
  type: str
  sample: "2027-05-26T03:00:00Z"
days_left:
  description: Whole days that secret is still valid, on Graph's clock.
  returned: state is present or rotated and a secret exists
  type: int
  sample: 180
rotated:
  description: A new secret was created in this run (also the very first one); deploy RV(secret).
  returned: always
  type: bool
replaced_key_ids:
  description: Key ids of the consumer's older secrets, to revoke with O(state=absent) after the new value is deployed.
  returned: always
  type: list
  elements: str
superseded_key_ids:
  description:
    - Key ids of the consumer's secrets that O(current_secret) matches by its hint (what the consumer ran when it was read), when a new
      secret was created; empty otherwise.
    - What a run that deploys the new secret revokes afterwards (with O(state=absent), O(key_ids) and the value the consumer runs then as
      O(current_secret)). Unlike RV(replaced_key_ids) it never holds a secret an overlapping run made for the same consumer meanwhile.
  returned: always
  type: list
  elements: str
revoked_key_ids:
  description: Key ids revoked by this run (O(state=absent)).
  returned: always
  type: list
  elements: str
verified:
  description: The new secret got a token whose C(roles) hold O(verify_roles).
  returned: always
  type: bool
secrets:
  description: The consumer's secrets after this run (no values).
  returned: always
  type: list
  elements: dict
  sample: [{"key_id": "9a0e8c4b-1f7d-4f5e-9f1a-2b3c4d5e6f70", "display_name": "procall-msteams: ucs1", "hint": "Abc",
            "start_date": "2026-11-27T03:00:00Z", "end_date": "2027-05-26T03:00:00Z", "days_left": 180}]
secret_display_name:
  description: Display name of the consumer's secrets.
  returned: always
  type: str
  sample: "procall-msteams: ucs1"
app_id:
  description: Application (client) id of the app.
  returned: always
  type: str
reason:
  description: Why the module kept, created or revoked a secret, in one sentence.
  returned: always
  type: str
"""

from ansible_collections.procall.msteams.plugins.module_utils._app_lookup import SELECTOR_ARGSPEC, SELECTORS, selector_text
from ansible_collections.procall.msteams.plugins.module_utils._compare import DifferenceTracker
from ansible_collections.procall.msteams.plugins.module_utils._dates import format_graph_datetime, parse_graph_datetime
from ansible_collections.procall.msteams.plugins.module_utils._graph_client import GraphAuthError, GraphError
from ansible_collections.procall.msteams.plugins.module_utils._graph_module import GraphModule
from ansible_collections.procall.msteams.plugins.module_utils._graph_settings import validate_guid
from ansible_collections.procall.msteams.plugins.module_utils._replication import find_application_waiting
from ansible_collections.procall.msteams.plugins.module_utils._secret_limits import (
    PERSONAL_SECRET_LIMIT,
    POLICY_FORBIDDEN_CODE,
    POLICY_LIFETIME_CODE,
    TOO_MANY_PASSWORDS_CODE,
    personal_limit_reached,
    policy_max_lifetime_days,
)
from ansible_collections.procall.msteams.plugins.module_utils._secrets import (
    DEFAULT_NAME_PREFIX,
    SecretDecisionError,
    consumer_credentials,
    days_left,
    new_end_date,
    plan_absent,
    plan_present,
    public_credential,
    rotation_settings_error,
    secret_display_name,
)

MAX_VERIFY_TIMEOUT = 3600


class SecretFailure(Exception):
    """A sentence for fail_json (never holds a secret value)."""


def token_accepts(client, app_id, secret, tenant_id):
    """Confirm a deployed value with a real token request; False when the token service rejects it."""
    try:
        client.acquire_token_for(app_id, secret, tenant_id=tenant_id)
    except GraphAuthError:
        return False
    return True


def verify_new_secret(client, app_id, secret, tenant_id, roles, timeout):
    """Wait until the token service accepts the new secret and its token carries ``roles``.

    Entra ID is eventually consistent: a new secret or consent takes a minute or two to reach
    the token service (AADSTS7000215 meanwhile), so every refusal is retried, within the
    client's retry budget and at most ``timeout`` seconds. Returns None when verified, else
    the last reason.
    """

    def attempt():
        try:
            claims = client.acquire_token_for(app_id, secret, tenant_id=tenant_id)
        except GraphAuthError as exc:
            return None, str(exc)
        except GraphError as exc:
            # Not a refusal of the secret (the endpoint kept failing, bad options): waiting more will not help.
            return str(exc), None
        missing = [r for r in roles if r not in set(claims.get("roles") or [])]
        if not missing:
            return True, None
        return None, (
            "its token lacks the application permission(s) %s in the roles claim (admin consent missing: run procall.msteams.entra_admin_consent)"
            % ", ".join(missing)
        )

    outcome, reason = client.budget.until(attempt, "the token service does not accept the new secret yet", cap=timeout)
    if outcome is True:
        return None
    return outcome if outcome is not None else reason


def find_credential(client, app, name, start):
    """The credential named ``name`` that starts at ``start`` (a lost addPassword answer), or None."""
    current = client.get("applications/%s" % app["id"], params={"$select": "id,passwordCredentials"}, action="read the application's secrets")
    for cred in current.get("passwordCredentials") or []:
        started = parse_graph_datetime(cred.get("startDateTime"))
        if (cred.get("displayName") or "") == name and started is not None and started.replace(microsecond=0) == start:
            return cred
    return None


def add_password(client, app, name, start, end):
    """addPassword, safe to resend: a secret whose answer was lost (so whose value nobody knows) is
    found by its display name and start time and revoked before the request is sent again."""

    def recheck(_maybe_done):
        orphan = find_credential(client, app, name, start)
        if orphan is not None:
            client.post("applications/%s/removePassword" % app["id"], {"keyId": orphan["keyId"]}, action="revoke a client secret whose value was lost")
        return None

    body = {"passwordCredential": {"displayName": name, "startDateTime": format_graph_datetime(start), "endDateTime": format_graph_datetime(end)}}
    return client.post("applications/%s/addPassword" % app["id"], body, action="add a client secret to the application", recheck=recheck)


def revoke_secret(client, app, key_id, action):
    try:
        client.post("applications/%s/removePassword" % app["id"], {"keyId": key_id}, action=action)
    except GraphError as exc:
        if exc.status not in (400, 404):  # already gone (a retried request whose first attempt went through)
            raise


def check_options(p):
    rotation_error = rotation_settings_error(p["rotate_before_days"], p["validity_days"])
    if rotation_error:
        raise SecretFailure(rotation_error)
    if not 0 <= p["verify_timeout"] <= MAX_VERIFY_TIMEOUT:
        raise SecretFailure("verify_timeout must be from 0 to %d seconds." % MAX_VERIFY_TIMEOUT)
    for option in ("key_ids", "keep_key_ids"):
        for key_id in p[option] or []:
            validate_guid(key_id, option, "a secret's key id")
    if p["state"] == "absent" and not p["consumer"] and not p["key_ids"]:
        raise SecretFailure("state=absent needs key_ids or consumer: without them it would have to choose among every secret of the app, which it never does.")


def allowed_lifetime_days(client, app_object_id):
    """Best effort: the policies' passwordLifetime maxLifetime in days (needs Policy.Read.All), else None."""
    policies = []
    for path in ("policies/defaultAppManagementPolicy", "applications/%s/appManagementPolicies" % app_object_id):
        try:
            answer = client.get(path, action="read the app management policy")
        except GraphError:
            continue
        policies.extend(answer.get("value") or [answer])
    return policy_max_lifetime_days(policies)


def add_password_failure(client, exc, app, validity_days):
    """One sentence for an addPassword refusal: policy (and its maximum), the 2-secret limit, or Graph's words."""
    graph = "Graph answered %s %s%s (request-id %s)" % (
        exc.status,
        exc.code or "",
        (": " + exc.message.rstrip(".")) if exc.message else "",
        exc.request_id or "n/a",
    )
    if exc.code == TOO_MANY_PASSWORDS_CODE or personal_limit_reached(app):
        return "Could not add a client secret: apps whose signInAudience is %s allow only %d client secrets (%s); revoke one with state=absent and key_ids." % (
            app.get("signInAudience"),
            PERSONAL_SECRET_LIMIT,
            graph,
        )
    if exc.code == POLICY_FORBIDDEN_CODE:
        return (
            "Could not add a client secret: a tenant or app management policy (appManagementPolicy passwordCredentials restriction "
            "passwordAddition) forbids new client secrets (%s). Ask the tenant administrator for an exemption for this app, or use a certificate." % graph
        )
    if exc.code == POLICY_LIFETIME_CODE:
        allowed = allowed_lifetime_days(client, app["id"])
        maximum = "the policy's maxLifetime (GET /policies/defaultAppManagementPolicy shows it)"
        if allowed is not None:
            maximum = "at most %s days" % allowed
        return (
            "Could not add a client secret valid %d days: a tenant or app management policy (appManagementPolicy passwordCredentials restriction "
            "passwordLifetime) caps the lifetime of new secrets (%s). Set validity_days to %s." % (validity_days, graph, maximum)
        )
    return "Could not add a client secret valid %d days: %s. A tenant or app management policy may restrict new secrets; check validity_days." % (
        validity_days,
        graph,
    )


def run(module):
    p = module.params
    client = module.client
    state = p["state"]
    check_options(p)

    app = find_application_waiting(client, {k: p[k] for k in SELECTORS})
    if app is None:
        raise SecretFailure(
            "No application matches %s after waiting %.0f s of max_retry_wait for replication; create it first with procall.msteams.entra_app."
            % (selector_text({k: p[k] for k in SELECTORS}), client.budget.waited)
        )
    if "passwordCredentials" not in app or "appId" not in app:
        app = client.get("applications/%s" % app["id"], action="read the application's secrets")
    # Graph's clock (the Date header of its last answer, RFC 9110): Entra decides when a secret expires.
    now = client.now()
    creds = app.get("passwordCredentials") or []
    name = secret_display_name(p["secret_name_prefix"], p["consumer"])
    result = dict(
        changed=False,
        app_id=app.get("appId"),
        secret_display_name=name,
        rotated=False,
        replaced_key_ids=[],
        superseded_key_ids=[],
        revoked_key_ids=[],
        verified=False,
    )
    before = [public_credential(c, now) for c in consumer_credentials(creds, name)]

    if state == "absent":
        try:
            revoke = plan_absent(creds, name if p["consumer"] else None, p["key_ids"], p["keep_key_ids"], p["current_secret"])
        except SecretDecisionError as exc:
            raise SecretFailure(str(exc)) from None
        if not module.check_mode:
            for cred in revoke:
                revoke_secret(client, app, cred["keyId"], "revoke the client secret %s" % cred["keyId"])
        gone = set(c["keyId"] for c in revoke)
        result.update(
            revoked_key_ids=sorted(gone),
            secrets=[c for c in before if c["key_id"] not in gone],
            reason="revoked %d secret(s)" % len(revoke) if revoke else "nothing to revoke",
        )
        return finish(result, before, result["secrets"])

    plan = plan_present(creds, name, now, p["rotate_before_days"], current_secret=p["current_secret"], force=(state == "rotated"))
    if plan.needs_token_check:
        works = token_accepts(client, app["appId"], p["current_secret"], client.tenant_id)
        plan = plan_present(creds, name, now, p["rotate_before_days"], current_secret=p["current_secret"], current_secret_works=works)

    if plan.action == "keep":
        kept = plan.keep
        result.update(
            key_id=kept["keyId"],
            end_date=kept.get("endDateTime"),
            days_left=days_left(kept, now),
            secret_known=bool(p["current_secret"]),
            # The action plugin puts the passed-in value back (AnsibleModule masks no_log option values in returns).
            secret_from_option=bool(p["current_secret"]),
            secrets=before,
            reason=plan.reason,
        )
        return finish(result, before, before)

    if personal_limit_reached(app):
        raise SecretFailure(
            "The app's signInAudience %s allows only %d client secrets and it already has %d (key ids %s); revoke one with state=absent "
            "(key_ids), or share one secret between consumers (omit consumer)."
            % (app.get("signInAudience"), PERSONAL_SECRET_LIMIT, len(creds), ", ".join(c.get("keyId", "?") for c in creds))
        )
    start = now.replace(microsecond=0)
    end = new_end_date(start, p["validity_days"])
    result.update(rotated=True, replaced_key_ids=plan.replaced_key_ids(), superseded_key_ids=plan.superseded_key_ids(), secret_known=True, reason=plan.reason)
    planned = {"key_id": "(new)", "display_name": name, "end_date": format_graph_datetime(end), "days_left": p["validity_days"]}
    if module.check_mode:
        result.update(secret_known=False, end_date=format_graph_datetime(end), days_left=p["validity_days"], secrets=[planned] + before)
        return finish(result, before, [planned] + before)
    try:
        new = add_password(client, app, name, start, end)
    except GraphError as exc:
        if exc.status == 400:
            raise SecretFailure(add_password_failure(client, exc, app, p["validity_days"])) from None
        raise
    new = new or {}
    value = new.get("secretText")
    if not value or not new.get("keyId"):
        raise SecretFailure("Graph answered addPassword without secretText or keyId; nothing can be deployed. Run again.")
    if p["verify"]:
        failure = verify_new_secret(client, app["appId"], value, client.tenant_id, p["verify_roles"], p["verify_timeout"])
        if failure is not None:
            try:
                revoke_secret(client, app, new["keyId"], "revoke the unverified new client secret")
                outcome = "it was revoked again so no unverified secret is left"
            except GraphError as exc:
                outcome = "revoking it failed too (%s): revoke it with state=absent and key_ids=[%s]" % (str(exc).rstrip("."), new["keyId"])
            raise SecretFailure(
                "The new client secret %s was not accepted within verify_timeout=%ds (and max_retry_wait=%gs) (%s); %s. "
                "Raise verify_timeout, or fix admin consent, or set verify_roles: [] to skip the roles check."
                % (new["keyId"], p["verify_timeout"], client.budget.max_wait, failure.rstrip("."), outcome)
            )
        result["verified"] = True
    new_cred = dict(new, displayName=new.get("displayName") or name)
    after = [public_credential(new_cred, now)] + before
    result.update(
        secret=value,
        key_id=new["keyId"],
        end_date=new.get("endDateTime"),
        days_left=days_left(new_cred, now),
        secrets=after,
    )
    return finish(result, before, after)


def finish(result, before, after):
    """``changed`` and ``diff`` from the one diff helper (no secret values in either list)."""
    tracker = DifferenceTracker()
    tracker.add("secrets", before, after)
    result.update(changed=tracker.has_changed(), diff=tracker.diff(all_items=True))
    return result


def main():
    module = GraphModule(
        argument_spec=dict(
            **SELECTOR_ARGSPEC,
            state=dict(type="str", default="present", choices=["present", "rotated", "absent"]),
            consumer=dict(type="str"),
            secret_name_prefix=dict(type="str", default=DEFAULT_NAME_PREFIX, no_log=False),
            current_secret=dict(type="str", no_log=True),
            rotate_before_days=dict(type="int", default=30),
            validity_days=dict(type="int", default=180),
            key_ids=dict(type="list", elements="str", no_log=False),
            keep_key_ids=dict(type="list", elements="str", no_log=False),
            verify=dict(type="bool", default=True),
            verify_timeout=dict(type="int", default=180),
            verify_roles=dict(type="list", elements="str", default=["Presence.ReadWrite.All"]),
        ),
        supports_check_mode=True,
        required_one_of=[SELECTORS],
        mutually_exclusive=[SELECTORS],
    )
    module.run_and_exit(run, failures=(SecretFailure,))


if __name__ == "__main__":
    main()
