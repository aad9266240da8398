"""Playbook helpers for the entra_admin_consent / entra_app_secret integration tests and benchmark."""

from __future__ import annotations

import json
import pathlib

import yaml

from tests.integration.graph_play import run_module
from tests.playbook_runner import run_playbook

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
SCOPE_IDS = {
    "Presence.Read": "76bc735e-aecd-4a1d-8b4c-2b915deabb79",
    "Presence.Read.All": "9c7a330d-35b3-4aa1-963d-cb2b9f927841",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
}
PRESENCE_RW_ALL = "83cded22-8297-4ff6-a7fa-e97e9545a259"
PRESENCE_R_ALL_ROLE = "a70e0c2d-e793-494c-94c4-118fa0a67f42"
ONBOARDING_ROLES = [
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.Read.All",
]


def vendor_app_body(name="ProCall Teams"):
    """The app of the vendor procedure (A2-A6), as entra_app would leave it."""
    return {
        "displayName": name,
        "signInAudience": "AzureADMyOrg",
        "publicClient": {"redirectUris": ["http://localhost"]},
        "requiredResourceAccess": [
            {
                "resourceAppId": GRAPH_APP_ID,
                "resourceAccess": [{"id": i, "type": "Scope"} for i in SCOPE_IDS.values()] + [{"id": PRESENCE_RW_ALL, "type": "Role"}],
            }
        ],
    }


class World:
    """One tenant in the emulator, an automation identity and the app under test."""

    def __init__(self, emulator, tmp_path, roles=None, app_body=None, app_via_graph=False):
        self.emu = emulator
        self.tmp = pathlib.Path(tmp_path)
        self.tenant = emulator.add_tenant(name="contoso")
        self.identity = emulator.add_automation_identity(self.tenant, roles=roles if roles is not None else ONBOARDING_ROLES)
        if app_via_graph:  # as entra_app does it: subject to the emulator's replication lag
            self.app = OutOfBand(self).call("POST", "applications", app_body or vendor_app_body())
        else:
            self.app = emulator.admin(self.tenant).add_application(app_body or vendor_app_body())
        self.runs = 0

    def auth(self):
        return {
            "tenant_id": self.tenant,
            "client_id": self.identity["client_id"],
            "client_secret": self.identity["client_secret"],
            "login_endpoint": self.emu.url,
            "graph_endpoint": self.emu.url,
            "ca_path": str(self.emu.ca_path),
            # One token cache per test (the default one in ~/.ansible would be shared by every test).
            "token_cache_path": str(self.tmp / "token-cache"),
        }

    def advance_clock(self, days):
        """Move the emulator's clock. The token cached by an earlier run is then expired for Graph
        but not for msal (it counts real time): the client must renew it on Graph's 401."""
        self.emu.clock.advance(days=days)

    def run(self, module, args, *, check=False, diff=True, verbosity=0, task_no_log=None, extra_tasks=None, playbook=False):
        """Run one module; returns (run, result without the secret, secret or None).

        In this process (the module's main(), milliseconds) unless the test needs what only a
        playbook shows: verbosity, the action plugin's censoring, extra tasks (``playbook=True``).
        """
        if not (playbook or verbosity or task_no_log is not None or extra_tasks):
            return self._run_in_process(module, args, check=check, diff=diff)
        return self._run_playbook(module, args, check=check, diff=diff, verbosity=verbosity, task_no_log=task_no_log, extra_tasks=extra_tasks)

    def _run_in_process(self, module, args, check, diff):
        self.runs += 1
        name = module.rsplit(".", 1)[-1]
        result = run_module(name, dict(self.auth(), **args), check=check, diff=diff)
        if name == "entra_app_secret" and result.pop("secret_from_option", False) and not result.get("failed"):
            result["secret"] = args.get("current_secret")  # what the action plugin does
        secret = result.pop("secret", None)
        return InProcessRun(result), dict(result), secret

    def _run_playbook(self, module, args, *, check=False, diff=True, verbosity=0, task_no_log=None, extra_tasks=None):
        """Run one module task through ansible-playbook; returns (PlaybookResult, result without the secret, secret or None).

        The registered result is written to files by later tasks (the secret value on its own,
        no_log) so that the test gets the value without the module ever printing it.
        """
        self.runs += 1
        work = self.tmp / ("run%02d" % self.runs)
        work.mkdir(parents=True, exist_ok=True)
        out_json = work / "result.json"
        out_secret = work / "secret.txt"
        tasks = [
            {
                "name": "under test",
                module: args,
                "register": "r",
                "ignore_errors": True,
                "no_log": module.endswith("entra_app_secret") if task_no_log is None else task_no_log,
            },
            {
                "name": "keep result",
                "ansible.builtin.copy": {
                    "content": "{{ r | dict2items | rejectattr('key', 'equalto', 'secret') | items2dict | to_json }}",
                    "dest": str(out_json),
                    "mode": "0600",
                },
                "check_mode": False,
                "diff": False,
            },
            {
                "name": "keep secret",
                "ansible.builtin.copy": {"content": "{{ r.secret }}", "dest": str(out_secret), "mode": "0600"},
                "when": "r.secret is defined",
                "no_log": True,
                "check_mode": False,
                "diff": False,
            },
        ] + (extra_tasks or [])
        play = [{"hosts": "localhost", "gather_facts": False, "module_defaults": {"group/procall.msteams.graph": self.auth()}, "tasks": tasks}]
        book = work / "play.yml"
        book.write_text(yaml.safe_dump(play, sort_keys=False))
        callback = "default" if verbosity else "ansible.posix.json"
        res = run_playbook(book, workdir=work, check=check, diff=diff, verbosity=verbosity, callback=callback)
        result = json.loads(out_json.read_text()) if out_json.exists() else None
        secret = out_secret.read_text() if out_secret.exists() else None
        return res, result, secret

    def consent(self, **args):
        kw = {k: args.pop(k) for k in ("check", "verbosity") if k in args}
        return self.run("procall.msteams.entra_admin_consent", dict({"app_id": self.app["appId"]}, **args), **kw)

    def secret(self, **args):
        kw = {k: args.pop(k) for k in ("check", "verbosity", "task_no_log") if k in args}
        return self.run("procall.msteams.entra_app_secret", dict({"app_id": self.app["appId"]}, **args), **kw)

    def state(self):
        return self.emu.state(self.tenant)

    def app_now(self):
        return next(a for a in self.state()["applications"] if a["appId"] == self.app["appId"])

    def password_credentials(self):
        return self.app_now().get("passwordCredentials") or []


