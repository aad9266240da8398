"""Each Graph behaviour of issue 11, as Microsoft documents it: the documented answer, positive
and negative. Each test names the rule and the page it comes from."""

from __future__ import annotations

import base64
import urllib.parse
import uuid

from .conftest import MANAGE, World
from .graph_seed import ALL_APP_ROLES, ALL_SCOPES, APP_ROLES, GRAPH_APP_ID, SCOPES
from .test_applications import _error

EVENTUAL = {"ConsistencyLevel": "eventual"}


def _app(world, **body):
    response = world.call("POST", "/applications", json=dict({"displayName": "ProCall"}, **body))
    assert response.status_code == 201, response.text
    return response.json()


# --- owners/$ref (https://learn.microsoft.com/graph/api/application-post-owners) ---------------
def _ref(world, sp_id):
    return {"@odata.id": f"{world.emulator.url}/v1.0/directoryObjects/{sp_id}"}


def test_add_owner_needs_directory_read_all_besides_application_readwrite_all(graph_emulator):
    writer = World(graph_emulator, roles=["Application.ReadWrite.All"])
    app = _app(writer)
    other = graph_emulator.add_automation_identity(writer.tenant_id, roles=[])
    _error(writer.call("POST", f"/applications/{app['id']}/owners/$ref", json=_ref(writer, other["service_principal_id"])), 403, "Authorization_RequestDenied")
    full = World(graph_emulator, roles=["Application.ReadWrite.All", "Directory.Read.All"], name="fabrikam")
    app = _app(full)
    other = graph_emulator.add_automation_identity(full.tenant_id, roles=[])
    assert full.call("POST", f"/applications/{app['id']}/owners/$ref", json=_ref(full, other["service_principal_id"])).status_code == 204
    assert other["service_principal_id"] in graph_emulator.state(full.tenant_id)["owners"][app["id"]]


def test_owned_by_cannot_add_another_owner_even_with_directory_read_all(graph_emulator):
    world = World(graph_emulator, roles=["Application.ReadWrite.OwnedBy", "Directory.Read.All"])
    app = _app(world)  # the creator is the owner
    assert graph_emulator.state(world.tenant_id)["owners"][app["id"]] == [world.identity["service_principal_id"]]
    other = graph_emulator.add_automation_identity(world.tenant_id, roles=[])
    _error(world.call("POST", f"/applications/{app['id']}/owners/$ref", json=_ref(world, other["service_principal_id"])), 403, "Authorization_RequestDenied")


# --- body rules ----------------------------------------------------------------------------------
def test_resource_access_and_app_role_ids_must_be_guids(world):
    bad_access = [{"resourceAppId": GRAPH_APP_ID, "resourceAccess": [{"id": "Presence.Read", "type": "Scope"}]}]
    _error(world.call("POST", "/applications", json={"displayName": "x", "requiredResourceAccess": bad_access}), 400, "Request_BadRequest")
    role = {"allowedMemberTypes": ["Application"], "description": "d", "displayName": "r", "id": "role-1", "isEnabled": True, "value": "r"}
    _error(world.call("POST", "/applications", json={"displayName": "x", "appRoles": [role]}), 400, "Request_BadRequest")
    good = [{"resourceAppId": GRAPH_APP_ID, "resourceAccess": [{"id": SCOPES["Presence.Read"], "type": "Scope"}]}]
    assert (
        world.call(
            "POST", "/applications", json={"displayName": "x", "requiredResourceAccess": good, "appRoles": [dict(role, id=str(uuid.uuid4()))]}
        ).status_code
        == 201
    )


def test_enabled_app_role_must_be_disabled_before_change_or_removal(world):
    role = {"allowedMemberTypes": ["Application"], "description": "d", "displayName": "r", "id": str(uuid.uuid4()), "isEnabled": True, "value": "r"}
    app = _app(world, appRoles=[role])
    error = _error(world.call("PATCH", f"/applications/{app['id']}", json={"appRoles": []}), 400, "CannotDeleteOrUpdateEnabledEntitlement")
    assert error["message"] == "Permission (scope or role) cannot be deleted or updated unless disabled first."
    _error(world.call("PATCH", f"/applications/{app['id']}", json={"appRoles": [dict(role, value="changed")]}), 400, "CannotDeleteOrUpdateEnabledEntitlement")
    assert world.call("PATCH", f"/applications/{app['id']}", json={"appRoles": [dict(role, isEnabled=False)]}).status_code == 204
    assert world.call("PATCH", f"/applications/{app['id']}", json={"appRoles": []}).status_code == 204


