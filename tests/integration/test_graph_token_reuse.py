"""One token per credential for a whole run: 20 Graph tasks over 10 parallel hosts."""

from __future__ import annotations

import os
import re
import stat

import pytest

from .graph_play import auth_vars, info_task, run_module, run_tasks

HOSTS = tuple("ucserver%02d" % i for i in range(1, 11))


@pytest.mark.slow
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
    # Two credentials, one token cache (the default one is shared by every run of a controller):
    # each run of each credential finds its own token there, never the other's. The module runs in
    # this process, a new Graph client each time, so the token reaches the next run only through
    # the cache file, as between the tasks of a playbook.
    tenant = graph_emulator.add_tenant("contoso")
    first = graph_emulator.add_automation_identity(tenant, roles=["Application.ReadWrite.All"])
    second = graph_emulator.add_automation_identity(tenant, roles=["Application.ReadWrite.All"], credential="certificate")
    options = {"unique_name": "procall-teams", "display_name": "ProCall"}
    tokens = []
    for ident in (first, second, first, second):
        result = run_module("entra_app", dict(auth_vars(graph_emulator, tenant, ident, tmp_path), **options))
        assert not result.get("failed"), result.get("msg")
        tokens.append(graph_emulator.count(kind="token"))
    assert tokens == [1, 2, 2, 2]
    callers = [r["caller"] for r in graph_emulator.requests() if r["kind"] == "token"]
    assert callers == [first["client_id"], second["client_id"]]
    graph_api = {r["caller"] for r in graph_emulator.requests() if r["kind"] == "graph"}
    assert graph_api == {first["client_id"], second["client_id"]}
