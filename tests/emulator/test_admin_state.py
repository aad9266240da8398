"""Out-of-band admin changes, ``state()`` and small query details."""

from __future__ import annotations

from .test_applications import _error


def test_admin_changes_bypass_permissions_and_show_in_graph(world):
    admin = world.emulator.admin(world.tenant_id)
    app = admin.add_application({"displayName": "portal app", "uniqueName": "by-hand"})
    assert "secretText" not in str(app)
    admin.patch_application(app["id"], {"publicClient": {"redirectUris": ["http://drift"]}})
    got = world.call("GET", "/applications(uniqueName='by-hand')").json()
    assert got["publicClient"]["redirectUris"] == ["http://drift"]
    admin.delete_object("applications", app["id"])
    _error(world.call("GET", f"/applications/{app['id']}"), 404, "Request_ResourceNotFound")
    # The log holds only the Graph calls of the test, the admin calls are control requests.
    assert world.emulator.count(writes=True) == 0
    assert world.emulator.count(kind="control", writes=True) >= 3


def test_state_holds_plain_objects_without_secrets(world):
    app = world.call("POST", "/applications", json={"displayName": "x"}).json()
    secret = world.call("POST", f"/applications/{app['id']}/addPassword", json={}).json()["secretText"]
    state = world.emulator.state(world.tenant_id)
    assert {a["id"] for a in state["applications"]} == {app["id"], world.identity["object_id"]}
    assert state["organization"]["id"] == world.tenant_id
    assert any(a["principalId"] == world.identity["service_principal_id"] for a in state["appRoleAssignments"])
    assert secret not in str(state)
    assert world.identity["client_secret"] not in str(state)
    assert secret not in str(world.emulator.requests())


def test_select_on_single_objects_and_case_insensitive_filter(world):
    app = world.call("POST", "/applications", json={"displayName": "ProCall Teams"}).json()
    assert world.call("GET", f"/applications/{app['id']}", params={"$select": "id,displayName"}).json() == {
        "@odata.context": f"{world.emulator.url}/v1.0/$metadata#applications/$entity",
        "id": app["id"],
        "displayName": "ProCall Teams",
    }
    found = world.call("GET", "/applications", params={"$filter": "displayName eq 'procall teams'"}).json()["value"]
    assert [a["id"] for a in found] == [app["id"]]
    _error(world.call("GET", f"/applications/{app['id']}", params={"$select": "nope"}), 400, "BadRequest")
    quoted = world.call("POST", "/applications", json={"displayName": "O'Brien"}).json()
    found = world.call("GET", "/applications", params={"$filter": "displayName eq 'O''Brien'"}).json()["value"]
    assert [a["id"] for a in found] == [quoted["id"]]


def test_unknown_segment_and_method(world):
    _error(world.call("GET", "/users"), 400, "BadRequest")
    _error(world.call("PUT", "/applications"), 405, "Request_BadRequest")


def test_reset_forgets_everything(graph_emulator):
    tenant = graph_emulator.add_tenant()
    graph_emulator.faults.latency(50)
    graph_emulator.clock.advance(days=3)
    graph_emulator.reset()
    assert graph_emulator.faults.current()["latency_ms"] == 0
    assert abs(graph_emulator.clock.now().timestamp() - __import__("time").time()) < 5
    assert [e["path"] for e in graph_emulator.requests()] == ["/_emulator/reset", "/_emulator/faults", "/_emulator/clock"]
    try:
        graph_emulator.state(tenant)
    except Exception as exc:  # noqa: BLE001 - EmulatorError carries the status
        assert "404" in str(exc)
    else:
        raise AssertionError("tenant survived reset")


def test_count_needs_consistency_level(world):
    for n in range(3):
        world.call("POST", "/applications", json={"displayName": f"a{n}"})
    _error(world.call("GET", "/applications", params={"$count": "true"}), 400, "Request_BadRequest")
    body = world.call("GET", "/applications", params={"$count": "true", "$top": "2"}, headers={"ConsistencyLevel": "eventual"}).json()
    assert body["@odata.count"] == 4 and len(body["value"]) == 2