def test_personal_account_audience_needs_access_token_version_2(world):
    app = _app(world)
    error = _error(world.call("PATCH", f"/applications/{app['id']}", json={"signInAudience": "AzureADandPersonalMicrosoftAccount"}), 400, "Request_BadRequest")
    assert error["message"] == "Property api.requestedAccessTokenVersion is invalid."
    body = {"signInAudience": "AzureADandPersonalMicrosoftAccount", "api": {"requestedAccessTokenVersion": 2}}
    assert world.call("PATCH", f"/applications/{app['id']}", json=body).status_code == 204


def test_identifier_uris_are_unique_in_the_tenant(world):
    _app(world, identifierUris=["api://procall-teams"])
    error = _error(world.call("POST", "/applications", json={"displayName": "y", "identifierUris": ["api://PROCALL-teams"]}), 400, "Request_BadRequest")
    assert "identifierUris already exists" in error["message"]
    assert world.call("POST", "/applications", json={"displayName": "y", "identifierUris": ["api://other"]}).status_code == 201


def test_password_credentials_in_create_application_return_the_secret_once(world):
    # Create application, example 2: "Create a new application and add a password secret".
    created = _app(world, passwordCredentials=[{"displayName": "Password friendly name"}])
    [cred] = created["passwordCredentials"]
    assert cred["secretText"] and cred["hint"] == cred["secretText"][:3] and cred["displayName"] == "Password friendly name"
    assert world.call("GET", f"/applications/{created['id']}").json()["passwordCredentials"][0]["secretText"] is None
    world.call("POST", "/servicePrincipals", json={"appId": created["appId"]})
    assert world.emulator.token(world.tenant_id, created["appId"], cred["secretText"]).status_code == 200
    _error(world.call("PATCH", f"/applications/{created['id']}", json={"passwordCredentials": []}), 400, "Request_BadRequest")


# --- keys ----------------------------------------------------------------------------------------
def test_object_id_that_is_not_a_guid_is_400_invalid_object_identifier(world):
    error = _error(world.call("GET", "/applications/not-a-guid"), 400, "Request_BadRequest")
    assert error["message"] == "Invalid object identifier 'not-a-guid'."
    _error(world.call("GET", f"/applications/{uuid.uuid4()}"), 404, "Request_ResourceNotFound")


def test_alternate_keys_compare_case_insensitively(world):
    app = _app(world, uniqueName="procall-teams")
    assert world.call("GET", f"/applications(appId='{app['appId'].upper()}')").json()["id"] == app["id"]
    assert world.call("GET", "/applications(uniqueName='ProCall-Teams')").json()["id"] == app["id"]
    assert world.call("GET", f"/applications/{app['id'].upper()}").json()["id"] == app["id"]


# --- $filter (https://learn.microsoft.com/graph/filter-query-parameter) --------------------------
def _ids(response):
    assert response.status_code == 200, response.text
    return sorted(a["id"] for a in response.json()["value"])


