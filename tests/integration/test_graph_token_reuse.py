"""One token per credential for a whole run: 20 Graph tasks over 10 parallel hosts."""

from __future__ import annotations

import os
import re
import stat

import pytest

from .graph_play import app_task, auth_vars, info_task, run_tasks

pytestmark = pytest.mark.slow

HOSTS = tuple("ucserver%02d" % i for i in range(1, 11))


def test_twenty_tasks_over_ten_hosts_make_one_token_request(graph_emulator, tmp_path):
    tenant = graph_emulator.add_tenant("contoso")
    ident = graph_emulator.add_automation_identity(tenant, roles=["Application.ReadWrite.All"])
    auth = auth_vars(graph_emulator, tenant, ident, tmp_path)
    admin = graph_emulator.admin(tenant)
    app = admin.add_application({"displayName": "ProCall", "uniqueName": "procall-teams"})
    tasks = [
        dict(info_task("Read by unique name", unique_name="procall-teams"), delegate_to="localhost"),
        dict(info_task("Read by app id", app_id=app["appId"]), delegate_to="localhost"),
    ]
    result = run_tasks(tmp_path, "fleet", tasks, auth, hosts=HOSTS, env={"ANSIBLE_FORKS": "10"})
    assert result.rc == 0, result
    for name in ("Read by unique name", "Read by app id"):
        per_host = result.task_results(name)
        assert sorted(per_host) == sorted(HOSTS)
        assert all(r["app_id"] == app["appId"] for r in per_host.values())
    assert graph_emulator.count(kind="token") == 1
    cache_dir = tmp_path / "token-cache"
    [cache] = [p for p in cache_dir.iterdir() if p.suffix == ".cache"]
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    assert ident["client_secret"].encode() not in cache.read_bytes()
    # No JWT in clear: header.payload both start with eyJ (base64 of '{"'). A bare "eyJ" can occur
    # by chance in the Fernet ciphertext (urlsafe base64), a dot-joined pair cannot.
    assert not re.search(rb"eyJ[A-Za-z0-9_-]*\.eyJ", cache.read_bytes())


def test_a_second_credential_gets_its_own_token(graph_emulator, tmp_path):
    tenant = graph_emulator.add_tenant("contoso")
    first = graph_emulator.add_automation_identity(tenant, roles=["Application.ReadWrite.All"])
    second = graph_emulator.add_automation_identity(tenant, roles=["Application.ReadWrite.All"], credential="certificate")
    tasks = [app_task(unique_name="procall-teams", display_name="ProCall"), app_task("Again", unique_name="procall-teams", display_name="ProCall")]
    for name, ident in (("one", first), ("two", second)):
        result = run_tasks(tmp_path, name, tasks, auth_vars(graph_emulator, tenant, ident, tmp_path))
        assert result.rc == 0, result
    assert graph_emulator.count(kind="token") == 2
