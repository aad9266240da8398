import pytest
from ansible_collections.procall.msteams.plugins.module_utils._app_lookup import AmbiguousApplication, find_application
from ansible_collections.procall.msteams.plugins.module_utils._graph_client import GraphClient


def test_display_name_selects_only_a_single_app(graph_stub, stub_params):
    graph_stub.add("GET", r"displayName%20eq%20%27ProCall%27|displayName\+eq\+%27ProCall%27", (200, {}, {"value": [{"appId": "b"}, {"appId": "a"}]}))
    # unique_name and app_id are read by alternate key (no replication window), not listed.
    graph_stub.add("GET", r"applications\(uniqueName=%27procall%27\)|applications\(uniqueName='procall'\)", (200, {}, {"appId": "u", "uniqueName": "procall"}))
    graph_stub.add("GET", r"applications\(appId=", (404, {}, {"error": {"code": "Request_ResourceNotFound", "message": "not found"}}))
    client = GraphClient(stub_params)
    with pytest.raises(AmbiguousApplication) as exc:
        find_application(client, display_name="ProCall")
    assert "app ids a, b" in str(exc.value) and "unique_name" in str(exc.value)
    assert find_application(client, unique_name="procall", display_name="ProCall")["appId"] == "u"
    assert find_application(client, app_id="0d1e2f3a-0000-4000-8000-000000000001") is None
