"""Graph applications: CRUD, filter/select/paging, upsert, secrets, owners, OwnedBy, validation."""

from __future__ import annotations

import urllib.parse

from .conftest import World


def _error(response, status, code):
    body = response.json()
    assert response.status_code == status, body
    assert body["error"]["code"] == code
    inner = body["error"]["innerError"]
    assert inner["request-id"] == response.headers["request-id"]
    assert inner["date"] and inner["client-request-id"]
    return body["error"]


def test_create_get_patch_delete(world):
    created = world.call("POST", "/applications", json={"displayName": "ProCall", "tags": ["a"]})
    assert created.status_code == 201, created.text
    app = created.json()
    assert app["displayName"] == "ProCall" and app["passwordCredentials"] == []
    assert world.call("GET", f"/applications/{app['id']}").json()["appId"] == app["appId"]
    assert world.call("GET", f"/applications(appId='{app['appId']}')").json()["id"] == app["id"]
    patched = world.call("PATCH", f"/applications/{app['id']}", json={"tags": ["b"], "publicClient": {"redirectUris": ["http://localhost"]}})
    assert patched.status_code == 204 and not patched.content
    got = world.call("GET", f"/applications/{app['id']}").json()
    assert got["tags"] == ["b"]  # collections are replaced, not merged
    assert got["publicClient"]["redirectUris"] == ["http://localhost"]
    world.call("PATCH", f"/applications/{app['id']}", json={"publicClient": {"redirectUris": []}})
    assert world.call("GET", f"/applications/{app['id']}").json()["publicClient"]["redirectUris"] == []
    assert world.call("DELETE", f"/applications/{app['id']}").status_code == 204
    _error(world.call("GET", f"/applications/{app['id']}"), 404, "Request_ResourceNotFound")


def test_patch_replaces_required_resource_access_whole(world):
    app = world.call("POST", "/applications", json={"displayName": "x"}).json()
    first = [{"resourceAppId": "00000003-0000-0000-c000-000000000000", "resourceAccess": [{"id": "76bc735e-aecd-4a1d-8b4c-2b915deabb79", "type": "Scope"}]}]
    second = [{"resourceAppId": "00000003-0000-0000-c000-000000000000", "resourceAccess": [{"id": "83cded22-8297-4ff6-a7fa-e97e9545a259", "type": "Role"}]}]
    world.call("PATCH", f"/applications/{app['id']}", json={"requiredResourceAccess": first})
    world.call("PATCH", f"/applications/{app['id']}", json={"requiredResourceAccess": second})
    assert world.call("GET", f"/applications/{app['id']}").json()["requiredResourceAccess"] == second


def test_filter_select_top_and_next_link(world):
    for n in range(5):
        world.call("POST", "/applications", json={"displayName": "same" if n < 3 else f"other{n}", "uniqueName": f"u{n}"})
    same = world.call("GET", "/applications", params={"$filter": "displayName eq 'same'"}).json()["value"]
    assert len(same) == 3
    one = world.call("GET", "/applications", params={"$filter": "displayName eq 'same' and uniqueName eq 'u1'", "$select": "id,uniqueName"}).json()["value"]
    assert one == [{"id": one[0]["id"], "uniqueName": "u1"}]
    by_app_id = world.call("GET", "/applications", params={"$filter": f"appId eq '{world.identity['client_id']}'"}).json()["value"]
    assert [a["id"] for a in by_app_id] == [world.identity["object_id"]]
    # 6 apps (5 + the automation identity) at 2 per page: 3 pages linked by whole URLs.
    seen, url, pages = [], "/applications?$top=2&$select=id", 0
    while url:
        body = world.call("GET", url).json()
        seen += [a["id"] for a in body["value"]]
        pages += 1
        link = body.get("@odata.nextLink")
        if link:
            assert link.startswith(world.emulator.url + "/v1.0/applications?")
            url = link[len(world.emulator.url) + len("/v1.0") :]
        else:
            url = None
    assert pages == 3 and len(set(seen)) == 6
    assert len(world.call("GET", "/applications").json()["value"]) == 6
    _error(world.call("GET", "/applications", params={"$top": "1000"}), 400, "Request_BadRequest")
    assert len(world.call("GET", "/applications", params={"$filter": "startswith(displayName,'s')"}).json()["value"]) == 3
    _error(world.call("GET", "/applications", params={"$filter": "groupMembershipClaims eq 'All'"}), 400, "Request_UnsupportedQuery")


