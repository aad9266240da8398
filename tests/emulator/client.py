"""``EmulatorClient``: the test-side handle on a running emulator, over its ``/_emulator`` API.

The pytest fixture ``graph_emulator`` returns one; scripts (the demo, benchmarks) build one from
the ``url`` and ``ca_path`` printed by ``python -m tests.emulator``. Every request passes
``verify=ca_path`` itself, because this machine's ``REQUESTS_CA_BUNDLE`` overrides a
session-wide ``verify`` (reference/tooling.md).
"""

from __future__ import annotations

import datetime
import pathlib
import tempfile

import requests

WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


class EmulatorError(RuntimeError):
    pass


class _Base:
    def __init__(self, url: str, ca_path: str, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self.ca_path = str(ca_path)
        # One keep-alive session: a TLS handshake per call would dominate the test time.
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, json=None, params=None):
        response = self.session.request(method, f"{self.url}{path}", json=json, params=params, verify=self.ca_path, timeout=30)
        if response.status_code >= 400:
            raise EmulatorError(f"{method} {path} -> {response.status_code}: {response.text}")
        if response.status_code == 204 or not response.content:
            return None
        return response.json()


class Clock(_Base):
    """The emulated clock: real time plus an offset, so it keeps ticking after ``set``."""

    def now(self) -> datetime.datetime:
        return datetime.datetime.fromisoformat(self._call("GET", "/_emulator/clock")["now"].replace("Z", "+00:00"))

    def set(self, when) -> datetime.datetime:
        if isinstance(when, datetime.datetime):
            if when.tzinfo is None:
                when = when.replace(tzinfo=datetime.timezone.utc)
            when = when.isoformat()
        return datetime.datetime.fromisoformat(self._call("POST", "/_emulator/clock", {"set": when})["now"].replace("Z", "+00:00"))

    def advance(self, days: float = 0, seconds: float = 0, hours: float = 0) -> datetime.datetime:
        total = days * 86400 + hours * 3600 + seconds
        return datetime.datetime.fromisoformat(self._call("POST", "/_emulator/clock", {"advance_seconds": total})["now"].replace("Z", "+00:00"))

    def token_expiry(self, mode: str = "wall") -> str:
        """``"clock"`` (default): Graph refuses tokens whose ``exp`` is past on the emulated clock.
        ``"wall"``: it checks real time, so a token msal cached keeps working after ``advance``."""
        return self._call("POST", "/_emulator/clock", {"token_expiry": mode})["token_expiry"]


class Faults(_Base):
    """Faults for the next requests; ``kinds`` picks what they hit: ``graph`` (default), ``token``."""

    def _set(self, **settings):
        return self._call("POST", "/_emulator/faults", settings)

    def replication_lag(self, reads: int | None = None, seconds: float | None = None, key_reads: bool = True):
        """Objects created from now on 404 on reads (and block SP creation) for N reads or T seconds.

        ``key_reads=False``: only lists, filters and SP creation lag, a GET by id does not (the
        realistic profile's setting)."""
        return self._set(replication_lag={"reads": reads, "seconds": seconds, "key_reads": key_reads})

    # ``seconds``: the fault lasts that long from the first request of its kinds (wall time), then
    # stops by itself (a storm, an outage); without it, until cleared (or its burst is used up).
    def throttle(self, share: float | None = None, burst: int | None = None, retry_after: int = 1, kinds=("graph",), seconds: float | None = None):
        return self._set(throttle={"share": share, "burst": burst, "retry_after": retry_after, "seconds": seconds}, kinds=list(kinds))

    def server_errors(self, share: float | None = None, burst: int | None = None, status: int = 503, kinds=("graph",), seconds: float | None = None):
        return self._set(server_errors={"share": share, "burst": burst, "status": status, "seconds": seconds}, kinds=list(kinds))

    def conflicts(self, share: float | None = None, burst: int | None = None, kinds=("graph",), seconds: float | None = None):
        """Transient 409 ``Request_Conflict`` on writes (POST/PATCH/PUT/DELETE) only."""
        return self._set(conflicts={"share": share, "burst": burst, "seconds": seconds}, kinds=list(kinds))

    def latency(self, ms: int, kinds=("graph",)):
        return self._set(latency_ms=ms, kinds=list(kinds))

    def drop_connections(self, burst: int | None = 1, kinds=("graph",), every: float | None = None, seconds: float | None = None):
        """The next ``burst`` requests get no answer; with ``every=T``, the first request of every T seconds instead."""
        if every:
            burst = None
        return self._set(drop_connections={"burst": burst, "every": every, "seconds": seconds}, kinds=list(kinds))

    def token_propagation_delay(self, seconds: float):
        """New secrets and app role assignments reach the token endpoint only after T seconds."""
        return self._set(token_propagation_delay=seconds)

    def clear(self):
        return self._call("DELETE", "/_emulator/faults")

    def current(self) -> dict:
        return self._call("GET", "/_emulator/faults")


