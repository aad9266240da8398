"""A fleet split across several controllers or AWX job slices, and what must hold after it.

How AWX slices a job (AWX, https://github.com/ansible/awx, awx/main/models/inventory.py,
``Inventory.get_sliced_hosts`` and ``get_script_data``; docs/job_slicing.md): a job template
with ``job_slice_count`` N > 1 becomes a workflow of N jobs that may run at the same time on
different nodes. Slice k (1-based) gets the inventory's enabled hosts ordered by name, every
N-th from the (k-1)-th on (``hosts[k-1::N]``), and its inventory holds only those: every group
is still there with its variables, but lists only this slice's hosts, and ``_meta.hostvars``
has only this slice's hosts. So inside a slice ``groups['all']`` and ``hostvars`` do not show
the other slices' hosts, unlike ``--limit``, where the whole inventory stays visible and only
the play's hosts shrink. Slices share nothing at run time (no facts, no ``set_fact``).

This module is our own reading of those rules (no AWX code is copied), used by the
benchmark's ``--slices`` and by tests/integration/test_playbooks_slices.py.
"""

from __future__ import annotations

import pathlib

import yaml


def awx_slice(hosts, number: int, count: int) -> list[str]:
    """The hosts of AWX slice ``number`` (1-based) of ``count``: names sorted, every count-th."""
    return sorted(hosts)[number - 1 :: count]


def limit_slices(hosts, count: int, localhost: bool = True) -> list[dict]:
    """``count`` slices for concurrent runs with ``--limit`` on the whole inventory (AWX's host assignment).

    ``--limit`` also filters the playbooks' last play (``hosts: localhost``: the summary, the
    report file and the failure of the run when a host failed), so each limit names localhost
    too, unless ``localhost=False``.
    """
    slices = []
    for k in range(1, count + 1):
        mine = awx_slice(hosts, k, count)
        slices.append({"limit": ",".join(mine + (["localhost"] if localhost else [])), "hosts": mine})
    return slices


def awx_slice_inventory(inventory: dict, number: int, count: int) -> dict:
    """The pared-down inventory AWX gives slice ``number``: groups and their vars stay, other slices' hosts go."""
    everyone = set()

    def walk(group):
        everyone.update((group.get("hosts") or {}).keys())
        for child in (group.get("children") or {}).values():
            walk(child or {})

    walk(inventory["all"])
    keep = set(awx_slice(everyone, number, count))

    def pare(group):
        group = dict(group or {})
        if "hosts" in group:
            group["hosts"] = {h: v for h, v in (group["hosts"] or {}).items() if h in keep}
        if "children" in group:
            group["children"] = {name: pare(child) for name, child in (group["children"] or {}).items()}
        return group

    return {"all": pare(inventory["all"])}


def awx_slices(inventory_file: pathlib.Path, count: int, out_dir: pathlib.Path) -> list[dict]:
    """``count`` slice inventories written next to each other; the run specs for ``World.run_slices``."""
    inventory = yaml.safe_load(pathlib.Path(inventory_file).read_text())
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = []
    for k in range(1, count + 1):
        sliced = awx_slice_inventory(inventory, k, count)
        path = out_dir / f"slice{k}-of-{count}.yml"
        path.write_text(yaml.safe_dump(sliced))
        specs.append({"inventory": path, "hosts": sorted(sliced["all"]["hosts"])})
    return specs


def converged_problems(world, secret_keys_before: dict | None = None) -> list[str]:
    """What is wrong with the fleet after sliced runs (empty: nothing).

    Per tenant exactly one app registration; per host the service runs, msteams.cfg names that
    app and tenant, exactly one secret of the app is named for the host, and the deployed
    secret gets a token (so no slice revoked it). With ``secret_keys_before`` (host -> key ids
    right before a rotation) each host's secret must be a new one.
    """
    problems = []
    for tenant in world.tenants:
        apps = [a for a in world.apps(tenant) if a.get("uniqueName") == "procall-msteams"]
        if len(apps) != 1:
            problems.append(f"tenant {tenant}: {len(apps)} app registrations named procall-msteams, expected 1")
    if problems:
        return problems
    for host in world.fleet:
        tenant = world.tenant_of(host.name)
        app = world.app(tenant)
        cfg = host.msteams_cfg()
        if host.service_state() != "running":
            problems.append(f"{host.name}: service {host.service_state()}, expected running")
        if not isinstance(cfg, dict) or cfg.get("u8sClientID") != app["appId"] or cfg.get("u8sTenant") != world.tenant_ids[tenant]:
            problems.append(f"{host.name}: msteams.cfg does not name the tenant's app")
            continue
        keys = [c.get("keyId") for c in world.host_secrets(host.name)]
        if len(keys) != 1:
            problems.append(f"{host.name}: {len(keys)} secrets named for it in the app, expected 1")
        if secret_keys_before is not None and set(keys) & set(secret_keys_before.get(host.name, [])):
            problems.append(f"{host.name}: still the secret it had before the rotation")
        resp = world.emulator.token(world.tenant_ids[tenant], app["appId"], cfg.get("u8sClientSecret") or "")
        if resp.status_code != 200:
            problems.append(f"{host.name}: its deployed secret gets no token ({resp.status_code}: revoked or wrong)")
    return problems
