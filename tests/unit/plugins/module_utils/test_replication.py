"""Waiting out replication: app lookup and NoBackingApplicationObject, with a fake client."""

import json

from ansible_collections.procall.msteams.plugins.module_utils import _replication as r
from ansible_collections.procall.msteams.plugins.module_utils._graph_transport import RetryBudget


class Response:
    def __init__(self, status, body):
        self.status_code = status
        self._body = body
        self.headers = {"request-id": "rid"}
        self.text = json.dumps(body)

    def json(self):
        return self._body


NO_BACKING = {
    "error": {
        "code": "Request_BadRequest",
        "message": "The appId does not reference a valid application object.",
        "details": [{"code": "NoBackingApplicationObject"}],
    }
}


class FakeClient:
    def __init__(self, answers, max_wait=60):
        self.answers = list(answers)
        self.slept = []
        self.budget = RetryBudget(max_wait, sleep=self.slept.append)
        self.expected = set()
        self.lists = 0

    def expect_new(self, marker):
        self.expected.add(marker)

    def request(self, method, path, body=None, action=None, ok=()):
        return self.answers.pop(0)

    def get(self, path, params=None, action=None):
        return self.answers.pop(0)

    def list(self, path, params=None, action=None):
        self.lists += 1
        return self.answers.pop(0)


def test_service_principal_announced_to_the_client_before_the_post():
    client = FakeClient([])
    calls = []
    client.post = lambda path, body, action=None: calls.append((sorted(client.expected), path, body)) or {"id": "sp"}
    assert r.create_service_principal(client, "app")["id"] == "sp"
    assert calls == [(["app"], "servicePrincipals", {"appId": "app"})]


def test_lookup_retries_briefly_then_finds_the_new_app():
    client = FakeClient([[], [], [{"id": "obj", "appId": "app"}]])
    assert r.find_application_waiting(client, {"display_name": "ProCall", "unique_name": None})["id"] == "obj"
    assert client.slept == [1.0, 2.0]


def test_lookup_of_a_missing_app_uses_the_whole_budget_and_no_more():
    # Issue 14: replication can lag 40 s after the same run created the app; a cap of 15 s failed onboard.
    client = FakeClient([[]] * 20, max_wait=60)
    assert r.find_application_waiting(client, {"display_name": "ProCall"}) is None
    assert sum(client.slept) == 60 and client.slept[:4] == [1.0, 2.0, 4.0, 8.0]


def test_a_service_principal_that_exists_already_is_read_back():
    from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import GraphError

    client = FakeClient([{"id": "sp-1", "appId": "app"}])  # read back by its alternate key appId

    def post(path, body, action=None):
        raise GraphError(status=409, code="Request_MultipleObjectsWithSameKeyValue")

    client.post = post
    assert r.create_service_principal(client, "app") == {"id": "sp-1", "appId": "app"}
