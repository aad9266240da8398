"""Service principals, the seeded Graph SP, app role assignments (and roles in tokens), grants, organization."""

from __future__ import annotations

import jwt

from .conftest import World
from .graph_seed import APP_ROLES, GRAPH_APP_ID, SCOPES
from .test_applications import _error

PRESENCE_RW = "83cded22-8297-4ff6-a7fa-e97e9545a259"


def _app_with_sp(world, name="ProCall"):
    app = world.call("POST", "/applications", json={"displayName": name}).json()
    sp = world.call("POST", "/servicePrincipals", json={"appId": app["appId"]})
    assert sp.status_code == 201, sp.text
    return app, sp.json()


def test_seeded_graph_service_principal_carries_real_ids(world):
    found = world.call("GET", "/servicePrincipals", params={"$filter": f"appId eq '{GRAPH_APP_ID}'", "$select": "id,appRoles,oauth2PermissionScopes"})
    sp = found.json()["value"][0]
    assert set(sp) == {"id", "appRoles", "oauth2PermissionScopes"}
    roles = {r["value"]: r["id"] for r in sp["appRoles"]}
    scopes = {s["value"]: s["id"] for s in sp["oauth2PermissionScopes"]}
    assert roles["Presence.ReadWrite.All"] == PRESENCE_RW
    assert roles["Presence.Read.All"] == "a70e0c2d-e793-494c-94c4-118fa0a67f42"
    assert scopes["Presence.Read"] == "76bc735e-aecd-4a1d-8b4c-2b915deabb79"
    assert scopes["Presence.Read.All"] == "9c7a330d-35b3-4aa1-963d-cb2b9f927841"
    assert scopes["User.Read"] == "e1fe6dd8-ba31-4d61-89e7-88639da4683d"
    for name in (
        "Application.Read.All",
        "Application.ReadWrite.All",
        "Application.ReadWrite.OwnedBy",
        "AppRoleAssignment.ReadWrite.All",
        "DelegatedPermissionGrant.ReadWrite.All",
        "Directory.Read.All",
        "AppRegistration.Create",
    ):
        assert roles[name] == APP_ROLES[name]
    assert set(scopes) >= {"Presence.Read", "Presence.Read.All", "User.Read"}
    assert world.call("GET", f"/servicePrincipals/{sp['id']}").json()["appId"] == GRAPH_APP_ID


def test_every_tenant_has_its_own_graph_service_principal(graph_emulator):
    one, two = World(graph_emulator), World(graph_emulator, name="fabrikam")
    assert one.graph_sp()["id"] != two.graph_sp()["id"]
    # A token of one tenant sees only its own tenant's objects.
    assert [a["id"] for a in two.call("GET", "/applications").json()["value"]] == [two.identity["object_id"]]


def test_create_list_get_delete_service_principal(world):
    app, sp = _app_with_sp(world)
    assert sp["appId"] == app["appId"] and sp["displayName"] == "ProCall"
    listed = world.call("GET", "/servicePrincipals", params={"$filter": f"appId eq '{app['appId']}'"}).json()["value"]
    assert [s["id"] for s in listed] == [sp["id"]]
    assert world.call("GET", f"/servicePrincipals(appId='{app['appId']}')").json()["id"] == sp["id"]
    _error(world.call("POST", "/servicePrincipals", json={"appId": app["appId"]}), 409, "Request_MultipleObjectsWithSameKeyValue")
    assert world.call("DELETE", f"/servicePrincipals/{sp['id']}").status_code == 204
    _error(world.call("GET", f"/servicePrincipals/{sp['id']}"), 404, "Request_ResourceNotFound")


def test_service_principal_for_unknown_app_is_no_backing_application_object(world):
    response = world.call("POST", "/servicePrincipals", json={"appId": "11111111-2222-3333-4444-555555555555"})
    error = _error(response, 400, "Request_BadRequest")
    assert error["details"][0]["code"] == "NoBackingApplicationObject"
    _error(world.call("POST", "/servicePrincipals", json={"appId": "x", "colour": 1}), 400, "Request_BadRequest")


def test_deleting_the_app_deletes_its_service_principal(world):
    app, sp = _app_with_sp(world)
    world.call("DELETE", f"/applications/{app['id']}")
    assert sp["id"] not in [s["id"] for s in world.emulator.state(world.tenant_id)["servicePrincipals"]]