def test_upsert_by_unique_name(world):
    path = "/applications(uniqueName='procall-teams')"
    missing = world.call("PATCH", path, json={"displayName": "ProCall"})
    _error(missing, 404, "Request_ResourceNotFound")
    no_name = world.call("PATCH", path, json={"tags": []}, headers={"Prefer": "create-if-missing"})
    _error(no_name, 400, "Request_BadRequest")
    created = world.call("PATCH", path, json={"displayName": "ProCall"}, headers={"Prefer": "create-if-missing"})
    assert created.status_code == 201
    assert created.json()["uniqueName"] == "procall-teams"
    again = world.call("PATCH", path, json={"displayName": "ProCall 2"}, headers={"Prefer": "create-if-missing"})
    assert again.status_code == 204 and not again.content
    assert world.call("GET", path).json()["displayName"] == "ProCall 2"
    apps = world.emulator.state(world.tenant_id)["applications"]
    assert [a["uniqueName"] for a in apps].count("procall-teams") == 1


def test_unknown_property_and_wrong_type_are_bad_requests(world):
    _error(world.call("POST", "/applications", json={"displayName": "x", "colour": "red"}), 400, "Request_BadRequest")
    _error(world.call("POST", "/applications", json={"displayName": 5}), 400, "Request_BadRequest")
    _error(world.call("POST", "/applications", json={"displayName": "x", "tags": "a"}), 400, "Request_BadRequest")
    app = world.call("POST", "/applications", json={"displayName": "x"}).json()
    _error(world.call("PATCH", f"/applications/{app['id']}", json={"isFallbackPublicClient": "yes"}), 400, "Request_BadRequest")
    _error(world.call("PATCH", f"/applications/{app['id']}", json={"signInAudience": "Everyone"}), 400, "Request_BadRequest")
    read_only = world.call("PATCH", f"/applications/{app['id']}", json={"passwordCredentials": []})
    assert "addPassword" in _error(read_only, 400, "Request_BadRequest")["message"]
    _error(world.call("PATCH", f"/applications/{app['id']}", json={"appId": app["appId"]}), 400, "Request_BadRequest")
    too_many = [{"resourceAppId": f"api-{n}", "resourceAccess": []} for n in range(51)]
    _error(world.call("PATCH", f"/applications/{app['id']}", json={"requiredResourceAccess": too_many}), 400, "Request_BadRequest")
    bad_rra = [{"resourceAppId": "x", "resourceAccess": [{"id": "y", "type": "Both"}]}]
    _error(world.call("PATCH", f"/applications/{app['id']}", json={"requiredResourceAccess": bad_rra}), 400, "Request_BadRequest")


def test_add_and_remove_password(world):
    app = world.call("POST", "/applications", json={"displayName": "x"}).json()
    world.call("POST", "/servicePrincipals", json={"appId": app["appId"]})
    added = world.call("POST", f"/applications/{app['id']}/addPassword", json={"passwordCredential": {"displayName": "host1"}})
    assert added.status_code == 200
    cred = added.json()
    assert cred["hint"] == cred["secretText"][:3] and len(cred["secretText"]) == 40
    assert cred["displayName"] == "host1"
    days = (_ts(cred["endDateTime"]) - _ts(cred["startDateTime"])) / 86400
    assert 729 <= days <= 731  # default 2 years
    listed = world.call("GET", f"/applications/{app['id']}").json()["passwordCredentials"]
    assert listed[0]["secretText"] is None and listed[0]["keyId"] == cred["keyId"]
    # The secret works at the token endpoint...
    assert world.emulator.token(world.tenant_id, app["appId"], cred["secretText"]).status_code == 200
    # ...until it is removed.
    removed = world.call("POST", f"/applications/{app['id']}/removePassword", json={"keyId": cred["keyId"]})
    assert removed.status_code == 204
    refused = world.emulator.token(world.tenant_id, app["appId"], cred["secretText"])
    assert refused.status_code == 401 and refused.json()["error_codes"] == [7000215]
    _error(world.call("POST", f"/applications/{app['id']}/removePassword", json={"keyId": cred["keyId"]}), 400, "Request_BadRequest")