class Admin(_Base):
    """Out-of-band changes that bypass permissions (drift tests)."""

    def __init__(self, url, ca_path, tenant_id, session=None):
        super().__init__(url, ca_path, session)
        self.tenant_id = tenant_id

    def add_application(self, body: dict) -> dict:
        return self._call("POST", f"/_emulator/tenants/{self.tenant_id}/admin/applications", body)

    def patch_application(self, object_id: str, body: dict) -> dict:
        return self._call("PATCH", f"/_emulator/tenants/{self.tenant_id}/admin/applications/{object_id}", body)

    def delete_object(self, collection: str, object_id: str):
        return self._call("DELETE", f"/_emulator/tenants/{self.tenant_id}/admin/{collection}/{object_id}")

    def set_policy(self, password_max_lifetime_days: int | None = None, password_addition: bool | None = None) -> dict:
        body = {}
        if password_max_lifetime_days is not None:
            body["password_max_lifetime_days"] = password_max_lifetime_days or None
        if password_addition is not None:
            body["password_addition"] = password_addition
        return self._call("PUT", f"/_emulator/tenants/{self.tenant_id}/policy", body)

    def set_default_app_management_policy(self, policy: dict) -> dict:
        """Replace ``GET /policies/defaultAppManagementPolicy`` with this (Graph's documented shape)."""
        return self._call("PUT", f"/_emulator/tenants/{self.tenant_id}/admin/default-app-management-policy", policy)

    def add_app_management_policy(
        self, applies_to=(), password_max_lifetime_days: int | None = None, password_addition: bool = True, restrictions: dict | None = None, display_name=None
    ) -> dict:
        """An appManagementPolicy assigned to these apps (object ids or app ids); it replaces the tenant default for them."""
        body = {"applies_to": list(applies_to), "password_max_lifetime_days": password_max_lifetime_days, "password_addition": password_addition}
        if restrictions is not None:
            body["restrictions"] = restrictions
        if display_name:
            body["display_name"] = display_name
        return self._call("POST", f"/_emulator/tenants/{self.tenant_id}/admin/app-management-policies", body)


