"""Admin consent decisions of entra_admin_consent (no I/O)."""

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _consent as c

PRESENCE_RW_ALL = "83cded22-8297-4ff6-a7fa-e97e9545a259"
PRESENCE_R_ALL_ROLE = "a70e0c2d-e793-494c-94c4-118fa0a67f42"
GRAPH_SP = {
    "id": "graph-sp",
    "oauth2PermissionScopes": [
        {"id": "76bc735e-aecd-4a1d-8b4c-2b915deabb79", "value": "Presence.Read"},
        {"id": "9c7a330d-35b3-4aa1-963d-cb2b9f927841", "value": "Presence.Read.All"},
        {"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "value": "User.Read"},
    ],
    "appRoles": [
        {"id": PRESENCE_RW_ALL, "value": "Presence.ReadWrite.All", "allowedMemberTypes": ["Application"]},
        {"id": PRESENCE_R_ALL_ROLE, "value": "Presence.Read.All", "allowedMemberTypes": ["Application"]},
    ],
}
APP = {
    "requiredResourceAccess": [
        {
            "resourceAppId": c.GRAPH_APP_ID,
            "resourceAccess": [
                {"id": "76bc735e-aecd-4a1d-8b4c-2b915deabb79", "type": "Scope"},
                {"id": "9c7a330d-35b3-4aa1-963d-cb2b9f927841", "type": "Scope"},
                {"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"},
                {"id": PRESENCE_RW_ALL, "type": "Role"},
            ],
        },
        {"resourceAppId": "other-api", "resourceAccess": [{"id": "x", "type": "Scope"}]},
    ]
}
WANTED = ["Presence.Read", "Presence.Read.All", "User.Read"]


def test_wanted_from_application_resolves_names_same_name_scope_vs_role():
    assert c.wanted_from_application(APP, GRAPH_SP) == (WANTED, ["Presence.ReadWrite.All"])


def test_wanted_from_application_unknown_id_is_an_error():
    app = {"requiredResourceAccess": [{"resourceAppId": c.GRAPH_APP_ID, "resourceAccess": [{"id": "nope", "type": "Role"}]}]}
    with pytest.raises(c.ConsentError, match="application permission nope"):
        c.wanted_from_application(app, GRAPH_SP)


def test_resolve_role_ids_and_unknown_names():
    assert c.resolve_role_ids(GRAPH_SP, ["Presence.ReadWrite.All"]) == [PRESENCE_RW_ALL]
    with pytest.raises(c.ConsentError, match="application_permissions: .* Presence.ReadWrite.Al "):
        c.resolve_role_ids(GRAPH_SP, ["Presence.ReadWrite.Al"])
    with pytest.raises(c.ConsentError, match="delegated_permissions"):
        c.check_scope_names(GRAPH_SP, ["User.Reed"])


def grant(gid, scope, resource="graph-sp", client="sp"):
    return {"id": gid, "clientId": client, "resourceId": resource, "consentType": "AllPrincipals", "scope": scope}


def test_grant_created_when_missing():
    plan = c.plan_grant([], "sp", "graph-sp", WANTED)
    assert plan["action"] == "create"
    assert plan["body"] == {"clientId": "sp", "consentType": "AllPrincipals", "resourceId": "graph-sp", "scope": "Presence.Read Presence.Read.All User.Read"}


def test_grant_unchanged_in_any_order():
    plan = c.plan_grant([grant("g", " User.Read Presence.Read  Presence.Read.All")], "sp", "graph-sp", WANTED)
    assert plan["action"] == "none" and plan["delete_ids"] == []


def test_grant_patched_when_scope_missing_and_other_resources_untouched():
    grants = [grant("g", "User.Read"), grant("o", "Files.Read", resource="sharepoint"), dict(grant("p", "Mail.Read"), consentType="Principal")]
    plan = c.plan_grant(grants, "sp", "graph-sp", WANTED)
    assert plan["action"] == "patch" and plan["grant_id"] == "g"
    assert plan["body"] == {"scope": "User.Read Presence.Read Presence.Read.All"}
    assert plan["delete_ids"] == []


def test_grant_exact_removes_extra_scope_additive_keeps_it():
    grants = [grant("g", "Presence.Read Presence.Read.All User.Read Mail.Read")]
    exact = c.plan_grant(grants, "sp", "graph-sp", WANTED, mode="exact")
    assert exact["action"] == "patch" and exact["after"] == WANTED
    additive = c.plan_grant(grants, "sp", "graph-sp", WANTED, mode="additive")
    assert additive["action"] == "none"


def test_grant_exact_with_nothing_wanted_deletes():
    plan = c.plan_grant([grant("g", "Mail.Read")], "sp", "graph-sp", [], mode="exact")
    assert plan["action"] == "delete" and plan["delete_ids"] == ["g"]
    assert c.plan_grant([], "sp", "graph-sp", [])["action"] == "none"


def assignment(aid, role, resource="graph-sp"):
    return {"id": aid, "principalId": "sp", "resourceId": resource, "appRoleId": role}


def test_assignment_created_when_missing():
    create, delete, before, after = c.plan_assignments([], "sp", "graph-sp", [PRESENCE_RW_ALL])
    assert create == [PRESENCE_RW_ALL] and delete == [] and before == [] and after == [PRESENCE_RW_ALL]


def test_assignment_exact_removes_extra_on_graph_only():
    current = [assignment("a1", PRESENCE_RW_ALL), assignment("a2", PRESENCE_R_ALL_ROLE), assignment("a3", "r", resource="other")]
    create, delete, _ignored, after = c.plan_assignments(current, "sp", "graph-sp", [PRESENCE_RW_ALL], mode="exact")
    assert create == [] and [a["id"] for a in delete] == ["a2"] and after == [PRESENCE_RW_ALL]
    create, delete, _ignored, after = c.plan_assignments(current, "sp", "graph-sp", [PRESENCE_RW_ALL], mode="additive")
    assert create == [] and delete == [] and after == [PRESENCE_RW_ALL, PRESENCE_R_ALL_ROLE]


def test_assignment_duplicates_removed_in_exact():
    current = [assignment("a1", PRESENCE_RW_ALL), assignment("a2", PRESENCE_RW_ALL)]
    _ignored, delete, _ignored, _ignored = c.plan_assignments(current, "sp", "graph-sp", [PRESENCE_RW_ALL])
    assert [a["id"] for a in delete] == ["a2"]


def test_missing_permissions_from_app_only_token():
    assert c.missing_permissions({"roles": ["Application.ReadWrite.All"]}, True, True) == [c.GRANT_PERMISSION, c.ASSIGNMENT_PERMISSION]
    assert c.missing_permissions({"roles": ["Directory.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"]}, True, True) == []
    assert c.missing_permissions({"roles": []}, False, True) == [c.ASSIGNMENT_PERMISSION]
    # a user token (no roles claim): Graph decides
    assert c.missing_permissions({"scp": "Directory.AccessAsUser.All"}, True, True) == []


def test_missing_permission_message_names_permissions_and_role():
    msg = c.missing_permission_message([c.ASSIGNMENT_PERMISSION])
    assert "AppRoleAssignment.ReadWrite.All" in msg and "Privileged Role Administrator" in msg and "Cloud Application Administrator" in msg


def test_owned_by_only_cannot_read_the_delegated_grants_but_the_assignments():
    claims = {"idtyp": "app", "roles": ["Application.ReadWrite.OwnedBy"]}
    assert c.unreadable_consent(claims) == {"delegated": "Directory.Read.All"}
    assert c.not_checked_sentence("delegated", "Directory.Read.All") == "admin consent of the delegated permissions not checked: needs Directory.Read.All"


@pytest.mark.parametrize(
    ("claims", "unreadable"),
    [
        ({"roles": ["Directory.Read.All"]}, {}),
        ({"roles": ["Application.ReadWrite.OwnedBy", "DelegatedPermissionGrant.ReadWrite.All"]}, {}),
        ({"roles": ["Application.ReadWrite.All", "Directory.ReadWrite.All"]}, {}),
        ({"idtyp": "app"}, {"delegated": "Directory.Read.All", "application": "Application.Read.All"}),
        ({"roles": ["AppRoleAssignment.ReadWrite.All"]}, {"delegated": "Directory.Read.All"}),
        ({"scp": "Application.ReadWrite.All", "idtyp": "user"}, {}),
        ({}, {}),
        (None, {}),
    ],
)
def test_unreadable_consent_only_judges_app_only_tokens(claims, unreadable):
    assert c.unreadable_consent(claims) == unreadable
