"""The two worlds: ``realistic`` (default of the CLI and of the fixtures) and ``ideal``."""

from __future__ import annotations

import pytest

from .conftest import World
from .test_applications import _error

realistic = pytest.mark.graph_world("realistic")


@realistic
def test_realistic_world_lags_lists_and_young_apps_but_not_reads_by_key(graph_emulator):
    world = World(graph_emulator)
    assert graph_emulator.world()["profile"] == "realistic"
    app = world.call("POST", "/applications", json={"displayName": "young"}).json()
    listed = world.call("GET", "/applications", params={"$filter": "displayName eq 'young'"})
    if listed.status_code == 429:  # the world throttles a few percent of calls
        listed = world.call("GET", "/applications", params={"$filter": "displayName eq 'young'"})
    assert listed.json()["value"] == []  # not yet in lists and filters
    got = world.call("GET", f"/applications/{app['id']}")
    assert got.status_code in (200, 429)
    sp = world.call("POST", "/servicePrincipals", json={"appId": app["appId"]})
    if sp.status_code != 429:
        assert sp.status_code == 400 and sp.json()["error"]["details"][0]["code"] == "NoBackingApplicationObject"
    graph_emulator.clock.advance(seconds=3)
    assert world.call("GET", "/applications", params={"$filter": "displayName eq 'young'"}).json()["value"][0]["id"] == app["id"]


@realistic
def test_realistic_world_delays_new_secrets_pages_small_and_issues_short_tokens(graph_emulator):
    world = World(graph_emulator)
    token = graph_emulator.token(world.tenant_id, world.identity["client_id"], world.identity["client_secret"]).json()
    assert token["expires_in"] == 360
    app = graph_emulator.admin(world.tenant_id).add_application({"displayName": "x"})
    graph_emulator.clock.advance(seconds=5)
    for _n in range(5):
        cred = world.call("POST", f"/applications/{app['id']}/addPassword", json={})
        if cred.status_code == 200:
            break
    world.call("POST", "/servicePrincipals", json={"appId": app["appId"]})
    assert graph_emulator.token(world.tenant_id, app["appId"], cred.json()["secretText"]).status_code == 401  # AADSTS7000215 for now
    graph_emulator.clock.advance(seconds=3)
    assert graph_emulator.token(world.tenant_id, app["appId"], cred.json()["secretText"]).status_code == 200
    for n in range(4):
        graph_emulator.admin(world.tenant_id).add_application({"displayName": f"page{n}"})
    graph_emulator.clock.advance(seconds=5)
    page = world.call("GET", "/applications")
    while page.status_code == 429:
        page = world.call("GET", "/applications")
    assert len(page.json()["value"]) == 3 and "@odata.nextLink" in page.json()


@realistic
def test_realistic_world_throttles_a_few_percent_with_retry_after(graph_emulator):
    world = World(graph_emulator)
    answers = [world.call("GET", "/organization") for _n in range(150)]
    throttled = [r for r in answers if r.status_code == 429]
    assert 1 <= len(throttled) <= 15
    assert all(r.headers["Retry-After"] == "1" for r in throttled)
    _error(throttled[0], 429, "TooManyRequests")


def test_ideal_world_has_none_of_it(graph_emulator):
    world = World(graph_emulator)
    assert graph_emulator.world() == {"profile": "ideal", "default_profile": "realistic", "page_size": 999, "token_lifetime": 3599}
    app = world.call("POST", "/applications", json={"displayName": "young"}).json()
    assert [a["id"] for a in world.call("GET", "/applications", params={"$filter": "displayName eq 'young'"}).json()["value"]] == [app["id"]]
    assert world.call("POST", "/servicePrincipals", json={"appId": app["appId"]}).status_code == 201
    assert all(world.call("GET", "/organization").status_code == 200 for _n in range(60))


def test_world_can_be_switched_and_reset_restores_the_handles_profile(graph_emulator):
    assert graph_emulator.world("realistic")["page_size"] == 3
    assert graph_emulator.faults.current()["throttle"]["share"] == 0.03
    graph_emulator.reset()
    assert graph_emulator.world()["profile"] == "ideal"  # this test's marker (conftest)
    assert graph_emulator.faults.current()["throttle"] is None


def test_unknown_world_is_refused(graph_emulator):
    with pytest.raises(Exception, match="profile must be one of"):
        graph_emulator.world("perfect")
