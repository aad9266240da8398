"""Faults on demand: replication lag, throttling, 5xx, latency, dropped connections, propagation delay."""

from __future__ import annotations

import time

import pytest
import requests

from .test_applications import _error


def test_replication_lag_by_reads(world):
    world.emulator.faults.replication_lag(reads=2)
    app = world.call("POST", "/applications", json={"displayName": "new"}).json()
    # The create answer itself is complete; reads lag.
    assert app["appId"]
    _error(world.call("GET", f"/applications/{app['id']}"), 404, "Request_ResourceNotFound")
    sp_attempt = world.call("POST", "/servicePrincipals", json={"appId": app["appId"]})
    assert _error(sp_attempt, 400, "Request_BadRequest")["details"][0]["code"] == "NoBackingApplicationObject"
    assert world.call("GET", f"/applications/{app['id']}").status_code == 200
    assert world.call("POST", "/servicePrincipals", json={"appId": app["appId"]}).status_code == 201


def test_replication_lag_by_seconds_follows_the_clock(world):
    world.emulator.faults.replication_lag(seconds=30)
    app = world.call("PATCH", "/applications(uniqueName='lag')", json={"displayName": "new"}, headers={"Prefer": "create-if-missing"}).json()
    for _attempt in range(3):
        _error(world.call("GET", f"/applications(appId='{app['appId']}')"), 404, "Request_ResourceNotFound")
    listed = world.call("GET", "/applications", params={"$filter": "uniqueName eq 'lag'"}).json()["value"]
    assert listed == []
    # A rerun of the upsert does not create a second app while the first one lags.
    again = world.call("PATCH", "/applications(uniqueName='lag')", json={"displayName": "new"}, headers={"Prefer": "create-if-missing"})
    assert again.status_code == 204
    world.emulator.clock.advance(seconds=31)
    assert world.call("GET", f"/applications/{app['id']}").status_code == 200


def test_throttle_burst_sends_429_with_retry_after(world):
    world.emulator.faults.throttle(burst=2, retry_after=3)
    first = world.call("GET", "/applications")
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert first.json()["error"]["code"] == "TooManyRequests"
    assert world.call("GET", "/applications").status_code == 429
    assert world.call("GET", "/applications").status_code == 200
    assert world.emulator.count(kind="graph") == 3
    assert [e["fault"] for e in world.emulator.requests() if e["kind"] == "graph"] == ["throttle", "throttle", None]


def test_throttle_share_hits_about_that_share(world):
    world.emulator.faults.throttle(share=0.3)
    statuses = [world.call("GET", "/organization").status_code for _attempt in range(40)]
    throttled = statuses.count(429)
    assert 4 <= throttled <= 20, statuses
    world.emulator.faults.clear()
    assert world.call("GET", "/applications").status_code == 200


def test_throttle_on_the_token_endpoint(world):
    world.emulator.faults.throttle(burst=1, retry_after=2, kinds=("token",))
    response = world.emulator.token(world.tenant_id, world.identity["client_id"], world.identity["client_secret"])
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    assert response.json()["error_codes"] == [50196]
    assert world.call("GET", "/applications").status_code == 200  # Graph untouched
    assert world.emulator.token(world.tenant_id, world.identity["client_id"], world.identity["client_secret"]).status_code == 200


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors(world, status):
    world.emulator.faults.server_errors(burst=1, status=status)
    response = world.call("GET", "/applications")
    assert response.status_code == status
    assert response.json()["error"]["innerError"]["request-id"] == response.headers["request-id"]
    assert world.call("GET", "/applications").status_code == 200


def test_latency(world):
    world.emulator.faults.latency(300)
    start = time.monotonic()
    assert world.call("GET", "/organization").status_code == 200
    assert time.monotonic() - start >= 0.3
    entry = [e for e in world.emulator.requests() if e["kind"] == "graph"][-1]
    assert entry["duration_ms"] >= 300


