"""Decisions of entra_app and entra_app_info as pure functions (no I/O)."""

import copy
from datetime import datetime, timezone

from ansible_collections.procall.msteams.plugins.module_utils._permissions import (
    DEFAULT_APPLICATION,
    DEFAULT_DELEGATED,
    builtin_graph_sp,
    resolve_permissions,
)
from ansible_collections.procall.msteams.plugins.modules.entra_app import create_body, plan_update, upsert_path
from ansible_collections.procall.msteams.plugins.modules.entra_app_info import consent_state, describe_secrets

SP = builtin_graph_sp()
WANTED = resolve_permissions(SP, {"delegated": DEFAULT_DELEGATED, "application": DEFAULT_APPLICATION})
PARAMS = {
    "display_name": "ProCall",
    "sign_in_audience": "AzureADMyOrg",
    "redirect_uris": ["http://localhost"],
    "permissions_mode": "exact",
    "notes": None,
    "tags": None,
}


def converged_app():
    return copy.deepcopy({"id": "o1", "appId": "a1", "displayName": "ProCall", **{k: v for k, v in create_body(PARAMS, WANTED).items() if k != "displayName"}})


def test_converged_app_needs_nothing():
    tracker, body, owners, names = plan_update(converged_app(), PARAMS, WANTED, SP)
    assert not tracker.has_changed() and body == {} and owners == []
    assert names["application"] == ["Presence.ReadWrite.All"]


def test_drift_is_detected_and_patched_with_the_full_permission_list():
    app = converged_app()
    app["publicClient"] = {"redirectUris": []}
    app["signInAudience"] = "AzureADMultipleOrgs"
    app["requiredResourceAccess"] = resolve_permissions(SP, {"delegated": ["User.Read"]})
    tracker, body, _owners, _names = plan_update(app, PARAMS, WANTED, SP)
    assert set(tracker.changed_names()) == {"redirect_uris", "sign_in_audience", "permissions"}
    assert body["publicClient"] == {"redirectUris": ["http://localhost"]}
    assert len(body["requiredResourceAccess"][0]["resourceAccess"]) == 4
    before, after = tracker.get_before_after()
    assert before["permissions"]["delegated"] == ["User.Read"]
    assert after["permissions"]["application"] == ["Presence.ReadWrite.All"]


def test_additive_mode_keeps_extra_permissions():
    app = converged_app()
    extra = resolve_permissions(SP, {"application": ["Presence.Read.All"]})[0]["resourceAccess"]
    app["requiredResourceAccess"][0]["resourceAccess"] += extra
    tracker, body, _owners, _names = plan_update(app, dict(PARAMS, permissions_mode="additive"), WANTED, SP)
    assert not tracker.has_changed()
    tracker, body, _owners, _names = plan_update(app, PARAMS, WANTED, SP)
    assert tracker.changed_names() == ["permissions"]


def test_owners_are_added_never_removed():
    tracker, body, owners, _names = plan_update(converged_app(), PARAMS, WANTED, SP, current_owners=["x"], wanted_owners=["me"])
    assert owners == ["me"] and body == {}
    assert tracker.diff()["after"]["owners"] == ["me", "x"]


def test_upsert_path_quotes():
    assert upsert_path("o'brien") == "applications(uniqueName='o''brien')"


def test_secrets_days_left_and_no_values():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    creds = [
        {
            "keyId": "k1",
            "displayName": "host1",
            "hint": "abc",
            "startDateTime": "2025-01-01T00:00:00Z",
            "endDateTime": "2026-01-31T12:00:00.1234567Z",
            "secretText": None,
        },
        {"keyId": "k2", "displayName": "old", "hint": "def", "endDateTime": "2025-12-30T00:00:00Z"},
    ]
    out = describe_secrets(creds, now)
    assert [s["key_id"] for s in out] == ["k2", "k1"]
    assert out[1]["days_left"] == 31 and not out[1]["expired"]  # 30.5 days, rounded up
    assert out[0]["days_left"] == -2 and out[0]["expired"]
    assert all("secretText" not in s and "secret_text" not in s for s in out)


def test_consent_state():
    requested = {"delegated": ["Presence.Read", "User.Read"], "application": ["Presence.ReadWrite.All"]}
    state = consent_state(requested, ["User.Read", "Presence.Read"], [])
    assert state["delegated"]["missing"] == [] and state["application"]["missing"] == ["Presence.ReadWrite.All"]
    assert state["complete"] is False
    assert consent_state(requested, ["User.Read", "Presence.Read"], ["Presence.ReadWrite.All"])["complete"] is True
    assert consent_state(requested, None, ["Presence.ReadWrite.All"])["complete"] is None
