"""Rollout safety of rotate_secret, and an app registration of a host's own.

One tenant, three hosts; ucs-own sets ``msteams_app_unique_name`` in its host vars and gets an
app of its own. Rotation in batches of one, the canary host fails: a bad secret must not take
the others down, so the rollout halts and the other hosts are not touched.
"""

from __future__ import annotations

import pytest

from tests.demo import World

pytestmark = pytest.mark.slow


def test_own_app_per_host_and_halted_rollout(graph_emulator, tmp_path):
    hosts = {"contoso": ["ucs-canary", "ucs-next", "ucs-own"]}
    specs = {"ucs-own": {"vars": {"msteams_app_unique_name": "procall-msteams-ucs-own"}}}
    world = World(graph_emulator, tmp_path / "world", tenants=hosts, host_specs=specs)

    rec = world.run("onboard")
    assert rec.rc == 0, rec.result
    apps = {a.get("uniqueName"): a for a in world.apps("contoso")}
    assert set(apps) >= {"procall-msteams", "procall-msteams-ucs-own"}
    assert world.fleet["ucs-canary"].msteams_cfg()["u8sClientID"] == apps["procall-msteams"]["appId"]
    assert world.fleet["ucs-next"].msteams_cfg()["u8sClientID"] == apps["procall-msteams"]["appId"]
    assert world.fleet["ucs-own"].msteams_cfg()["u8sClientID"] == apps["procall-msteams-ucs-own"]["appId"]

    shift = world.advance(151)
    before = {h: world.fleet[h].msteams_cfg()["u8sClientSecret"] for h in world.hosts}
    world.fleet["ucs-canary"].set_fault(start_fails=True)
    rec = world.run("rotate_secret", extra_vars={"msteams_serial": 1, **shift})
    assert rec.rc != 0
    rows = {r["host"]: r for r in world.report("rotate_secret.json")["hosts"]}
    assert rows["ucs-canary"]["status"] == "failed"
    assert rows["ucs-next"]["status"] == "not_attempted" and rows["ucs-own"]["status"] == "not_attempted"
    assert "every host of a batch failed" in rows["ucs-next"]["reason"]
    for host in world.hosts:
        assert world.fleet[host].msteams_cfg()["u8sClientSecret"] == before[host], f"{host} must keep its secret"
    for host in ("ucs-next", "ucs-own"):
        assert not {"service_stop", "file_write"} & set(world.fleet[host].op_names())
