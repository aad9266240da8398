"""Simulated UCServer hosts: build a fleet of host folders and an inventory, read them back.

Plain Python (no pytest needed), so the demo and benchmarks can build a fleet from a script::

    from tests.simulator.fleet import build_fleet
    fleet = build_fleet("/tmp/fleet", ["ucs1", {"name": "ucs2", "gui_open": True}])
    fleet.run("playbook.yml", workdir="/tmp/run")          # ansible-playbook with the stand-ins first
    fleet["ucs1"].msteams_cfg(), fleet["ucs1"].ops(), fleet["ucs1"].module_calls()

Each host is a folder: ``disk/C/Program Files/estos/UCServer`` (SrvAdm.exe, eucsrv.exe,
config/, logs/) and ``state.json`` (services, processes, faults, operation log, module calls),
driven by the stand-in ``ansible.windows`` modules in ``standins/`` through the test-only
connection plugin ``ucsim.host.simhost`` (the inventory selects it per host).
"""

from __future__ import annotations

import importlib.util
import json
import pathlib

import yaml

from tests.playbook_runner import run_playbook

STANDINS = pathlib.Path(__file__).resolve().parent / "standins"
DEFAULT_INSTALL_DIR = "C:\\Program Files\\estos\\UCServer"
SERVICE = "eucsrv"