class InProcessRun:
    """The ``run`` half of World.run's answer for an in-process module run (rc as with ignore_errors)."""

    rc = 0

    def __init__(self, result):
        self.result = result
        self.output = result.output

    def __repr__(self):
        return "InProcessRun(%r)" % (dict(self.result),)


class OutOfBand:
    """Direct Graph calls as the automation identity (another admin's hand, for drift tests)."""

    def __init__(self, world):
        import msal
        import requests

        self.world = world
        self.session = requests.Session()
        app = msal.ConfidentialClientApplication(
            world.identity["client_id"],
            client_credential=world.identity["client_secret"],
            authority="%s/%s" % (world.emu.url, world.tenant),
            http_client=_VerifyingSession(str(world.emu.ca_path)),
            instance_discovery=False,
            validate_authority=False,
        )
        self.token = app.acquire_token_for_client(scopes=["%s/.default" % world.emu.url])["access_token"]

    def call(self, method, path, body=None):
        resp = self.session.request(
            method,
            "%s/v1.0/%s" % (self.world.emu.url, path.lstrip("/")),
            json=body,
            headers={"Authorization": "Bearer " + self.token},
            verify=str(self.world.emu.ca_path),
            timeout=30,
        )
        assert resp.status_code < 300, resp.text
        return resp.json() if resp.content else None


def token_roles(world, client_id, secret):
    """The roles claim of a real token for (client_id, secret), or None when refused."""
    import jwt
    import msal

    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority="%s/%s" % (world.emu.url, world.tenant),
        http_client=_VerifyingSession(str(world.emu.ca_path)),
        instance_discovery=False,
        validate_authority=False,
        token_cache=msal.TokenCache(),
    )
    result = app.acquire_token_for_client(scopes=["%s/.default" % world.emu.url])
    if "access_token" not in result:
        return None
    return jwt.decode(result["access_token"], options={"verify_signature": False}).get("roles") or []


def _VerifyingSession(ca_path):
    """A requests session that passes ``verify`` on every request (tooling.md: env CA bundles win otherwise)."""
    import requests

    class _S(requests.Session):
        def request(self, *args, **kwargs):
            kwargs["verify"] = ca_path
            return super().request(*args, **kwargs)

    return _S()
