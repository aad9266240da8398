"""State of the emulator: tenants and their objects, the settable clock, faults, the request log.

Everything lives in one ``Store`` guarded by one lock (the server is threaded). With a state
directory the tenants and the clock are written to ``state.json`` after every change, so the
command-line server survives a restart (the demo relies on that).
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import os
import pathlib
import random
import threading
import time
import uuid

from . import graph_seed

LOG_LIMIT = 200_000
COLLECTIONS = ("applications", "servicePrincipals", "oauth2PermissionGrants", "appRoleAssignments")

# Named worlds. ``realistic`` (the default) behaves like a real tenant in small: new objects lag
# in lists and filters (and a young app cannot get its service principal yet:
# NoBackingApplicationObject), a new secret or role reaches the token service after a delay, a
# few percent of Graph calls are throttled with Retry-After, lists come in small pages with
# opaque next links, and tokens live 6 minutes (msal serves a cached token only while more than
# 5 minutes remain, so a long run renews tokens and a client that holds one longer sees 401).
# The numbers are short in wall time so tests stay fast. ``ideal`` switches all of that off, for
# speed comparisons and for tests that count requests exactly.
PROFILES = {
    "realistic": {
        "replication_lag": {"seconds": 2, "key_reads": False},
        "token_propagation_delay": 2.0,
        "throttle": {"share": 0.03, "retry_after": 1, "kinds": ("graph",)},
        "page_size": 3,
        "token_lifetime": 360,
    },
    "ideal": {"page_size": 999, "token_lifetime": 3599},
}


def iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> float:
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.timestamp()


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Faults:
    """Fault settings; every decision is taken under the store lock."""

    def __init__(self):
        self.clear()

    def apply(self, profile: dict):
        """Set the faults a named world (``PROFILES``) switches on."""
        self.clear()
        if profile.get("replication_lag"):
            self.replication_lag = dict(profile["replication_lag"])
        if profile.get("throttle"):
            self.throttle = dict(profile["throttle"])
        self.token_propagation_delay = float(profile.get("token_propagation_delay") or 0)

    def clear(self):
        self.replication_lag: dict | None = None  # {"reads": N} or {"seconds": T}
        # Each of these may also carry "seconds": it lasts that long from the first request of its kinds ("until").
        self.throttle: dict | None = None  # {"share"|"burst", "retry_after", "kinds"}
        self.server_errors: dict | None = None  # {"share"|"burst", "status", "kinds"}
        self.conflicts: dict | None = None  # {"share"|"burst", "kinds"}: 409 on writes only
        self.latency_ms = 0
        self.latency_kinds = ("graph",)
        self.drop: dict | None = None  # {"burst": N | "every": seconds, "kinds"}
        self.token_propagation_delay = 0.0
        self.random = random.Random(4711)  # fixed seed: a share gives the same pattern every run

    def describe(self) -> dict:
        return {
            "replication_lag": self.replication_lag,
            "throttle": self.throttle,
            "server_errors": self.server_errors,
            "conflicts": self.conflicts,
            "latency_ms": self.latency_ms,
            "drop_connections": self.drop,
            "token_propagation_delay": self.token_propagation_delay,
        }

    @staticmethod
    def arm(setting: dict | None) -> dict | None:
        """A fault setting as set now (``seconds``: how long it lasts once it first hits)."""
        if not setting:
            return None
        return {k: v for k, v in setting.items() if k not in ("until", "next_at")}

    def _fires(self, setting: dict | None, kind: str) -> bool:
        if not setting or kind not in setting.get("kinds", ("graph",)):
            return False
        now = time.monotonic()
        if setting.get("seconds"):
            # A storm or an outage of T seconds from the first request of its kinds (wall time, not the
            # emulated clock: the client waits in real time), however long the client takes to
            # get there.
            setting.setdefault("until", now + float(setting["seconds"]))
            if now >= setting["until"]:
                return False
        if setting.get("every"):
            # One hit per period: the first request after each ``every`` seconds.
            if now < setting.get("next_at", 0):
                return False
            setting["next_at"] = now + float(setting["every"])
            return True
        if setting.get("burst"):
            setting["burst"] -= 1
            return True
        share = setting.get("share") or 0
        return share > 0 and self.random.random() < share

    def decide(self, kind: str, method: str = "GET") -> tuple[str, dict] | None:
        """What happens to the next request of this kind: drop, throttle, error or nothing."""
        if self._fires(self.drop, kind):
            return "drop", {}
        if self._fires(self.throttle, kind):
            return "throttle", {"retry_after": self.throttle.get("retry_after", 1)}
        if self._fires(self.server_errors, kind):
            return "error", {"status": self.server_errors.get("status", 503)}
        if method in ("POST", "PATCH", "PUT", "DELETE") and self._fires(self.conflicts, kind):
            return "conflict", {}
        return None


class Store:
    def __init__(self, state_dir: pathlib.Path | None = None, profile: str = "realistic"):
        if profile not in PROFILES:
            raise ValueError(f"unknown world profile {profile!r}: {', '.join(PROFILES)}")
        self.lock = threading.RLock()
        self.default_profile = profile
        self.profile = profile
        self.page_size = PROFILES[profile]["page_size"]
        self.token_lifetime = PROFILES[profile]["token_lifetime"]
        # opaque $skiptoken -> {"offset", "query"}
        self.page_tokens: dict[str, dict] = {}
        self.state_dir = state_dir
        self.clock_offset = 0.0
        # "clock": Graph checks a token's exp against the emulated clock (the contract);
        # "wall": against real time, so tokens cached by msal survive clock.advance (README "Clock").
        self.token_expiry = "clock"
        # The X-IDENTITY-HEADER secret of the managed identity endpoint (App Service protocol).
        self.identity_header = uuid.uuid4().hex
        self.tenants: dict[str, dict] = {}
        self.faults = Faults()
        self.faults.apply(PROFILES[profile])
        self.log: list[dict] = []
        if state_dir and (state_dir / "state.json").exists():
            data = json.loads((state_dir / "state.json").read_text())
            self.tenants = data.get("tenants", {})
            for tid, tenant in self.tenants.items():
                if tenant["graph_sp_id"] not in tenant["servicePrincipals"]:
                    created = tenant.pop("graph_sp_created", None) or iso(time.time())
                    tenant["servicePrincipals"][tenant["graph_sp_id"]] = graph_seed.graph_service_principal(tenant["graph_sp_id"], tid, created)
            self.clock_offset = data.get("clock_offset", 0.0)
            self.identity_header = data.get("identity_header", self.identity_header)

    # --- persistence -------------------------------------------------------------------------
    def save(self):
        if not self.state_dir:
            return
        target = self.state_dir / "state.json"
        tmp = target.with_suffix(".tmp")
        # Under the lock: concurrent requests shared one state.tmp and one of them lost the
        # file between write and replace (seen as 500s from addPassword in the demo).
        with self.lock:
            # The Graph service principal (~300 kB per tenant) is rebuilt from the tenant id on
            # load instead of being written on every change.
            tenants = {}
            for tid, tenant in self.tenants.items():
                sps = dict(tenant["servicePrincipals"])
                graph_sp = sps.pop(tenant["graph_sp_id"], None)
                tenants[tid] = dict(tenant, servicePrincipals=sps, graph_sp_created=(graph_sp or {}).get("createdDateTime"))
            tmp.write_text(json.dumps({"tenants": tenants, "clock_offset": self.clock_offset, "identity_header": self.identity_header}))
            os.replace(tmp, target)

    def reset(self, profile: str | None = None):
        with self.lock:
            self.tenants = {}
            self.clock_offset = 0.0
            self.token_expiry = "clock"
            self.log = []
            self.page_tokens = {}
            self.use_profile(profile or self.default_profile)
        self.save()

    def use_profile(self, profile: str):
        """Switch the world: faults, page size and token lifetime of ``PROFILES[profile]``."""
        if profile not in PROFILES:
            raise ValueError(f"unknown world profile {profile!r}: {', '.join(PROFILES)}")
        with self.lock:
            self.profile = profile
            self.page_size = PROFILES[profile]["page_size"]
            self.token_lifetime = PROFILES[profile]["token_lifetime"]
            self.faults.apply(PROFILES[profile])

    def describe_world(self) -> dict:
        return {"profile": self.profile, "default_profile": self.default_profile, "page_size": self.page_size, "token_lifetime": self.token_lifetime}

    # --- clock -------------------------------------------------------------------------------
    def now(self) -> float:
        """Emulated time: the real clock plus an offset, so it keeps ticking after ``set``."""
        return time.time() + self.clock_offset

    def set_clock(self, when: float):
        with self.lock:
            self.clock_offset = when - time.time()
        self.save()

    def advance_clock(self, seconds: float):
        with self.lock:
            self.clock_offset += seconds
        self.save()

    # --- tenants -----------------------------------------------------------------------------
    def add_tenant(self, name: str = "contoso", tenant_id: str | None = None) -> str:
        from . import model  # model imports this module's helpers

        tenant_id = tenant_id or str(uuid.uuid4())
        graph_sp_id = str(uuid.uuid4())
        with self.lock:
            self.tenants[tenant_id] = {
                "id": tenant_id,
                "displayName": name,
                "domain": f"{name.lower()}.onmicrosoft.com",
                # /policies/defaultAppManagementPolicy, the appManagementPolicies and which app
                # follows which (app object id -> policy id).
                "default_app_management_policy": model.default_app_management_policy(),
                "app_management_policies": {},
                "app_policy_assignments": {},
                "graph_sp_id": graph_sp_id,
                "applications": {},
                "servicePrincipals": {graph_sp_id: graph_seed.graph_service_principal(graph_sp_id, tenant_id, iso(self.now()))},
                "oauth2PermissionGrants": {},
                "appRoleAssignments": {},
                # app object id -> [owner object ids]
                "owners": {},
                # keyId -> sha256 of the secret text (the text itself is never stored)
                "secrets": {},
                # object id -> {"lag_reads": N, "lag_until": t, "available_at": t}
                "meta": {},
            }
        self.save()
        return tenant_id

    def find_tenant(self, key: str) -> dict | None:
        """A tenant by id or by its ``<name>.onmicrosoft.com`` domain (as the login host accepts both)."""
        with self.lock:
            if key in self.tenants:
                return self.tenants[key]
            for tenant in self.tenants.values():
                if tenant["domain"] == key.lower():
                    return tenant
        return None

    def snapshot(self, tenant_id: str) -> dict:
        from . import model

        with self.lock:
            tenant = self.tenants[tenant_id]
            out = {name: [copy.deepcopy(obj) for obj in tenant[name].values()] for name in COLLECTIONS}
            out["owners"] = copy.deepcopy(tenant["owners"])
            out["defaultAppManagementPolicy"] = copy.deepcopy(tenant.get("default_app_management_policy"))
            out["appManagementPolicies"] = copy.deepcopy(list(tenant.get("app_management_policies", {}).values()))
            out["appManagementPolicyAssignments"] = copy.deepcopy(tenant.get("app_policy_assignments", {}))
            out["policy"] = model.policy_summary(tenant)
            out["organization"] = {"id": tenant["id"], "displayName": tenant["displayName"]}
            out["graph_service_principal_id"] = tenant["graph_sp_id"]
            return out

    # --- request log -------------------------------------------------------------------------
    def record(self, entry: dict):
        with self.lock:
            self.log.append(entry)
            if len(self.log) > LOG_LIMIT:
                # A long-running CLI server (the demo) must not grow without bound.
                del self.log[: LOG_LIMIT // 2]

    def requests(self, tenant_id: str | None = None) -> list[dict]:
        with self.lock:
            return [dict(e) for e in self.log if tenant_id is None or e.get("tenant") == tenant_id]