def _load_ucsim():
    path = STANDINS / "ansible_collections" / "ansible" / "windows" / "plugins" / "module_utils" / "ucsim.py"
    spec = importlib.util.spec_from_file_location("_ucsim_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ucsim = _load_ucsim()


class SimHost:
    """One simulated host; every read goes to its folder, so it reflects what the modules did."""

    def __init__(self, name: str, root: pathlib.Path):
        self.name = name
        self.root = pathlib.Path(root)
        self._host = ucsim.Host(self.root)

    # -- reading ------------------------------------------------------------------------------
    def state(self) -> dict:
        return self._host.read_state()

    @property
    def install_dir(self) -> str:
        return self.state()["services"].get(SERVICE, {}).get("install_dir") or self.state()["install_dir"]

    def disk(self, win_path: str) -> pathlib.Path:
        return pathlib.Path(self._host.disk_path(win_path))

    @property
    def cfg_file(self) -> pathlib.Path:
        return self.disk(self.state()["install_dir"] + "\\config\\msteams.cfg")

    def msteams_cfg_bytes(self) -> bytes | None:
        return self.cfg_file.read_bytes() if self.cfg_file.exists() else None

    def msteams_cfg(self):
        """The file as a dict, None when absent, the raw text when it is not JSON."""
        data = self.msteams_cfg_bytes()
        if data is None:
            return None
        text = data.decode("utf-8-sig", errors="replace")
        try:
            return json.loads(text)
        except ValueError:
            return text

    def backups(self) -> list[pathlib.Path]:
        return sorted(self.cfg_file.parent.glob("msteams.cfg.*.bak"))

    def service_state(self, name: str = SERVICE) -> str | None:
        svc = self.state()["services"].get(name)
        return svc["state"] if svc else None

    def gui_running(self) -> bool:
        return any(k.lower() == "srvadm" for k in self.state()["processes"])

    def ops(self) -> list[dict]:
        return self.state()["ops"]

    def op_names(self) -> list[str]:
        return [op["op"] for op in self.ops()]

    def acl_ops(self) -> list[dict]:
        """Permission changes made by win_acl / win_acl_inheritance (kept apart from ``ops``)."""
        return self.state().get("acl_ops", [])

    def module_calls(self) -> int:
        """Stand-in module runs: each is one WinRM round trip on a real host."""
        return self.state()["module_calls"]

    def calls(self) -> list[str]:
        return self.state()["calls"]

    def acl(self, win_path: str) -> dict:
        """``{"inherit": bool, "rules": [...]}`` of a file; a file never touched inherits its folder's rules."""
        return self.state().get("acls", {}).get(win_path.lower()) or {"inherit": True, "rules": []}

    def readable_by(self, win_path: str, account: str) -> bool:
        return ucsim.can_read(self.state(), win_path, account)

    @property
    def cfg_win_path(self) -> str:
        return self.state()["install_dir"] + "\\config\\msteams.cfg"

    # -- arranging ----------------------------------------------------------------------------
    def _update(self, func):
        with self._host.locked() as state:
            func(state)

    def reset_log(self):
        def clear(state):
            state.update(ops=[], acl_ops=[], module_calls=0, calls=[], connection_execs=0)

        self._update(clear)

    def set_fault(self, **faults):
        """start_fails=True|N (next N starts), stop_hang_seconds=N, write_fails=True, unreachable_after='<op name>',
        pause_after='<op name>' (+ pause_seconds=N, default 30: the host's next command waits that long).

        A cue may name the file of a ``file_write``: ``'file_write:msteams.cfg'`` (not its backup)."""
        self._update(lambda s: s["faults"].update(faults))

    def clear_faults(self):
        def clear(state):
            state["faults"] = {}
            state["unreachable"] = False
            state.pop("pause_pending", None)  # a pause the killed run never reached

        self._update(clear)

    def write_cfg(self, cfg, bom: bool = False):
        """Out-of-band write (not logged): dict -> vendor-style JSON, str/bytes as given."""
        if isinstance(cfg, dict):
            data = json.dumps(cfg, indent=3, ensure_ascii=False).encode("utf-8")
        elif isinstance(cfg, str):
            data = cfg.encode("utf-8")
        else:
            data = bytes(cfg)
        self.cfg_file.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        # A running service holds what it read at its start.
        if isinstance(cfg, dict):
            self._update(lambda s: s["services"].get(SERVICE, {}).update(loaded_cfg=cfg) if s["services"].get(SERVICE, {}).get("state") == "running" else None)

    def open_gui(self, writes_on_close: bool = False):
        cfg = self.msteams_cfg()

        def add(state):
            state["processes"]["SrvAdm"] = {
                "pid": 5150,
                "writes_on_close": writes_on_close,
                "settings": cfg if isinstance(cfg, dict) else None,
                "settings_path": str(self.cfg_file),
            }

        self._update(add)

    def set_refreshed_token_cache(self, value: str):
        """What the running service will write as token cache at its next stop (if enabled)."""
        self._update(lambda s: s["services"][SERVICE].update(refreshed_token_cache=value))


class Fleet:
    def __init__(self, root: pathlib.Path, hosts: dict[str, SimHost], inventory: pathlib.Path):
        self.root = root
        self.hosts = hosts
        self.inventory = inventory
        self.collections_path = STANDINS

    def __getitem__(self, name: str) -> SimHost:
        return self.hosts[name]

    def __iter__(self):
        return iter(self.hosts.values())

    @property
    def env(self) -> dict:
        # Pipelining: one command per module, as PowerShell modules over WinRM.
        return {"ANSIBLE_PIPELINING": "true", "ANSIBLE_ASYNC_DIR": str(self.root / ".async")}

    def run(self, playbook, *, workdir, env=None, **kwargs):
        """``run_playbook`` against this fleet, the stand-in tree first on the collections path."""
        return run_playbook(
            playbook,
            workdir=workdir,
            inventory=kwargs.pop("inventory", self.inventory),
            collections_first=[STANDINS, *kwargs.pop("collections_first", [])],
            env={**self.env, **(env or {})},
            **kwargs,
        )


def _host_spec(spec) -> dict:
    spec = {"name": spec} if isinstance(spec, str) else dict(spec)
    spec.setdefault("install_dir", DEFAULT_INSTALL_DIR)
    spec.setdefault("service", True)
    spec.setdefault("service_state", "running")
    spec.setdefault("installed", True)
    return spec


def build_fleet(root, hosts, tenant_of=None, host_vars=None) -> Fleet:
    """Create host folders under ``root`` and ``root/inventory.yml``.

    ``hosts``: names, or dicts with ``name`` and any of ``cfg`` (dict, text or bytes written as
    msteams.cfg; absent by default), ``bom``, ``service_state`` ('running'|'stopped'),
    ``service`` (False: no eucsrv), ``installed`` (False: no install dir either),
    ``install_dir``, ``binary_path``, ``gui_open``, ``gui_writes_on_close``, ``faults``,
    ``refreshed_token_cache``, ``service_account`` (what win_service_info shows as ``username``,
    default LocalSystem), ``accounts`` (more local accounts win_acl can resolve), ``vars``
    (inventory host vars).
    ``tenant_of``: host name -> tenant name (dict or callable); puts the host into the
    inventory group ``tenant_<name>`` with the host var ``ucserver_tenant_name``.
    """
    root = pathlib.Path(root)
    root.mkdir(parents=True, exist_ok=True)
    inventory_hosts, groups, sims = {}, {}, {}
    for raw in hosts:
        spec = _host_spec(raw)
        name = spec["name"]
        host_root = root / name
        host_root.mkdir(parents=True, exist_ok=True)
        state = ucsim.new_state()
        state["install_dir"] = spec["install_dir"]
        (host_root / "state.json").write_text(json.dumps(state))
        sim = SimHost(name, host_root)
        if spec["installed"]:
            base = sim.disk(spec["install_dir"])
            for sub in ("config", "logs"):
                (base / sub).mkdir(parents=True, exist_ok=True)
            for exe in ("SrvAdm.exe", "eucsrv.exe"):
                (base / exe).write_bytes(b"MZ simulated\n")
        if spec["installed"] and spec["service"]:
            path = spec.get("binary_path") or f'"{spec["install_dir"]}\\eucsrv.exe" -service'
            with sim._host.locked() as s:
                s["services"][SERVICE] = {
                    "path": path,
                    "install_dir": spec["install_dir"],
                    "display_name": "estos UCServer",
                    "state": "stopped",
                    "start_mode": "auto",
                    "loaded_cfg": None,
                    "refreshed_token_cache": spec.get("refreshed_token_cache"),
                    "username": spec.get("service_account", "LocalSystem"),
                }
                s["accounts"] = [spec.get("service_account", "LocalSystem"), *spec.get("accounts", [])]
        if spec.get("cfg") is not None:
            sim.write_cfg(spec["cfg"], bom=spec.get("bom", False))
        if spec["installed"] and spec["service"] and spec["service_state"] == "running":
            with sim._host.locked() as s:
                error = sim._host.start_service(s, SERVICE)
            if error:
                raise RuntimeError(f"{name}: the simulated service does not start with this cfg: {error}")
        if spec.get("gui_open"):
            sim.open_gui(writes_on_close=spec.get("gui_writes_on_close", False))
        if spec.get("faults"):
            sim.set_fault(**spec["faults"])
        sim.reset_log()
        sims[name] = sim
        hostvars = {"ansible_connection": "ucsim.host.simhost", "ucsim_host_dir": str(host_root)}
        hostvars.update((host_vars or {}).get(name, {}))
        hostvars.update(spec.get("vars", {}))
        tenant = tenant_of(name) if callable(tenant_of) else (tenant_of or {}).get(name)
        if tenant:
            hostvars["ucserver_tenant_name"] = tenant
            groups.setdefault(f"tenant_{tenant}", {"hosts": {}})["hosts"][name] = None
        inventory_hosts[name] = hostvars
    inventory = root / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": inventory_hosts, "children": {"ucservers": {"hosts": dict.fromkeys(inventory_hosts)}, **groups}}}))
    return Fleet(root, sims, inventory)
