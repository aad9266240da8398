"""The fleet benchmark's instruments measure what they say: the WinRM delay model, the host-side
CPU, the task counter, the naive playbook and the slicing helpers."""

from __future__ import annotations

import json
import time

import yaml

from tests.benchmarks.fleet import NAIVE, fit, ratios
from tests.benchmarks.slices import awx_slice, awx_slice_inventory, limit_slices
from tests.demo import REPO, World
from tests.simulator.fleet import build_fleet

PLAY = [
    {
        "name": "Two host commands and a skipped task",
        "hosts": "ucservers",
        "gather_facts": False,
        "tasks": [
            {"name": "Stat", "ansible.windows.win_stat": {"path": "C:\\Program Files\\estos\\UCServer\\eucsrv.exe"}},
            {"name": "Skipped", "ansible.builtin.debug": {"msg": "never"}, "when": False},
            {"name": "Service", "ansible.windows.win_service_info": {"name": "eucsrv"}},
        ],
    }
]


def run_counted(fleet, tmp_path, name, **variables):
    play = tmp_path / "play.yml"
    play.write_text(yaml.safe_dump(PLAY))
    counts = tmp_path / f"{name}-counts.json"
    env = {
        "ANSIBLE_CALLBACK_PLUGINS": str(REPO / "tests" / "benchmarks" / "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "bench_task_counts",
        "PROCALL_BENCH_TASK_COUNTS": str(counts),
        "ANSIBLE_FORKS": "2",
    }
    start = time.monotonic()
    result = fleet.run(play, workdir=tmp_path / name, extra_vars=variables or None, env=env)
    assert result.rc == 0, result
    return time.monotonic() - start, json.loads(counts.read_text())


def test_call_delay_sleeps_per_command_and_host_cpu_is_counted(tmp_path):
    fleet = build_fleet(tmp_path / "fleet", ["h1", "h2"])
    _plain, counts = run_counted(fleet, tmp_path, "plain")
    assert counts["hosts"] == {h: {"ok": 2, "failed": 0, "skipped": 1, "unreachable": 0, "includes": 0} for h in ("h1", "h2")}
    for host in fleet:
        assert host.state()["connection_execs"] == 2 and host.state()["host_cpu"] > 0
    delayed, _counts = run_counted(fleet, tmp_path, "delayed", ucsim_call_delay=1.5)
    # Two commands per host at 1.5 s each, one after the other on a host (a lower bound, whatever the load).
    assert delayed >= 3.0, delayed
    assert {h.name: h.state()["delay_seconds"] for h in fleet} == {"h1": 3.0, "h2": 3.0}


def test_naive_playbook_restarts_every_host_and_keeps_the_file(graph_emulator, tmp_path):
    world = World(graph_emulator, tmp_path / "world", tenants={"contoso": ["ucs-c1", "ucs-c2"]})
    values = {}
    for host in world.fleet:
        cfg = {"bEnabled": 0, "bGetFromTeams": 1, "bSendToTeams": 1, "iLogLevel": 4, "iPollingRate": 5, "u8sTokenCache": ""}
        cfg.update(u8sTenant="t-" + host.name, u8sClientID="c", u8sClientSecret="s-" + host.name)
        host.write_cfg(cfg)
        values[host.name] = {"tenant": cfg["u8sTenant"], "client_id": "c", "secret": cfg["u8sClientSecret"]}
    before = {h.name: h.msteams_cfg() for h in world.fleet}
    rec = world.run(str(NAIVE), extra_vars={"naive_msteams": values})
    assert rec.rc == 0, rec.result
    assert rec.restarts == 2 and rec.round_trips == {"ucs-c1": 4, "ucs-c2": 4} and rec.tasks_per_host == 4
    assert {h.name: h.msteams_cfg() for h in world.fleet} == before
    # Stop, write (the same values in the vendor template's layout), start: every host, every time.
    assert {h.name: h.op_names() for h in world.fleet} == {h: ["service_stop", "file_write", "service_start"] for h in ("ucs-c1", "ucs-c2")}
    assert "s-ucs-c1" not in rec.result.stdout


def test_slices_follow_awx_host_assignment():
    hosts = ["b", "a", "d", "c", "e"]
    assert [awx_slice(hosts, k, 2) for k in (1, 2)] == [["a", "c", "e"], ["b", "d"]]
    assert [s["limit"] for s in limit_slices(hosts, 2)] == ["a,c,e,localhost", "b,d,localhost"]
    assert [s["limit"] for s in limit_slices(hosts, 2, localhost=False)] == ["a,c,e", "b,d"]
    inventory = {
        "all": {
            "hosts": {h: {"v": h} for h in hosts},
            "children": {"tenant_x": {"hosts": {"a": None, "b": None}, "vars": {"t": 1}}, "empty": {"hosts": {"b": None}}},
        }
    }
    second = awx_slice_inventory(inventory, 2, 2)
    assert second["all"]["hosts"] == {"b": {"v": "b"}, "d": {"v": "d"}}
    assert second["all"]["children"]["tenant_x"] == {"hosts": {"b": None}, "vars": {"t": 1}}
    assert awx_slice_inventory(inventory, 1, 2)["all"]["children"]["empty"] == {"hosts": {}}


def test_fit_and_ratios():
    rows = [
        {"run": "status", "hosts": 10, "winrm_delay": 0.0, "seconds": 20, "cpu_seconds": 30, "graph_requests": 10, "token_requests": 0, "round_trips": 20},
        {"run": "status", "hosts": 50, "winrm_delay": 0.0, "seconds": 60, "cpu_seconds": 110, "graph_requests": 10, "token_requests": 0, "round_trips": 100},
        {"run": "naive (vendor procedure)", "hosts": 50, "winrm_delay": 0.0, "seconds": 30, "cpu_seconds": 55, "round_trips": 200, "restarts_per_host": 1.0},
    ]
    rows[1]["restarts_per_host"] = 0.0
    (status,) = fit(rows)
    assert status["seconds"] == {"fixed": 10.0, "per_host": 1.0} and status["cpu_seconds"] == {"fixed": 10.0, "per_host": 2.0}
    (ratio,) = ratios(rows)
    assert ratio["wall_ratio"] == 2.0 and ratio["round_trip_ratio"] == 0.5 and ratio["naive_restarts_per_host"] == 1.0