class EmulatorClient(_Base):
    """The ``EmulatorHandle`` of docs/dev/contracts.md, against any running emulator."""

    def __init__(self, url: str, ca_path: str, workdir: str | pathlib.Path | None = None, profile: str | None = None):
        super().__init__(url, ca_path)
        # The world ``reset()`` sets up: "realistic" or "ideal"; None = the server's default
        # (realistic unless the server was started with --ideal).
        self.profile = profile
        self.workdir = pathlib.Path(workdir) if workdir else pathlib.Path(tempfile.mkdtemp(prefix="graph-emulator-client-"))
        self.clock = Clock(url, ca_path, self.session)
        self.faults = Faults(url, ca_path, self.session)

    def reset(self, profile: str | None = None):
        """Forget every tenant, fault, log entry and clock offset; set up the world ``profile``
        (default: this handle's ``profile``, else the server's)."""
        if profile is not None:
            self.profile = profile
        return self._call("POST", "/_emulator/reset", {"profile": self.profile} if self.profile else {})

    def world(self, profile: str | None = None, page_size: int | None = None, token_lifetime: int | None = None) -> dict:
        """The current world (``profile``, ``page_size``, ``token_lifetime``); with ``profile``,
        switch to it now (faults of that profile replace the current ones) until the next
        ``reset()``, which sets up this handle's ``profile`` again (``reset(profile)`` changes that)."""
        if profile is None:
            return self._call("GET", "/_emulator/world")
        body = {"profile": profile}
        if page_size is not None:
            body["page_size"] = page_size
        if token_lifetime is not None:
            body["token_lifetime"] = token_lifetime
        return self._call("POST", "/_emulator/world", body)

    def add_tenant(self, name: str = "contoso") -> str:
        return self._call("POST", "/_emulator/tenants", {"name": name})["tenant_id"]

    def add_automation_identity(self, tenant_id: str, roles=(), credential: str = "secret", owner_of=None, display_name: str | None = None) -> dict:
        """An app + service principal holding these Graph application permissions (already consented)."""
        if isinstance(owner_of, str):
            owner_of = [owner_of]
        identity = self._call(
            "POST",
            f"/_emulator/tenants/{tenant_id}/automation-identities",
            {"roles": list(roles), "credential": credential, "owner_of": list(owner_of or []), "display_name": display_name},
        )
        if credential == "certificate":
            path = self.workdir / f"automation-{identity['client_id']}.pem"
            path.write_text(identity["private_key_pem"] + identity["certificate_pem"])
            path.chmod(0o600)
            identity["certificate_path"] = str(path)
        return identity

    def add_federated_identity_credential(
        self, tenant_id: str, app: str, issuer: str, subject: str, audiences=("api://AzureADTokenExchange",), name: str = "workload", issuer_public_key_pem=None
    ) -> dict:
        """A federatedIdentityCredential on ``app`` (object id or appId); with the issuer's public key (PEM) the
        emulator verifies the assertion's signature, without it only its claims (README "Workload identity federation")."""
        body = {"name": name, "issuer": issuer, "subject": subject, "audiences": list(audiences)}
        if issuer_public_key_pem is not None:
            body["issuer_public_key_pem"] = issuer_public_key_pem
        return self._call("POST", f"/_emulator/tenants/{tenant_id}/applications/{app}/federated-identity-credentials", body)

    def add_managed_identity(self, tenant_id: str, roles=(), user_assigned: bool = False, display_name: str | None = None) -> dict:
        """A managed identity (service principal, no app) holding these Graph application permissions.

        Returns ``client_id, service_principal_id, identity_endpoint, identity_header`` and ``env``:
        set ``IDENTITY_ENDPOINT`` / ``IDENTITY_HEADER`` from it and msal's ``ManagedIdentityClient``
        talks to the emulator (Azure App Service protocol). System-assigned: the newest one wins.
        """
        return self._call(
            "POST",
            f"/_emulator/tenants/{tenant_id}/managed-identities",
            {"roles": list(roles), "user_assigned": user_assigned, "display_name": display_name},
        )

    def requests(self, tenant_id: str | None = None) -> list[dict]:
        params = {"tenant_id": tenant_id} if tenant_id else None
        return self._call("GET", "/_emulator/requests", params=params)

    def count(self, method: str | None = None, kind: str | None = "graph", tenant_id: str | None = None, writes: bool = False, path: str | None = None) -> int:
        """How many logged requests match; ``kind=None`` counts every kind, ``path`` is a substring."""
        total = 0
        for entry in self.requests(tenant_id):
            if kind is not None and entry["kind"] != kind:
                continue
            if method is not None and entry["method"] != method.upper():
                continue
            if writes and entry["method"] not in WRITE_METHODS:
                continue
            if path is not None and path not in entry["path"]:
                continue
            total += 1
        return total

    def reset_log(self):
        return self._call("DELETE", "/_emulator/requests")

    def state(self, tenant_id: str) -> dict:
        return self._call("GET", f"/_emulator/tenants/{tenant_id}/state")

    def admin(self, tenant_id: str) -> Admin:
        return Admin(self.url, self.ca_path, tenant_id, self.session)

    # Conveniences for tests: a real token request and a Graph call, both trusting the CA.
    def token(self, tenant_id: str, client_id: str, client_secret: str, scope: str | None = None) -> requests.Response:
        return self.session.post(
            f"{self.url}/{tenant_id}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret, "scope": scope or f"{self.url}/.default"},
            verify=self.ca_path,
            timeout=30,
        )

    def graph(self, method: str, path: str, token: str, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {}, Authorization=f"Bearer {token}")
        return self.session.request(method, f"{self.url}/v1.0{path}", headers=headers, verify=self.ca_path, timeout=30, **kwargs)


EmulatorHandle = EmulatorClient


class CAHttpClient:
    """An msal ``http_client`` that passes ``verify=ca_path`` on every request.

    ``msal``'s own ``verify=`` sets it on a session, which REQUESTS_CA_BUNDLE overrides
    (reference/tooling.md), so tests hand msal this instead.
    """

    def __init__(self, ca_path: str):
        self.ca_path = str(ca_path)
        self.session = requests.Session()

    def post(self, url, **kwargs):
        kwargs["verify"] = self.ca_path
        return self.session.post(url, **kwargs)

    def get(self, url, **kwargs):
        kwargs["verify"] = self.ca_path
        return self.session.get(url, **kwargs)

    def close(self):
        self.session.close()