def test_filter_in_startswith_or_and_any(world):
    a = _app(world, displayName="alpha", identifierUris=["api://alpha"], tags=["t1"])
    b = _app(world, displayName="beta", tags=["t2"])
    _app(world, displayName="gamma")
    apps = "/applications"
    assert _ids(world.call("GET", apps, params={"$filter": "displayName in ('alpha', 'BETA')"})) == sorted([a["id"], b["id"]])
    assert _ids(world.call("GET", apps, params={"$filter": "startswith(displayName, 'al')"})) == [a["id"]]
    assert _ids(world.call("GET", apps, params={"$filter": "displayName eq 'alpha' or displayName eq 'beta'"})) == sorted([a["id"], b["id"]])
    assert _ids(world.call("GET", apps, params={"$filter": "identifierUris/any(x:x eq 'api://alpha')"})) == [a["id"]]
    assert _ids(world.call("GET", apps, params={"$filter": "tags/any(t:t eq 't2') and (displayName eq 'beta')"})) == [b["id"]]
    _error(world.call("GET", apps, params={"$filter": "tags eq 't2'"}), 400, "Request_UnsupportedQuery")
    _error(world.call("GET", apps, params={"$filter": "nosuch eq 'x'"}), 400, "BadRequest")


def test_ne_not_endswith_are_advanced_queries(world):
    a = _app(world, displayName="alpha")
    b = _app(world, displayName="beta")
    for expr in ("displayName ne 'alpha'", "not(displayName eq 'alpha')", "endswith(displayName, 'ta')"):
        error = _error(world.call("GET", "/applications", params={"$filter": expr}), 400, "Request_UnsupportedQuery")
        assert "ConsistencyLevel:eventual" in error["message"]
        found = world.call("GET", "/applications", params={"$filter": expr, "$count": "true"}, headers=EVENTUAL)
        assert b["id"] in _ids(found) and a["id"] not in _ids(found)
        assert found.json()["@odata.count"] == len(found.json()["value"])


def test_guid_properties_take_unquoted_guids_strings_quoted(world):
    app = _app(world)
    sp = world.call("POST", "/servicePrincipals", json={"appId": app["appId"]}).json()
    graph = world.graph_sp()
    world.call(
        "POST",
        f"/servicePrincipals/{graph['id']}/appRoleAssignedTo",
        json={"principalId": sp["id"], "resourceId": graph["id"], "appRoleId": APP_ROLES["Presence.ReadWrite.All"]},
    )
    path = f"/servicePrincipals/{graph['id']}/appRoleAssignedTo"
    error = _error(world.call("GET", path, params={"$filter": f"principalId eq '{sp['id']}'"}), 400, "BadRequest")
    assert "'Edm.Guid' and 'Edm.String'" in error["message"]
    assert [x["principalId"] for x in world.call("GET", path, params={"$filter": f"principalId eq {sp['id']}"}).json()["value"]] == [sp["id"]]
    # appId is an Edm.String: quoted.
    _error(world.call("GET", "/servicePrincipals", params={"$filter": f"appId eq {app['appId']}"}), 400, "BadRequest")
    assert len(world.call("GET", "/servicePrincipals", params={"$filter": f"appId eq '{app['appId']}'"}).json()["value"]) == 1


# --- $select, paging, $count ---------------------------------------------------------------------
def test_select_is_checked_against_the_type_even_on_an_empty_list(world):
    empty = {"$filter": "displayName eq 'nothing here'"}
    _error(world.call("GET", "/applications", params=dict(empty, **{"$select": "nope"})), 400, "BadRequest")
    assert world.call("GET", "/applications", params=dict(empty, **{"$select": "id"})).json()["value"] == []


def test_select_of_documented_properties_the_old_emulator_lacked(world):
    app = _app(world)
    got = world.call("GET", f"/applications/{app['id']}", params={"$select": "optionalClaims,groupMembershipClaims,createdByAppId,parentalControlSettings"})
    assert got.status_code == 200, got.text
    assert got.json()["createdByAppId"] == world.identity["client_id"] and got.json()["optionalClaims"] is None


def test_skiptoken_is_opaque_and_count_is_on_the_first_page_only(world):
    for n in range(4):
        _app(world, displayName=f"app{n}")
    first = world.call("GET", "/applications", params={"$top": "2", "$count": "true"}, headers=EVENTUAL).json()
    assert first["@odata.count"] == 5 and len(first["value"]) == 2
    link = first["@odata.nextLink"]
    token = urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["$skiptoken"][0]
    assert token != base64.urlsafe_b64encode(b"2").decode()  # not an offset in disguise
    second = world.call("GET", link[len(world.emulator.url) + len("/v1.0") :], headers=EVENTUAL).json()
    assert "@odata.count" not in second and len(second["value"]) == 2
    made_up = base64.urlsafe_b64encode(b"2").decode()
    _error(world.call("GET", "/applications", params={"$top": "2", "$skiptoken": made_up}), 400, "Directory_ExpiredPageToken")
    # A real token is valid only for the query it came from.
    _error(world.call("GET", "/applications", params={"$top": "3", "$skiptoken": token}), 400, "Directory_ExpiredPageToken")


