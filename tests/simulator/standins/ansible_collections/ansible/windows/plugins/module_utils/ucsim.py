"""The simulated UCServer host behind the stand-in ``ansible.windows`` modules (tests only).

A host is a folder: ``disk/<drive letter>/...`` stands for its file system, ``state.json``
for everything else (services, processes, faults, operation log, module calls). The
test-only connection plugin ``ucsim.host.simhost`` tells each module run which folder it is
for, through the environment variable ``UCSIM_HOST_DIR``. ``tests/simulator/fleet.py``
builds hosts and reads them back with the same code (it imports this file by path).

The eucsrv model follows shared/reference/ucserver.md: it reads msteams.cfg at start and
refuses to start on a file that is not JSON or lacks the vendor keys; while it runs with the
integration enabled it writes its own copy back on stop; the admin GUI may write on close.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time

ENV = "UCSIM_HOST_DIR"
VENDOR_KEYS = (
    "bEnabled",
    "bGetFromTeams",
    "bSendToTeams",
    "iLogLevel",
    "iPollingRate",
    "u8sTenant",
    "u8sClientID",
    "u8sClientSecret",
    "u8sTokenCache",
)


class SimError(Exception):
    pass


def new_state():
    return {
        "services": {},
        "processes": {},
        "faults": {},
        "unreachable": False,
        "ops": [],
        "module_calls": 0,
        "calls": [],
        "connection_execs": 0,
        "acls": {},
        "acl_ops": [],
    }


# The model of file permissions (tests only). A file without an entry in ``state["acls"]``
# has only the rules it inherits from its folder, as a file created under Program Files has:
# SYSTEM and Administrators full control, Users (S-1-5-32-545) read.
FOLDER_RULES = (
    {"user": "S-1-5-18", "rights": "FullControl", "type": "allow"},
    {"user": "S-1-5-32-544", "rights": "FullControl", "type": "allow"},
    {"user": "S-1-5-32-545", "rights": "ReadAndExecute", "type": "allow"},
)
READ_RIGHTS = ("read", "readandexecute", "modify", "fullcontrol", "readdata")
# What win_service_info / the service control manager show for the built-in accounts.
ACCOUNT_SIDS = {
    "localsystem": "S-1-5-18",
    "nt authority\\system": "S-1-5-18",
    "nt authority\\localservice": "S-1-5-19",
    "nt authority\\networkservice": "S-1-5-20",
}


def account_key(account):
    """An account as one comparable string: the SID of a built-in one, else the name in lower case."""
    name = str(account or "LocalSystem").strip().lower()
    if name.startswith(".\\"):
        name = name[2:]
    return ACCOUNT_SIDS.get(name, name).lower()


def effective_rules(state, win_path):
    entry = state.get("acls", {}).get(str(win_path).lower()) or {"inherit": True, "rules": []}
    rules = list(entry["rules"])
    if entry["inherit"]:
        rules += [dict(r, inherited=True) for r in FOLDER_RULES]
    return rules


# The account Ansible connects as: an administrator (docs/inventory.md), so in Administrators.
CONNECTING_USER = "ansible"


def can_read(state, win_path, account, administrator=False):
    """Whether ``account`` (or a group it is in: SYSTEM and an ``administrator`` are in Administrators, every user in Users) may read the file."""
    who = account_key(account)
    groups = {who, "s-1-5-32-545"} | ({"s-1-5-32-544"} if who == "s-1-5-18" or administrator else set())
    allowed = denied = False
    for rule in effective_rules(state, win_path):
        if account_key(rule["user"]) in groups and any(r.strip().lower() in READ_RIGHTS for r in rule["rights"].split(",")):
            if rule.get("type", "allow") == "deny":
                denied = True
            else:
                allowed = True
    return allowed and not denied


class Host:
    def __init__(self, root):
        self.root = str(root)

    @classmethod
    def from_env(cls):
        root = os.environ.get(ENV)
        if not root:
            raise SimError(f"{ENV} is not set: run this stand-in through the ucsim.host.simhost connection")
        return cls(root)

    # -- state -------------------------------------------------------------------------------
    @property
    def state_path(self):
        return os.path.join(self.root, "state.json")

    @contextlib.contextmanager
    def locked(self):
        """The state, read under an exclusive lock and written back when the block ends."""
        with open(os.path.join(self.root, "state.lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with open(self.state_path) as f:
                    state = json.load(f)
                yield state
                tmp = self.state_path + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(state, f, indent=1)
                os.replace(tmp, self.state_path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def read_state(self):
        with open(self.state_path) as f:
            return json.load(f)

    def count_call(self, module_name):
        """One stand-in module run = one WinRM round trip on a real host."""
        with self.locked() as state:
            state["module_calls"] += 1
            state["calls"].append(module_name)

    @staticmethod
    def trips(cue, op, details):
        """Whether a fault cue (``"<op>"`` or ``"<op>:<file name>"``) matches this operation.

        ``file_write:msteams.cfg`` tells the write of msteams.cfg from that of its backup (both
        are ``file_write``).
        """
        if not cue:
            return False
        name, _sep, file_name = str(cue).partition(":")
        if name != op:
            return False
        return not file_name or re.split(r"[\\/]", str(details.get("path", "")))[-1].lower() == file_name.lower()

    @classmethod
    def log(cls, state, op, **details):
        state["ops"].append(dict(op=op, t=time.time(), **details))
        if cls.trips(state["faults"].get("unreachable_after"), op, details):
            state["unreachable"] = True
        if cls.trips(state["faults"].get("pause_after"), op, details):
            # The host's next command waits this long first (the connection plugin sleeps): a
            # fixed window in which a test can kill the run right after this operation.
            state["pause_pending"] = float(state["faults"].get("pause_seconds") or 30)

    @staticmethod
    def log_acl(state, op, **details):
        """Permission changes go to their own log (``acl_ops``), so ``ops`` stays the file and service story."""
        state.setdefault("acl_ops", []).append(dict(op=op, t=time.time(), **details))

    # -- disk --------------------------------------------------------------------------------
    def disk_path(self, win_path):
        """``C:\\Program Files\\x`` -> ``<root>/disk/C/Program Files/x``."""
        match = re.match(r"^([A-Za-z]):[\\/]*(.*)$", str(win_path).strip().strip('"'))
        if not match:
            raise SimError(f"the simulator only maps absolute Windows paths with a drive letter, not {win_path!r}")
        parts = [p for p in re.split(r"[\\/]+", match.group(2)) if p and p != "."]
        if ".." in parts:
            raise SimError(f"'..' is not supported in simulated paths: {win_path!r}")
        return os.path.join(self.root, "disk", match.group(1).upper(), *parts)

    def win_path(self, disk_path):
        rel = os.path.relpath(disk_path, os.path.join(self.root, "disk"))
        drive, _sep, rest = rel.partition(os.sep)
        return f"{drive}:\\" + rest.replace(os.sep, "\\")

    # -- the service model -------------------------------------------------------------------
    def service(self, state, name):
        for key, svc in state["services"].items():
            if key.lower() == str(name).lower():
                return key, svc
        return None, None

    def _cfg_path(self, svc):
        return os.path.join(self.disk_path(svc["install_dir"]), "config", "msteams.cfg")

    def start_service(self, state, name):
        """-> None, or the error message of a failed start."""
        key, svc = self.service(state, name)
        if svc["state"] == "running":
            return None
        fails = state["faults"].get("start_fails")
        if fails:
            # True: every start fails; an integer N: the next N starts fail.
            if fails is not True:
                state["faults"]["start_fails"] = fails - 1
            self.log(state, "service_start_failed", service=key, reason="fault")
            return f"Failed to start service '{key}': the service did not respond to the start or control request in a timely fashion"
        path = self._cfg_path(svc)
        loaded = None
        cfg_win_path = svc["install_dir"] + "\\config\\msteams.cfg"
        if os.path.exists(path) and not can_read(state, cfg_win_path, svc.get("username")):
            self.log(state, "service_start_failed", service=key, reason="access_denied")
            return (
                f"Failed to start service '{key}': the service terminated unexpectedly (msteams.cfg: access denied for {svc.get('username') or 'LocalSystem'})"
            )
        if os.path.exists(path):
            try:
                with open(path, encoding="utf-8-sig") as f:
                    loaded = json.load(f)
                missing = [k for k in VENDOR_KEYS if not isinstance(loaded, dict) or k not in loaded]
            except ValueError:
                missing = ["(not valid JSON)"]
            if missing:
                self.log(state, "service_start_failed", service=key, reason="config", missing=missing)
                return f"Failed to start service '{key}': the service terminated unexpectedly (msteams.cfg: {', '.join(missing)})"
        svc["state"] = "running"
        svc["loaded_cfg"] = loaded
        self.log(state, "service_start", service=key)
        return None

    def stop_service(self, name):
        """Stop (outside the caller's lock: a hanging stop must not block other readers)."""
        with self.locked() as state:
            key, svc = self.service(state, name)
            if svc["state"] == "stopped":
                return
            hang = state["faults"].get("stop_hang_seconds") or 0
            if hang:
                self.log(state, "service_stop_hang", service=key)
        if hang:
            # The service ignores the stop request; the role must bound its wait (peers.md:
            # win_service has no stop timeout). When the async timeout ends the job, this process
            # loses its parent: it ends too, as the killed job would, instead of sleeping on
            # after the test (tests stop what they start).
            parent, deadline = os.getppid(), time.monotonic() + hang
            while time.monotonic() < deadline:
                if os.getppid() != parent:
                    raise SystemExit(1)
                time.sleep(0.2)
        with self.locked() as state:
            key, svc = self.service(state, name)
            loaded = svc.get("loaded_cfg")
            if isinstance(loaded, dict) and loaded.get("bEnabled") == 1:
                # A running UCServer with the integration on writes its own copy on shutdown,
                # including a token cache it may have refreshed (ucserver.md).
                copy = dict(loaded)
                if svc.get("refreshed_token_cache"):
                    copy["u8sTokenCache"] = svc["refreshed_token_cache"]
                with open(self._cfg_path(svc), "w", encoding="utf-8") as f:
                    json.dump(copy, f, indent=3, ensure_ascii=False)
                self.log(state, "service_writeback", service=key)
            svc["state"] = "stopped"
            svc["loaded_cfg"] = None
            self.log(state, "service_stop", service=key)

    # -- processes ---------------------------------------------------------------------------
    def kill_process(self, state, image, force):
        """``taskkill /IM image [/F]`` -> (rc, stdout, stderr)."""
        name = image[:-4] if image.lower().endswith(".exe") else image
        for key in list(state["processes"]):
            if key.lower() == name.lower():
                proc = state["processes"].pop(key)
                if not force and proc.get("writes_on_close") and proc.get("settings") is not None:
                    with open(proc["settings_path"], "w", encoding="utf-8") as f:
                        json.dump(proc["settings"], f, indent=3)
                    self.log(state, "gui_settings_write", process=key)
                self.log(state, "gui_close", process=key, forced=bool(force))
                return 0, f'SUCCESS: The process "{key}.exe" with PID {proc.get("pid", 4242)} has been terminated.\r\n', ""
        return 128, "", f'ERROR: The process "{image}" not found.\r\n'

    # -- files -------------------------------------------------------------------------------
    def write_file(self, state, win_path, data):
        path = self.disk_path(win_path)
        if state["faults"].get("write_fails") and os.path.basename(path).lower() == "msteams.cfg":
            self.log(state, "file_write_failed", path=win_path)
            raise SimError(f"Access to the path '{win_path}' is denied.")
        with open(path, "wb") as f:
            f.write(data)
        self.log(state, "file_write", path=win_path)

    def connecting_user_can_read(self, state, win_path):
        """Whether the account Ansible connects as may read this file (a deny rule can forbid it)."""
        return can_read(state, win_path, state.get("connecting_user", CONNECTING_USER), administrator=True)

    @staticmethod
    def forget_acl(state, win_path):
        """A deleted file loses its permissions; a file made anew inherits its folder's."""
        state.setdefault("acls", {}).pop(str(win_path).lower(), None)