def _ts(value: str) -> float:
    import datetime

    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def test_password_policy_and_personal_account_limit(world):
    app = world.call("POST", "/applications", json={"displayName": "x"}).json()
    admin = world.emulator.admin(world.tenant_id)
    admin.set_policy(password_max_lifetime_days=180)
    too_long = world.call("POST", f"/applications/{app['id']}/addPassword", json={"passwordCredential": {}})
    _error(too_long, 400, "CredentialInvalidLifetimeAsPerAppPolicy")
    end = world.emulator.clock.now().timestamp() + 90 * 86400
    import datetime

    end_iso = datetime.datetime.fromtimestamp(end, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert world.call("POST", f"/applications/{app['id']}/addPassword", json={"passwordCredential": {"endDateTime": end_iso}}).status_code == 200
    admin.set_policy(password_addition=False)
    _error(world.call("POST", f"/applications/{app['id']}/addPassword", json={}), 400, "CredentialTypeNotAllowedAsPerAppPolicy")
    admin.set_policy(password_addition=True, password_max_lifetime_days=0)
    personal = world.call("POST", "/applications", json={"displayName": "p", "signInAudience": "AzureADandPersonalMicrosoftAccount"}).json()
    for _attempt in range(2):
        assert world.call("POST", f"/applications/{personal['id']}/addPassword", json={}).status_code == 200
    _error(world.call("POST", f"/applications/{personal['id']}/addPassword", json={}), 400, "TooManyAppPasswords")


def test_owners_list_and_add(world):
    app = world.call("POST", "/applications", json={"displayName": "x"}).json()
    assert world.call("GET", f"/applications/{app['id']}/owners").json()["value"] == []
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{world.identity['service_principal_id']}"}
    assert world.call("POST", f"/applications/{app['id']}/owners/$ref", json=ref).status_code == 204
    owners = world.call("GET", f"/applications/{app['id']}/owners").json()["value"]
    assert [o["id"] for o in owners] == [world.identity["service_principal_id"]]
    assert owners[0]["@odata.type"] == "#microsoft.graph.servicePrincipal"
    _error(world.call("POST", f"/applications/{app['id']}/owners/$ref", json=ref), 400, "Request_BadRequest")
    assert world.call("DELETE", f"/applications/{app['id']}/owners/{world.identity['service_principal_id']}/$ref").status_code == 204


def test_owned_by_identity_owns_what_it_creates_reads_all_and_writes_only_its_own(graph_emulator):
    # Permissions reference, Application.ReadWrite.OwnedBy: the creator becomes owner; it reads
    # and lists every app, and "cannot update any apps that it is not an owner of" (403).
    world = World(graph_emulator, roles=["Application.ReadWrite.OwnedBy"])
    admin_app = graph_emulator.admin(world.tenant_id).add_application({"displayName": "not mine"})
    mine = world.call("POST", "/applications", json={"displayName": "mine"})
    assert mine.status_code == 201
    mine = mine.json()
    owners = graph_emulator.state(world.tenant_id)["owners"][mine["id"]]
    assert owners == [world.identity["service_principal_id"]]
    listed = {a["id"] for a in world.call("GET", "/applications").json()["value"]}
    assert {mine["id"], admin_app["id"]} <= listed
    assert world.call("GET", f"/applications/{admin_app['id']}").status_code == 200
    _error(world.call("PATCH", f"/applications/{admin_app['id']}", json={"tags": []}), 403, "Authorization_RequestDenied")
    _error(world.call("POST", f"/applications/{admin_app['id']}/addPassword", json={}), 403, "Authorization_RequestDenied")
    assert world.call("POST", f"/applications/{mine['id']}/addPassword", json={}).status_code == 200
    assert world.call("PATCH", f"/applications/{mine['id']}", json={"tags": ["x"]}).status_code == 204


def test_missing_permission_is_403_insufficient_privileges(graph_emulator):
    world = World(graph_emulator, roles=["Presence.ReadWrite.All"])
    error = _error(world.call("GET", "/applications"), 403, "Authorization_RequestDenied")
    assert error["message"] == "Insufficient privileges to complete the operation."
    _error(world.call("POST", "/applications", json={"displayName": "x"}), 403, "Authorization_RequestDenied")
    reader = World(graph_emulator, roles=["Application.Read.All"], name="fabrikam")
    _error(reader.call("POST", "/applications", json={"displayName": "x"}), 403, "Authorization_RequestDenied")
    creator = World(graph_emulator, roles=["AppRegistration.Create"], name="tailspin")
    assert creator.call("POST", "/applications", json={"displayName": "x"}).status_code == 201


def test_bearer_token_is_required_and_validated(world):
    _error(world.emulator.graph("GET", "/applications", ""), 401, "InvalidAuthenticationToken")
    _error(world.emulator.graph("GET", "/applications", world.token[:-4] + "AAAA"), 401, "InvalidAuthenticationToken")
    world.emulator.clock.advance(seconds=3600)
    _error(world.call("GET", "/applications"), 401, "InvalidAuthenticationToken")


def test_request_id_header_and_client_request_id_echo(world):
    response = world.call("GET", "/applications", headers={"client-request-id": "abc"})
    assert response.headers["request-id"]
    assert response.headers["client-request-id"] == "abc"
    assert urllib.parse.urlparse(world.emulator.url).scheme == "https"