def test_count_segment_is_text_plain_with_consistency_level_only(world):
    _app(world, displayName="alpha")
    _error(world.call("GET", "/applications/$count"), 400, "Request_BadRequest")
    counted = world.call("GET", "/applications/$count", headers=EVENTUAL)
    assert counted.status_code == 200 and counted.headers["Content-Type"].startswith("text/plain") and counted.text == "2"
    assert world.call("GET", "/applications/$count", params={"$filter": "displayName eq 'alpha'"}, headers=EVENTUAL).text == "1"


# --- $search, $orderby, $expand (https://learn.microsoft.com/graph/aad-advanced-queries) ---------
def test_search_needs_consistency_level_eventual(world):
    a = _app(world, displayName="ProCall Teams")
    _app(world, displayName="Other")
    _error(world.call("GET", "/applications", params={"$search": '"displayName:teams"'}), 400, "Request_UnsupportedQuery")
    assert _ids(world.call("GET", "/applications", params={"$search": '"displayName:teams"'}, headers=EVENTUAL)) == [a["id"]]
    _error(world.call("GET", "/applications", params={"$search": "teams"}, headers=EVENTUAL), 400, "BadRequest")


def test_orderby_display_name_by_default_else_advanced(world):
    for name in ("b", "c", "a"):
        _app(world, displayName=name)
    names = [x["displayName"] for x in world.call("GET", "/applications", params={"$orderby": "displayName desc", "$select": "displayName"}).json()["value"]]
    assert names == sorted(names, key=str.lower, reverse=True)
    _error(world.call("GET", "/applications", params={"$orderby": "displayName", "$filter": "startswith(displayName,'a')"}), 400, "Request_UnsupportedQuery")
    ok = world.call("GET", "/applications", params={"$orderby": "displayName", "$filter": "startswith(displayName,'a')", "$count": "true"}, headers=EVENTUAL)
    assert ok.status_code == 200
    _error(world.call("GET", "/applications", params={"$orderby": "nosuch"}), 400, "BadRequest")


def test_expand_owners_and_refuse_what_is_not_served(graph_emulator):
    world = World(graph_emulator, roles=["Application.ReadWrite.OwnedBy"])
    app = _app(world)
    got = world.call("GET", f"/applications/{app['id']}", params={"$expand": "owners"}).json()
    assert [o["id"] for o in got["owners"]] == [world.identity["service_principal_id"]]
    assert got["owners"][0]["@odata.type"] == "#microsoft.graph.servicePrincipal"
    _error(world.call("GET", f"/applications/{app['id']}", params={"$expand": "tokenIssuancePolicies"}), 400, "Request_UnsupportedQuery")
    _error(world.call("GET", f"/applications/{app['id']}", params={"$expand": "nosuch"}), 400, "BadRequest")


# --- token endpoint ------------------------------------------------------------------------------
def test_client_secret_basic_at_the_token_endpoint(world):
    ident = world.identity
    basic = base64.b64encode(f"{ident['client_id']}:{urllib.parse.quote_plus(ident['client_secret'])}".encode()).decode()
    ok = world.emulator.session.post(
        f"{world.emulator.url}/{world.tenant_id}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": f"{world.emulator.url}/.default"},
        headers={"Authorization": f"Basic {basic}"},
        verify=world.emulator.ca_path,
    )
    assert ok.status_code == 200, ok.text
    wrong = base64.b64encode(f"{ident['client_id']}:wrong".encode()).decode()
    refused = world.emulator.session.post(
        f"{world.emulator.url}/{world.tenant_id}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": f"{world.emulator.url}/.default"},
        headers={"Authorization": f"Basic {wrong}"},
        verify=world.emulator.ca_path,
    )
    assert refused.status_code == 401 and refused.json()["error_codes"] == [7000215]


