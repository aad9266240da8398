# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Client secret decisions for ``entra_app_secret``: pure functions, no I/O.

For internal collection use only; the interface may change without notice.

Graph facts these rely on (https://learn.microsoft.com/en-us/graph/api/application-addpassword): ``passwordCredentials[]`` of an application
hold ``displayName, endDateTime, hint, keyId, startDateTime`` but never the value; ``hint`` is
the first 3 characters of the value; the value (``secretText``) is returned once, by
``addPassword``. So a deployed secret can only be tied to a credential by its hint, and
confirmed by a real token request (done by the module, not here).
What a tenant and the app allow (policy lifetimes, refusal codes, the personal-account limit)
is in ``_secret_limits``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.procall.msteams.plugins.module_utils._dates import UTC, parse_graph_datetime

# The display name of a consumer's secret is PREFIX + ": " + consumer (e.g. the inventory host
# name), so each UCServer holds, rotates and loses only its own secret (docs/consent-and-secrets.md).
DEFAULT_NAME_PREFIX = "procall-msteams"
NAME_SEPARATOR = ": "


class SecretDecisionError(ValueError):
    """An option combination that must not run (the message is the user-facing sentence)."""


def secret_display_name(prefix, consumer=None):
    """The display name of a consumer's secret; without consumer the shared secret's name."""
    prefix = (prefix or DEFAULT_NAME_PREFIX).strip()
    if consumer is None or str(consumer).strip() == "":
        return prefix
    return prefix + NAME_SEPARATOR + str(consumer).strip()


def days_left(credential, now):
    """Whole days until ``endDateTime``, rounded UP (0 or negative once expired).

    Rounded up so that ``days_left > rotate_before_days`` is exactly "more than rotate_before_days
    days of validity remain": a secret just created with ``validity_days`` reads ``validity_days``
    (not one less), so every allowed pair (``rotate_before_days < validity_days``) keeps the new
    secret on the next run, and ``days_left <= 0`` is exactly "expired".
    """
    end = parse_graph_datetime(credential.get("endDateTime"))
    if end is None:
        return None
    return -int((now - end).total_seconds() // 86400)


# Client secrets can be valid up to 2 years in the Entra admin center, longer through Graph
# (https://learn.microsoft.com/en-us/graph/api/application-addpassword, endDateTime); 10 years
# is this collection's bound against typos.
MAX_VALIDITY_DAYS = 3650


def rotation_settings_error(rotate_before_days, validity_days, rotate_name="rotate_before_days", validity_name="validity_days"):
    """The sentence that refuses a rotate-before / validity pair, or None when the pair converges.

    A secret is renewed once it has ``rotate_before_days`` or fewer days left and a new one has
    ``validity_days`` left, so the pair converges (a rerun keeps the new secret) exactly when
    0 <= rotate_before_days < validity_days <= MAX_VALIDITY_DAYS. The names are those the user set
    (playbook variables or module options).
    """
    if not 1 <= validity_days <= MAX_VALIDITY_DAYS:
        return "%s must be a whole number of days from 1 to %d, not %d." % (validity_name, MAX_VALIDITY_DAYS, validity_days)
    if not 0 <= rotate_before_days < validity_days:
        return (
            "%s (%d) must be at least 0 and smaller than %s (%d): a secret is renewed once it has %s or fewer days left, "
            "so otherwise every new secret would be due at once and every run would rotate it."
            % (rotate_name, rotate_before_days, validity_name, validity_days, rotate_name)
        )
    return None


def consumer_credentials(credentials, name):
    """The app's credentials named ``name``, newest end date first."""
    mine = [c for c in credentials or [] if (c.get("displayName") or "") == name]
    return sorted(mine, key=lambda c: parse_graph_datetime(c.get("endDateTime")) or datetime.datetime.min.replace(tzinfo=UTC), reverse=True)


def hint_of(secret):
    """Graph's ``hint``: the first 3 characters of the value (application-addpassword)."""
    return (secret or "")[:3]


def hint_matches(credentials, secret):
    """Credentials whose hint equals the secret's first 3 characters, soonest expiry first.

    Several may share a hint; taking the soonest-expiring one can only make the module rotate
    earlier, never keep a secret too long.
    """
    if not secret:
        return []
    matches = [c for c in credentials if c.get("hint") and c.get("hint") == hint_of(secret)]
    return list(reversed(matches))


def _started(credential):
    try:
        return parse_graph_datetime(credential.get("startDateTime"))
    except ValueError:
        return None


def superseded_credentials(credentials, name, deployed_secret):
    """The consumer's credentials the deployed value matches by hint: what its host ran when it was
    read, so what a new secret made for it replaces. Never another consumer's secret, and never a
    secret made meanwhile by an overlapping run (its value is not on the host yet)."""
    return hint_matches(consumer_credentials(credentials, name), deployed_secret)


def stale_credentials(credentials, name, running, now, grace_minutes):
    """The consumer's secrets its host no longer runs that may be revoked now, oldest first.

    ``running``: the credential the consumer's host runs now (Graph form, with ``keyId`` and
    ``startDateTime``), or None when its host runs a secret this run made after ``credentials``
    were read. A secret is stale when it is not the running one and started more than
    ``grace_minutes`` before ``now`` (Graph's clock): a younger one may be the new secret of an
    overlapping run that has not deployed it yet, and is left for a later run. Older or newer
    than the running one does not matter (two overlapping runs can deploy in the other order than
    they created). While the running secret is itself younger than the grace (another run just
    deployed it and may still roll back to the one before), nothing is stale. Secrets without a
    start date are never stale (nothing here can tell their age).
    """
    limit = now - datetime.timedelta(minutes=grace_minutes)
    running_key = None
    if running is not None:
        running_start = _started(running)
        if running_start is None or running_start > limit:
            return []
        running_key = running.get("keyId")
    stale = []
    for cred in consumer_credentials(credentials, name):
        start = _started(cred)
        if cred.get("keyId") != running_key and start is not None and start <= limit:
            stale.append(cred)
    return sorted(stale, key=_started)


def replaced_credentials(credentials, name, running, now):
    """The consumer's secrets its host does not run that still work: every other unexpired
    credential of the consumer (``running``: the one its host runs), oldest first. The status
    playbook reports them; onboard and rotate_secret revoke them once they are older than the grace
    (``stale_credentials``)."""
    if not running or not running.get("keyId"):
        return []
    found = []
    for cred in consumer_credentials(credentials, name):
        left = days_left(cred, now)
        if cred.get("keyId") != running.get("keyId") and left is not None and left > 0:
            found.append(cred)
    return sorted(found, key=lambda c: _started(c) or datetime.datetime.min.replace(tzinfo=UTC))


def graph_credential(secret):
    """A secret as ``entra_app_info`` / ``entra_app`` return it (``key_id``, ``display_name``, ``hint``,
    ``start_date``, ``end_date``) in Graph's ``passwordCredential`` form, so one set of rules reads both."""
    return {
        "keyId": _field(secret, "keyId", "key_id"),
        "displayName": _field(secret, "displayName", "display_name"),
        "hint": secret.get("hint"),
        "startDateTime": _field(secret, "startDateTime", "start_date"),
        "endDateTime": _field(secret, "endDateTime", "end_date"),
    }


def describe_secrets(password_credentials, now):
    """The app's secrets without values (Graph never returns one on reads), soonest end first."""
    secrets = []
    for cred in password_credentials or []:
        try:
            end = parse_graph_datetime(cred.get("endDateTime"))
        except ValueError:
            end = None
        secrets.append(
            dict(
                key_id=cred.get("keyId"),
                display_name=cred.get("displayName"),
                hint=cred.get("hint"),
                start_date=cred.get("startDateTime"),
                end_date=cred.get("endDateTime"),
                days_left=None if end is None else days_left({"endDateTime": end}, now),
                expired=bool(end is not None and end <= now),
            )
        )
    return sorted(secrets, key=lambda s: s["end_date"] or "")


def is_usable(credential, now, rotate_before_days):
    """True while the credential has MORE than ``rotate_before_days`` whole days left (the
    ``days_left`` the module reports, so the user sees the same number the decision used)."""
    left = days_left(credential, now)
    return left is not None and left > rotate_before_days


class PresentPlan(object):
    """What ``state=present|rotated`` does. ``action`` is ``keep`` or ``create``."""

    def __init__(self, action, reason, keep=None, replaced=None, needs_token_check=False, superseded=None):
        self.action = action
        self.reason = reason
        self.keep = keep
        self.replaced = replaced or []
        self.needs_token_check = needs_token_check
        # What the consumer ran when it was read (its deployed value's hint matches): the only
        # secrets a run that deploys a new one may revoke afterwards (``superseded_credentials``).
        self.superseded = superseded or []

    def replaced_key_ids(self):
        return [c["keyId"] for c in self.replaced]

    def superseded_key_ids(self):
        return [c["keyId"] for c in self.superseded]

    def __repr__(self):  # pragma: no cover - debugging aid
        return "PresentPlan(%s, %s, keep=%s, replaced=%s)" % (self.action, self.reason, (self.keep or {}).get("keyId"), self.replaced_key_ids())


def plan_present(credentials, name, now, rotate_before_days, current_secret=None, current_secret_works=None, force=False):
    """Decide keep or create for one consumer.

    ``current_secret_works``: None = no token request made yet; True/False = its result.
    When the result is needed the plan says ``needs_token_check`` and the module asks again
    with the answer (so the decision stays pure and the token request is made only when a
    hint matched a usable credential).
    """
    plan = _plan_present(credentials, name, now, rotate_before_days, current_secret, current_secret_works, force)
    if plan.action == "create":
        plan.superseded = superseded_credentials(credentials, name, current_secret)
    return plan


def _plan_present(credentials, name, now, rotate_before_days, current_secret, current_secret_works, force):
    mine = consumer_credentials(credentials, name)
    if force:
        return PresentPlan("create", "rotation requested (state=rotated)", replaced=mine)
    if current_secret:
        matches = hint_matches(mine, current_secret)
        if not matches:
            return PresentPlan("create", "the deployed secret is none of this consumer's secrets", replaced=mine)
        in_use = matches[0]
        if not is_usable(in_use, now, rotate_before_days):
            return PresentPlan(
                "create", "the deployed secret has %s days left, rotate_before_days is %d" % (days_left(in_use, now), rotate_before_days), replaced=mine
            )
        if current_secret_works is None:
            return PresentPlan("keep", "check the deployed secret with a token request", keep=in_use, needs_token_check=True)
        if not current_secret_works:
            return PresentPlan("create", "the token endpoint rejects the deployed secret", replaced=mine)
        return PresentPlan("keep", "the deployed secret has %s days left" % days_left(in_use, now), keep=in_use)
    usable = [c for c in mine if is_usable(c, now, rotate_before_days)]
    if usable:
        return PresentPlan("keep", "a secret with %s days left exists; its value is unknown here" % days_left(usable[0], now), keep=usable[0])
    return PresentPlan("create", "no secret of this consumer has more than %d days left" % rotate_before_days, replaced=mine)


def kept_by_hint(credentials, name, deployed_secret, now, rotate_before_days):
    """The consumer's credential a deployed value is, when the app's own answer settles it without a
    token request: its hint matches exactly one of the consumer's credentials and that one has more
    than ``rotate_before_days`` days left (``is_usable``). Else None: the secret is due, none
    matches, or several share the hint; ``entra_app_secret`` then decides with a fresh read (and
    a token request where ``plan_present`` asks for one).
    """
    matches = hint_matches(consumer_credentials(credentials, name), deployed_secret)
    if len(matches) != 1 or not is_usable(matches[0], now, rotate_before_days):
        return None
    return matches[0]


def plan_absent(credentials, name=None, key_ids=None, keep_key_ids=None, current_secret=None):
    """Credentials to revoke: the given ``key_ids``, or every secret named ``name``.

    Never everything by accident: without a consumer and without key ids nothing is chosen
    (error); ``keep_key_ids`` and the credential matching the deployed ``current_secret`` are
    always kept.
    """
    keep = set(keep_key_ids or [])
    if current_secret:
        keep.update(c["keyId"] for c in hint_matches(credentials or [], current_secret))
    if key_ids:
        chosen = [c for c in credentials or [] if c.get("keyId") in set(key_ids)]
        if name is not None:
            chosen = [c for c in chosen if (c.get("displayName") or "") == name]
    elif name is not None:
        chosen = consumer_credentials(credentials, name)
    else:
        raise SecretDecisionError(
            "state=absent needs key_ids or consumer: without them it would have to choose among every secret of the app, which it never does."
        )
    return [c for c in chosen if c.get("keyId") not in keep]


def new_end_date(now, validity_days):
    return now + datetime.timedelta(days=validity_days)


def public_credential(credential, now):
    """A credential as the module returns it (never a value: Graph never returns one on reads)."""
    return {
        "key_id": credential.get("keyId"),
        "display_name": credential.get("displayName"),
        "hint": credential.get("hint"),
        "start_date": credential.get("startDateTime"),
        "end_date": credential.get("endDateTime"),
        "days_left": days_left(credential, now),
    }


def _field(credential, graph_key, public_key):
    """A credential field in Graph form (``displayName``) or as modules return it (``display_name``)."""
    value = credential.get(graph_key)
    return credential.get(public_key) if value is None else value


def secret_consumer(display_name, name_prefix=DEFAULT_NAME_PREFIX):
    """The consumer a per-consumer secret belongs to (``procall-msteams: ucs1`` -> ``ucs1``), or None
    for the shared secret (the prefix alone) and for secrets this collection did not name."""
    lead = (name_prefix or DEFAULT_NAME_PREFIX).strip() + NAME_SEPARATOR
    name = display_name or ""
    if not name.startswith(lead):
        return None
    consumer = name[len(lead) :].strip()
    return consumer or None


def orphan_secrets(app_password_credentials, inventory_consumer_names, name_prefix=DEFAULT_NAME_PREFIX):
    """The app's per-consumer secrets whose consumer is no inventory host, soonest end date first.

    Orphans are left behind by renamed, replaced or removed hosts: ``entra_app_secret`` names a
    host's secret ``<prefix>: <inventory_hostname>``, so a secret with that form whose consumer is
    not in ``inventory_consumer_names`` has no host that holds or rotates it. Never orphans: the
    shared secret (the prefix alone) and any secret with another name (made by hand or by another
    tool), because nothing here can know whether someone uses them.

    ``app_password_credentials``: ``passwordCredentials`` as Graph returns them (``keyId``,
    ``displayName``, ``endDateTime``) or as ``entra_app_info`` returns ``secrets`` (``key_id``,
    ``display_name``, ``end_date``); the credentials come back unchanged. Consumer names compare
    exactly after stripping blanks (inventory host names are case-sensitive).
    """
    known = set(str(name).strip() for name in inventory_consumer_names or [] if name is not None)
    orphans = []
    for credential in app_password_credentials or []:
        consumer = secret_consumer(_field(credential, "displayName", "display_name"), name_prefix)
        if consumer is not None and consumer not in known:
            orphans.append(credential)

    def _end(credential):
        end = parse_graph_datetime(_field(credential, "endDateTime", "end_date"))
        return (end is None, end or datetime.datetime.min.replace(tzinfo=UTC))

    return sorted(orphans, key=_end)
