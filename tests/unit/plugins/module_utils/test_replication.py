"""Waiting out replication: app lookup and NoBackingApplicationObject, with a fake client."""

import json

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _replication as r
from ansible_collections.procall.msteams.plugins.module_utils._graph_client import GraphError, RetryBudget


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

    def list(self, path, params=None, action=None):
        self.lists += 1
        return self.answers.pop(0)


def test_service_principal_waits_out_no_backing_application_object():
    client = FakeClient([Response(400, NO_BACKING), Response(400, NO_BACKING), Response(201, {"id": "sp"})])
    assert r.create_service_principal(client, "app")["id"] == "sp"
    assert client.slept == [1.0, 2.0] and "app" in client.expected


def test_service_principal_other_400_is_raised_at_once():
    client = FakeClient([Response(400, {"error": {"code": "Request_BadRequest", "message": "bad"}})])
    with pytest.raises(GraphError, match="400 Request_BadRequest"):
        r.create_service_principal(client, "app")
    assert client.slept == []


def test_service_principal_gives_up_when_the_budget_is_spent():
    client = FakeClient([Response(400, NO_BACKING)] * 5, max_wait=3)
    with pytest.raises(GraphError, match="valid application object"):
        r.create_service_principal(client, "app")
    assert client.slept == [1.0, 2.0]


def test_lookup_retries_briefly_then_finds_the_new_app():
    client = FakeClient([[], [], [{"id": "obj", "appId": "app"}]])
    assert r.find_application_waiting(client, {"app_id": "app", "unique_name": None})["id"] == "obj"
    assert client.slept == [1.0, 2.0]


def test_lookup_of_a_missing_app_gives_up_within_the_cap():
    client = FakeClient([[]] * 20, max_wait=600)
    assert r.find_application_waiting(client, {"app_id": "app"}) is None
    assert sum(client.slept) <= r.LOOKUP_WAIT_CAP