# --- the Graph service principal -----------------------------------------------------------------
def test_graph_service_principal_has_a_realistic_size_and_order(graph_emulator):
    one, two = World(graph_emulator), World(graph_emulator, name="fabrikam")
    sp1, sp2 = one.graph_sp(), two.graph_sp()
    assert len(sp1["appRoles"]) >= 250 and len(sp1["oauth2PermissionScopes"]) >= 400
    roles = {r["value"]: r["id"] for r in sp1["appRoles"]}
    scopes = {s["value"]: s["id"] for s in sp1["oauth2PermissionScopes"]}
    assert roles == ALL_APP_ROLES and scopes == ALL_SCOPES
    # Same-name role and scope pairs with different ids.
    pairs = set(roles) & set(scopes)
    assert len(pairs) >= 100 and all(roles[n] != scopes[n] for n in pairs)
    for name in ("Presence.Read.All", "Application.Read.All", "Directory.Read.All", "Policy.Read.All", "Mail.Read"):
        assert name in pairs
    # Real ids for the named permissions; the order differs per tenant, the content does not.
    assert roles["Presence.ReadWrite.All"] == "83cded22-8297-4ff6-a7fa-e97e9545a259"
    assert scopes["User.Read"] == "e1fe6dd8-ba31-4d61-89e7-88639da4683d"
    assert [r["id"] for r in sp1["appRoles"]] != [r["id"] for r in sp2["appRoles"]]
    assert sorted(r["id"] for r in sp1["appRoles"]) == sorted(r["id"] for r in sp2["appRoles"])


# --- entity shapes -------------------------------------------------------------------------------
def test_created_and_read_objects_carry_the_documented_properties(world):
    from .model import APPLICATION_PROPERTIES, GRANT_PROPERTIES, SERVICE_PRINCIPAL_PROPERTIES

    app = _app(world)
    assert set(APPLICATION_PROPERTIES) <= set(app)
    assert set(APPLICATION_PROPERTIES) <= set(world.call("GET", f"/applications/{app['id']}").json())
    sp = world.call("POST", "/servicePrincipals", json={"appId": app["appId"]}).json()
    assert set(SERVICE_PRINCIPAL_PROPERTIES) <= set(sp)
    assert set(SERVICE_PRINCIPAL_PROPERTIES) <= set(world.graph_sp())
    graph = world.graph_sp()
    grant = world.call(
        "POST", "/oauth2PermissionGrants", json={"clientId": sp["id"], "consentType": "AllPrincipals", "resourceId": graph["id"], "scope": "User.Read"}
    )
    assert set(GRANT_PROPERTIES) <= set(grant.json())
    [item] = world.call("GET", "/oauth2PermissionGrants", params={"$filter": f"clientId eq '{sp['id']}'"}).json()["value"]
    assert set(GRANT_PROPERTIES) <= set(item) and item["@odata.id"].endswith(f"/oauth2PermissionGrants/{item['id']}")


# --- app management policies ---------------------------------------------------------------------
DEFAULT_POLICY = "00000000-0000-0000-0000-000000000000"


def test_default_app_management_policy_is_served_with_policy_read_all(graph_emulator):
    world = World(graph_emulator, roles=[*MANAGE, "Policy.Read.All"])
    policy = world.call("GET", "/policies/defaultAppManagementPolicy").json()
    assert policy["id"] == DEFAULT_POLICY and policy["isEnabled"] is False
    assert policy["applicationRestrictions"]["passwordCredentials"] == []
    graph_emulator.admin(world.tenant_id).set_policy(password_max_lifetime_days=90)
    policy = world.call("GET", "/policies/defaultAppManagementPolicy").json()
    [cap] = policy["applicationRestrictions"]["passwordCredentials"]
    assert policy["isEnabled"] is True and cap["restrictionType"] == "passwordLifetime" and cap["maxLifetime"] == "P90D"
    reader = World(graph_emulator, name="fabrikam")
    _error(reader.call("GET", "/policies/defaultAppManagementPolicy"), 403, "Authorization_RequestDenied")