def test_app_role_assignment_shows_up_in_the_next_token(world):
    app, sp = _app_with_sp(world)
    secret = world.call("POST", f"/applications/{app['id']}/addPassword", json={}).json()["secretText"]
    before = world.emulator.token(world.tenant_id, app["appId"], secret).json()["access_token"]
    assert "roles" not in jwt.decode(before, options={"verify_signature": False})
    graph_sp = world.graph_sp()
    body = {"principalId": sp["id"], "resourceId": graph_sp["id"], "appRoleId": PRESENCE_RW}
    created = world.call("POST", f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo", json=body)
    assert created.status_code == 201, created.text
    assignment = created.json()
    assert assignment["principalType"] == "ServicePrincipal" and assignment["resourceDisplayName"] == "Microsoft Graph"
    after = world.emulator.token(world.tenant_id, app["appId"], secret).json()["access_token"]
    assert jwt.decode(after, options={"verify_signature": False})["roles"] == ["Presence.ReadWrite.All"]
    # Both sides list it.
    assigned_to = world.call("GET", f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo").json()["value"]
    assert assignment["id"] in [a["id"] for a in assigned_to]
    assignments = world.call("GET", f"/servicePrincipals/{sp['id']}/appRoleAssignments").json()["value"]
    assert [a["id"] for a in assignments] == [assignment["id"]]
    # Duplicate: 400 Request_BadRequest (README "Choices").
    duplicate = world.call("POST", f"/servicePrincipals/{sp['id']}/appRoleAssignments", json=body)
    assert "already exists" in _error(duplicate, 400, "Request_BadRequest")["message"]
    # Removing it removes the role from the next token.
    assert world.call("DELETE", f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo/{assignment['id']}").status_code == 204
    last = world.emulator.token(world.tenant_id, app["appId"], secret).json()["access_token"]
    assert "roles" not in jwt.decode(last, options={"verify_signature": False})


def test_assignment_validation(world):
    app, sp = _app_with_sp(world)
    graph_sp = world.graph_sp()
    wrong_role = {"principalId": sp["id"], "resourceId": graph_sp["id"], "appRoleId": SCOPES["User.Read"]}
    _error(world.call("POST", f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo", json=wrong_role), 400, "Request_BadRequest")
    other_resource = {"principalId": sp["id"], "resourceId": sp["id"], "appRoleId": PRESENCE_RW}
    _error(world.call("POST", f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo", json=other_resource), 400, "Request_BadRequest")
    extra = {"principalId": sp["id"], "resourceId": graph_sp["id"], "appRoleId": PRESENCE_RW, "weight": 1}
    _error(world.call("POST", f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo", json=extra), 400, "Request_BadRequest")


def test_assigning_needs_app_role_assignment_and_application_read(graph_emulator):
    only_assign = World(graph_emulator, roles=["AppRoleAssignment.ReadWrite.All"])
    graph_sp_id = graph_emulator.state(only_assign.tenant_id)["graph_service_principal_id"]
    body = {"principalId": only_assign.identity["service_principal_id"], "resourceId": graph_sp_id, "appRoleId": PRESENCE_RW}
    _error(only_assign.call("POST", f"/servicePrincipals/{graph_sp_id}/appRoleAssignedTo", json=body), 403, "Authorization_RequestDenied")
    reader = World(graph_emulator, roles=["Application.Read.All"], name="fabrikam")
    graph_sp_id = graph_emulator.state(reader.tenant_id)["graph_service_principal_id"]
    assert reader.call("GET", f"/servicePrincipals/{graph_sp_id}/appRoleAssignedTo").status_code == 200
    body = {"principalId": reader.identity["service_principal_id"], "resourceId": graph_sp_id, "appRoleId": PRESENCE_RW}
    _error(reader.call("POST", f"/servicePrincipals/{graph_sp_id}/appRoleAssignedTo", json=body), 403, "Authorization_RequestDenied")
    both = World(graph_emulator, roles=["AppRoleAssignment.ReadWrite.All", "Application.Read.All"], name="tailspin")
    graph_sp_id = graph_emulator.state(both.tenant_id)["graph_service_principal_id"]
    body = {"principalId": both.identity["service_principal_id"], "resourceId": graph_sp_id, "appRoleId": PRESENCE_RW}
    assert both.call("POST", f"/servicePrincipals/{graph_sp_id}/appRoleAssignedTo", json=body).status_code == 201


def test_owned_by_creates_service_principal_only_for_owned_apps(graph_emulator):
    world = World(graph_emulator, roles=["Application.ReadWrite.OwnedBy"])
    mine = world.call("POST", "/applications", json={"displayName": "mine"}).json()
    assert world.call("POST", "/servicePrincipals", json={"appId": mine["appId"]}).status_code == 201
    foreign = graph_emulator.admin(world.tenant_id).add_application({"displayName": "foreign"})
    _error(world.call("POST", "/servicePrincipals", json={"appId": foreign["appId"]}), 403, "Authorization_RequestDenied")
    # OwnedBy may read the Graph SP to resolve permission names.
    assert world.graph_sp()["appId"] == GRAPH_APP_ID


def test_delegated_grants(world):
    app, sp = _app_with_sp(world)
    graph_sp = world.graph_sp()
    body = {"clientId": sp["id"], "consentType": "AllPrincipals", "resourceId": graph_sp["id"], "scope": "Presence.Read User.Read"}
    created = world.call("POST", "/oauth2PermissionGrants", json=body)
    assert created.status_code == 201, created.text
    grant = created.json()
    assert grant["principalId"] is None and grant["scope"] == "Presence.Read User.Read"
    _error(world.call("POST", "/oauth2PermissionGrants", json=body), 409, "Request_MultipleObjectsWithSameKeyValue")
    query = f"clientId eq '{sp['id']}' and consentType eq 'AllPrincipals' and resourceId eq '{graph_sp['id']}'"
    listed = world.call("GET", "/oauth2PermissionGrants", params={"$filter": query}).json()["value"]
    assert [g["id"] for g in listed] == [grant["id"]]
    assert world.call("GET", "/oauth2PermissionGrants", params={"$filter": "consentType eq 'Principal'"}).json()["value"] == []
    patched = world.call("PATCH", f"/oauth2PermissionGrants/{grant['id']}", json={"scope": "Presence.Read Presence.Read.All User.Read"})
    assert patched.status_code == 204
    assert world.call("GET", f"/oauth2PermissionGrants/{grant['id']}").json()["scope"] == "Presence.Read Presence.Read.All User.Read"
    _error(world.call("PATCH", f"/oauth2PermissionGrants/{grant['id']}", json={"scope": 5}), 400, "Request_BadRequest")
    _error(world.call("PATCH", f"/oauth2PermissionGrants/{grant['id']}", json={"clientId": "x"}), 400, "Request_BadRequest")
    assert world.call("DELETE", f"/oauth2PermissionGrants/{grant['id']}").status_code == 204
    assert world.emulator.state(world.tenant_id)["oauth2PermissionGrants"] == []
    _error(world.call("POST", "/oauth2PermissionGrants", json=dict(body, consentType="Everyone")), 400, "Request_BadRequest")


def test_grant_permissions(graph_emulator):
    reader = World(graph_emulator, roles=["Application.Read.All"])
    _error(reader.call("GET", "/oauth2PermissionGrants"), 403, "Authorization_RequestDenied")
    directory = World(graph_emulator, roles=["Directory.Read.All"], name="fabrikam")
    assert directory.call("GET", "/oauth2PermissionGrants").status_code == 200
    graph_sp_id = graph_emulator.state(directory.tenant_id)["graph_service_principal_id"]
    body = {"clientId": directory.identity["service_principal_id"], "consentType": "AllPrincipals", "resourceId": graph_sp_id, "scope": "User.Read"}
    _error(directory.call("POST", "/oauth2PermissionGrants", json=body), 403, "Authorization_RequestDenied")


def test_organization(graph_emulator):
    world = World(graph_emulator, roles=["Directory.Read.All"])
    org = world.call("GET", "/organization").json()["value"]
    assert org[0]["id"] == world.tenant_id and org[0]["displayName"] == "contoso"
    no = World(graph_emulator, roles=["Application.Read.All"], name="fabrikam")
    _error(no.call("GET", "/organization"), 403, "Authorization_RequestDenied")