def test_dropped_connection_gets_no_answer(world):
    world.emulator.faults.drop_connections(burst=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{world.emulator.url}/v1.0/organization", headers={"Authorization": f"Bearer {world.token}"}, verify=world.emulator.ca_path, timeout=10)
    after = requests.get(
        f"{world.emulator.url}/v1.0/organization", headers={"Authorization": f"Bearer {world.token}"}, verify=world.emulator.ca_path, timeout=10
    )
    assert after.status_code == 200
    dropped = [e for e in world.emulator.requests() if e["fault"] == "drop"]
    assert len(dropped) == 1 and dropped[0]["status"] == 0


def test_token_propagation_delay_for_new_secret_and_new_role(world):
    world.emulator.faults.token_propagation_delay(seconds=60)
    app = world.call("POST", "/applications", json={"displayName": "x"}).json()
    sp = world.call("POST", "/servicePrincipals", json={"appId": app["appId"]}).json()
    secret = world.call("POST", f"/applications/{app['id']}/addPassword", json={}).json()["secretText"]
    early = world.emulator.token(world.tenant_id, app["appId"], secret)
    assert early.status_code == 401 and early.json()["error_codes"] == [7000215]
    world.emulator.clock.advance(seconds=61)
    graph_sp = world.graph_sp()
    world.call(
        "POST",
        f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo",
        json={"principalId": sp["id"], "resourceId": graph_sp["id"], "appRoleId": "83cded22-8297-4ff6-a7fa-e97e9545a259"},
    )
    import jwt

    token = world.emulator.token(world.tenant_id, app["appId"], secret).json()["access_token"]
    assert "roles" not in jwt.decode(token, options={"verify_signature": False})
    world.emulator.clock.advance(seconds=61)
    token = world.emulator.token(world.tenant_id, app["appId"], secret).json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["roles"] == ["Presence.ReadWrite.All"]


def test_control_requests_are_never_faulted_and_clear_resets(world):
    world.emulator.faults.server_errors(share=1.0)
    assert world.emulator.state(world.tenant_id)["organization"]["id"] == world.tenant_id
    assert world.call("GET", "/applications").status_code == 503
    world.emulator.faults.clear()
    assert world.emulator.faults.current()["server_errors"] is None
    assert world.call("GET", "/applications").status_code == 200


def test_request_log_and_counters(world):
    world.emulator.reset_log()
    world.call("GET", "/applications")
    world.call("POST", "/applications", json={"displayName": "x"})
    world.call("POST", "/applications", json={"displayName": 1})
    log = world.emulator.requests(world.tenant_id)
    assert [(e["method"], e["status"], e["kind"]) for e in log] == [("GET", 200, "graph"), ("POST", 201, "graph"), ("POST", 400, "graph")]
    assert all(e["caller"] == world.identity["client_id"] and e["tenant"] == world.tenant_id for e in log)
    assert world.emulator.count() == 3
    assert world.emulator.count(writes=True) == 2
    assert world.emulator.count(method="GET") == 1
    assert world.emulator.count(tenant_id="00000000-0000-0000-0000-000000000000") == 0
    world.new_token()
    assert world.emulator.count(kind="token") == 1


def test_clock_set_and_advance(graph_emulator):
    import datetime

    when = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    now = graph_emulator.clock.set(when)
    assert abs((now - when).total_seconds()) < 5
    later = graph_emulator.clock.advance(days=2)
    assert 2 * 86400 - 5 < (later - when).total_seconds() < 2 * 86400 + 5
    tenant = graph_emulator.add_tenant()
    ident = graph_emulator.add_automation_identity(tenant)
    app = [a for a in graph_emulator.state(tenant)["applications"] if a["id"] == ident["object_id"]][0]
    assert app["passwordCredentials"][0]["startDateTime"].startswith("2030-01-03")


def test_date_header_shows_the_settable_clock(graph_emulator):
    """Clients count days left against Graph's Date header (entra_app_secret), so it follows the clock."""
    import datetime
    import email.utils

    when = datetime.datetime(2031, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
    graph_emulator.clock.set(when)
    resp = requests.get(f"{graph_emulator.url}/v1.0/organization", verify=str(graph_emulator.ca_path), timeout=30)
    shown = email.utils.parsedate_to_datetime(resp.headers["Date"])
    assert abs((shown - when).total_seconds()) < 60


def test_conflicts_hit_writes_only(world):
    world.emulator.faults.conflicts(burst=1)
    assert world.call("GET", "/applications").status_code == 200
    conflict = world.call("POST", "/applications", json={"displayName": "x"})
    assert _error(conflict, 409, "Request_Conflict")
    assert world.call("POST", "/applications", json={"displayName": "x"}).status_code == 201


def test_token_expiry_follows_the_clock_or_the_wall(world):
    world.emulator.clock.advance(days=1)
    _error(world.call("GET", "/applications"), 401, "InvalidAuthenticationToken")
    assert world.emulator.clock.token_expiry("wall") == "wall"
    assert world.call("GET", "/applications").status_code == 200
    world.emulator.clock.token_expiry("clock")
    _error(world.call("GET", "/applications"), 401, "InvalidAuthenticationToken")


def test_parallel_clients_are_served_and_counted(world):
    # Ansible forks and benchmark workers call the emulator at once; every call must be answered and logged.
    import concurrent.futures

    def work(n):
        session = requests.Session()
        statuses = []
        for i in range(10):
            response = session.post(
                f"{world.emulator.url}/v1.0/applications",
                json={"displayName": f"w{n}-{i}"},
                headers={"Authorization": f"Bearer {world.token}"},
                verify=world.emulator.ca_path,
                timeout=30,
            )
            statuses.append(response.status_code)
        return statuses

    world.emulator.reset_log()
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        results = [s for statuses in pool.map(work, range(6)) for s in statuses]
    assert results == [201] * 60
    assert world.emulator.count(method="POST") == 60
    assert len(world.emulator.state(world.tenant_id)["applications"]) == 61


def test_a_timed_fault_ends_by_itself(world):
    # A storm of a given length: every request in it answers 429, the first after it 200. The
    # emulated clock does not end it (a client waits in real time).
    world.emulator.faults.throttle(share=1.0, retry_after=1, seconds=1.0)
    world.emulator.clock.token_expiry("wall")
    world.emulator.clock.advance(days=1)
    time.sleep(1.1)  # it lasts from its first hit, not from when it was set
    assert world.call("GET", "/organization").status_code == 429
    assert world.call("GET", "/organization").status_code == 429
    time.sleep(1.1)
    assert world.call("GET", "/organization").status_code == 200
    assert world.emulator.faults.current()["throttle"]["seconds"] == 1.0


def test_a_timed_outage_of_the_token_endpoint(world):
    world.emulator.faults.server_errors(share=1.0, status=503, kinds=("token",), seconds=1.0)
    first = world.emulator.token(world.tenant_id, world.identity["client_id"], world.identity["client_secret"])
    assert first.status_code == 503 and first.json()["error"] == "temporarily_unavailable"
    assert world.call("GET", "/organization").status_code == 200  # Graph untouched
    time.sleep(1.1)
    assert world.emulator.token(world.tenant_id, world.identity["client_id"], world.identity["client_secret"]).status_code == 200


def test_a_dropped_connection_every_period(world):
    world.emulator.faults.drop_connections(every=0.6)

    def get():
        try:
            return requests.get(
                f"{world.emulator.url}/v1.0/organization", headers={"Authorization": f"Bearer {world.token}"}, verify=world.emulator.ca_path, timeout=10
            ).status_code
        except requests.exceptions.ConnectionError:
            return 0

    # The first request of each period is dropped, the rest of the period passes.
    assert [get(), get(), get()] == [0, 200, 200]
    time.sleep(0.7)
    assert [get(), get()] == [0, 200]
    assert [e["fault"] for e in world.emulator.requests() if e["kind"] == "graph"].count("drop") == 2
