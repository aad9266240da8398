"""Helpers for playbook runs of the Graph modules against the emulator."""

from __future__ import annotations

import pathlib

import yaml

from tests.playbook_runner import run_playbook

AUTH_KEYS = ("tenant_id", "client_id", "client_secret", "certificate_path", "certificate", "certificate_password")


def auth_vars(emulator, tenant_id, identity, tmp_path, **extra):
    """``module_defaults`` for group/procall.msteams.graph pointing at the emulator."""
    values = {
        "tenant_id": tenant_id,
        "client_id": identity["client_id"],
        "login_endpoint": emulator.url,
        "graph_endpoint": emulator.url,
        "ca_path": emulator.ca_path,
        "token_cache_path": str(pathlib.Path(tmp_path) / "token-cache"),
        "max_retry_wait": 60,
    }
    if identity.get("client_secret"):
        values["client_secret"] = identity["client_secret"]
    else:
        values["certificate_path"] = identity["certificate_path"]
    values.update(extra)
    return values


def write_play(path, tasks, defaults, hosts="localhost"):
    play = [{"name": "Graph", "hosts": hosts, "gather_facts": False, "module_defaults": {"group/procall.msteams.graph": defaults}, "tasks": tasks}]
    path = pathlib.Path(path)
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return path


def inventory(tmp_path, hosts=("localhost",)):
    path = pathlib.Path(tmp_path) / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": {h: {"ansible_connection": "local"} for h in hosts}}}))
    return path


def run_tasks(tmp_path, name, tasks, defaults, hosts=("localhost",), **kwargs):
    """Write a play with these tasks and run it; ``name`` keeps runs of one test apart."""
    workdir = pathlib.Path(tmp_path) / name
    workdir.mkdir(parents=True, exist_ok=True)
    play = write_play(workdir / "play.yml", tasks, defaults, hosts="all" if len(hosts) > 1 else hosts[0])
    return run_playbook(play, workdir=workdir, inventory=inventory(workdir, hosts), **kwargs)


def app_task(name="App", **options):
    return {"name": name, "procall.msteams.entra_app": options, "register": "app_result"}


def info_task(name="Info", **options):
    return {"name": name, "procall.msteams.entra_app_info": options}


class ModuleResult(dict):
    """A module's result dict, plus ``output`` (everything it printed) for never-printed checks."""

    output = ""


def run_module(module, args, check=False, diff=False, env=None):
    """Run a Graph module's ``main()`` in this process, as community.hashi_vault's tests do.

    Milliseconds instead of the seconds an ansible-playbook process costs; the module code,
    msal, requests and the emulator are the same. ``env`` is set for the run only (the module's
    env fallbacks read it). Returns the module's JSON result (a failure has ``failed`` and ``msg``).
    """
    import contextlib
    import importlib
    import io
    import json
    import os

    from ansible.module_utils import basic
    from ansible.module_utils.common import warnings

    mod = importlib.import_module("ansible_collections.procall.msteams.plugins.modules.%s" % module)
    payload = {"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=check, _ansible_diff=diff)}
    basic._ANSIBLE_ARGS = json.dumps(payload).encode("utf-8")
    if hasattr(basic, "_ANSIBLE_PROFILE"):
        basic._ANSIBLE_PROFILE = "legacy"
    for registry in ("_global_warnings", "_global_deprecations"):
        getattr(warnings, registry, {}).clear()
    saved = {name: os.environ.get(name) for name in (env or {})}
    out = io.StringIO()
    # ansible-core 2.19 routes module warnings to the controller's Display once controller code was
    # imported in this process (a filter plugin's test does): this run is a module, not the controller.
    internal = getattr(importlib.import_module("ansible.module_utils"), "_internal", None)
    was_controller = getattr(internal, "is_controller", None)
    try:
        if was_controller is not None:
            internal.is_controller = False
        os.environ.update(env or {})
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            mod.main()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        basic._ANSIBLE_ARGS = None
        if was_controller is not None:
            internal.is_controller = was_controller
    text = out.getvalue()
    lines = [line for line in text.splitlines() if line.startswith("{")]
    result = ModuleResult(json.loads(lines[-1]) if lines else {"failed": True, "msg": "no result: %s" % text[-500:]})
    # ansible-core 2.19 sends warnings as WarningSummary objects; the controller shows their text.
    result["warnings"] = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings") or []]
    result.output = text
    return result