def test_add_password_beyond_the_policy_lifetime_fails_as_graph_does(world):
    app = _app(world)
    world.emulator.admin(world.tenant_id).set_policy(password_max_lifetime_days=90)
    end = "2199-01-01T00:00:00Z"
    refused = world.call("POST", f"/applications/{app['id']}/addPassword", json={"passwordCredential": {"endDateTime": end}})
    error = _error(refused, 400, "CredentialInvalidLifetimeAsPerAppPolicy")
    assert error["message"] == f"Credential lifetime exceeds the max value allowed as per assigned policy '{DEFAULT_POLICY}'."
    assert error["details"][0]["code"] == "InvalidKeyEndDate" and "90" not in error["message"]
    now = world.emulator.clock.now()
    within = (now.replace(microsecond=0) + __import__("datetime").timedelta(days=89)).isoformat()
    assert world.call("POST", f"/applications/{app['id']}/addPassword", json={"passwordCredential": {"endDateTime": within}}).status_code == 200


def test_per_app_policy_replaces_the_tenant_default_and_is_listed_on_the_app(graph_emulator):
    world = World(graph_emulator, roles=[*MANAGE, "Policy.Read.All"])
    app = _app(world)
    free = _app(world, displayName="free")
    policy = graph_emulator.admin(world.tenant_id).add_app_management_policy(applies_to=[app["id"]], password_addition=False)
    error = _error(world.call("POST", f"/applications/{app['id']}/addPassword", json={}), 400, "CredentialTypeNotAllowedAsPerAppPolicy")
    assert policy["id"] in error["message"]
    assert world.call("POST", f"/applications/{free['id']}/addPassword", json={}).status_code == 200
    listed = world.call("GET", f"/applications/{app['id']}/appManagementPolicies").json()["value"]
    assert [p["id"] for p in listed] == [policy["id"]]
    assert world.call("GET", f"/applications/{free['id']}/appManagementPolicies").json()["value"] == []
    # A default cap does not reach the app that follows its own policy.
    graph_emulator.admin(world.tenant_id).set_policy(password_max_lifetime_days=30)
    assert world.call("POST", f"/applications/{free['id']}/addPassword", json={}).status_code == 400
    without = World(graph_emulator, name="tailspin")
    other = _app(without)
    _error(without.call("GET", f"/applications/{other['id']}/appManagementPolicies"), 403, "Authorization_RequestDenied")


def test_restriction_applies_only_to_apps_created_after_its_date(graph_emulator):
    world = World(graph_emulator)
    app = _app(world)
    restriction = {
        "restrictionType": "passwordAddition",
        "state": "enabled",
        "maxLifetime": None,
        "restrictForAppsCreatedAfterDateTime": "2999-01-01T00:00:00Z",
    }
    graph_emulator.admin(world.tenant_id).set_default_app_management_policy(
        {"isEnabled": True, "applicationRestrictions": {"passwordCredentials": [restriction], "keyCredentials": []}}
    )
    assert world.call("POST", f"/applications/{app['id']}/addPassword", json={}).status_code == 200
    restriction["restrictForAppsCreatedAfterDateTime"] = "2000-01-01T00:00:00Z"
    graph_emulator.admin(world.tenant_id).set_default_app_management_policy(
        {"isEnabled": True, "applicationRestrictions": {"passwordCredentials": [restriction], "keyCredentials": []}}
    )
    _error(world.call("POST", f"/applications/{app['id']}/addPassword", json={}), 400, "CredentialTypeNotAllowedAsPerAppPolicy")


def test_skip_and_unknown_query_options_are_refused_not_ignored(world):
    _error(world.call("GET", "/applications", params={"$skip": "2"}), 400, "Request_BadRequest")
    _error(world.call("GET", "/applications", params={"$nosuch": "1"}), 400, "BadRequest")
    assert world.call("GET", "/applications", params={"$top": "1"}).status_code == 200
