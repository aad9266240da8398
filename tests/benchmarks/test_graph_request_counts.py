"""Request counts of the Graph modules, from the emulator's counters (not a timed test).

Run with ``make units PYTEST_ARGS="-q -s -m benchmark tests/benchmarks"``; the numbers are printed
and also asserted as upper bounds, so a change that adds requests shows up here.
"""

from __future__ import annotations

import pytest

from tests.integration.graph_play import app_task, auth_vars, info_task, run_tasks

pytestmark = pytest.mark.benchmark


def kinds(emulator):
    counted = {"token": 0, "discovery": 0, "graph": 0, "graph_writes": 0}
    for entry in emulator.requests():
        if entry["kind"] in counted:
            counted[entry["kind"]] += 1
        if entry["kind"] == "graph" and entry["method"] in ("POST", "PATCH", "PUT", "DELETE"):
            counted["graph_writes"] += 1
    return counted


def test_entra_app_request_counts(graph_emulator, tmp_path, capsys):
    tenant = graph_emulator.add_tenant("contoso")
    ident = graph_emulator.add_automation_identity(tenant, roles=["Application.ReadWrite.All"])
    auth = auth_vars(graph_emulator, tenant, ident, tmp_path)
    task = [app_task(unique_name="procall-teams", display_name="ProCall Integration in Microsoft Teams")]

    graph_emulator.reset_log()
    assert run_tasks(tmp_path, "first", task, auth).rc == 0
    first = kinds(graph_emulator)
    graph_emulator.reset_log()
    assert run_tasks(tmp_path, "rerun", task, auth).rc == 0
    rerun = kinds(graph_emulator)

    hosts = tuple("ucserver%02d" % i for i in range(1, 11))
    fleet = [dict(info_task("Info %d" % i, unique_name="procall-teams"), delegate_to="localhost") for i in (1, 2)]
    fresh = auth_vars(graph_emulator, tenant, ident, tmp_path, token_cache_path=str(tmp_path / "fleet-cache"))
    graph_emulator.reset_log()
    assert run_tasks(tmp_path, "fleet", fleet, fresh, hosts=hosts, env={"ANSIBLE_FORKS": "10"}).rc == 0
    play = kinds(graph_emulator)

    with capsys.disabled():
        print("\nentra_app first run:      %s (total %d)" % (first, first["token"] + first["discovery"] + first["graph"]))
        print("entra_app converged rerun: %s (total %d)" % (rerun, rerun["token"] + rerun["discovery"] + rerun["graph"]))
        print("20 Graph tasks on 10 hosts: %s" % play)
    assert first["token"] == 1 and first["graph_writes"] == 1
    assert rerun["token"] == 0 and rerun["discovery"] == 0 and rerun["graph_writes"] == 0 and rerun["graph"] <= 2
    assert play["token"] == 1 and play["discovery"] == 1
