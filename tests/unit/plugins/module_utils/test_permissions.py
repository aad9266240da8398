import pytest
from ansible_collections.procall.msteams.plugins.module_utils._permissions import (
    DEFAULT_APPLICATION,
    DEFAULT_DELEGATED,
    GRAPH_APP_ID,
    UnknownPermission,
    access_set,
    builtin_graph_sp,
    describe_permissions,
    merge_required_resource_access,
    resolve_permissions,
)

SP = builtin_graph_sp()
VENDOR = {"delegated": DEFAULT_DELEGATED, "application": DEFAULT_APPLICATION}


def test_vendor_defaults_resolve_to_the_documented_ids():
    rra = resolve_permissions(SP, VENDOR)
    assert rra[0]["resourceAppId"] == GRAPH_APP_ID
    assert access_set(rra) == {
        (GRAPH_APP_ID, "Scope", "76bc735e-aecd-4a1d-8b4c-2b915deabb79"),
        (GRAPH_APP_ID, "Scope", "9c7a330d-35b3-4aa1-963d-cb2b9f927841"),
        (GRAPH_APP_ID, "Scope", "e1fe6dd8-ba31-4d61-89e7-88639da4683d"),
        (GRAPH_APP_ID, "Role", "83cded22-8297-4ff6-a7fa-e97e9545a259"),
    }
    assert describe_permissions(SP, rra) == {"delegated": sorted(DEFAULT_DELEGATED), "application": DEFAULT_APPLICATION, "other": []}


def test_same_name_differs_by_kind():
    scope = resolve_permissions(SP, {"delegated": ["Presence.Read.All"]})
    role = resolve_permissions(SP, {"application": ["Presence.Read.All"]})
    assert access_set(scope) != access_set(role)


def test_unknown_name_lists_closest():
    with pytest.raises(UnknownPermission) as exc:
        resolve_permissions(SP, {"application": ["Presence.ReadWrite.Al"]})
    assert "Presence.ReadWrite.All" in str(exc.value) and "application_permissions" in str(exc.value)


def test_merge_exact_and_additive():
    wanted = resolve_permissions(SP, VENDOR)
    other = [{"resourceAppId": "other-api", "resourceAccess": [{"id": "x", "type": "Scope"}]}]
    extra = resolve_permissions(SP, {"application": ["Presence.Read.All"]})
    current = other + extra
    exact = merge_required_resource_access(current, wanted, "exact")
    assert access_set(exact) == access_set(wanted)
    additive = merge_required_resource_access(current, wanted, "additive")
    assert access_set(additive) == access_set(wanted) | access_set(current)
    # Converged: merging again changes nothing.
    assert access_set(merge_required_resource_access(additive, wanted, "additive")) == access_set(additive)
