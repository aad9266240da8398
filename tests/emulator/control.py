"""The ``/_emulator`` control API: tenants, identities, clock, faults, log, state and admin changes.

It bypasses permissions on purpose (tests arrange the world with it); ``client.EmulatorClient``
is its only intended user. Documented in tests/emulator/README.md.
"""

from __future__ import annotations

import json

from flask import Response, request

from . import certs, graph_seed, model
from .model import GraphError
from .state import COLLECTIONS, PROFILES, parse_iso


def register(app, store, as_json):
    def body() -> dict:
        return json.loads(request.data or b"{}")

    def tenant_of(tenant_id: str) -> dict:
        tenant = store.tenants.get(tenant_id)
        if tenant is None:
            raise GraphError(404, "Request_ResourceNotFound", f"Tenant '{tenant_id}' does not exist in the emulator.")
        return tenant

    @app.post("/_emulator/reset")
    def reset():
        profile = body().get("profile")
        if profile is not None and profile not in PROFILES:
            raise GraphError(400, "Request_BadRequest", f"profile must be one of {', '.join(PROFILES)}.")
        store.reset(profile)
        return as_json(dict({"reset": True}, **store.describe_world()))

    @app.route("/_emulator/world", methods=["GET", "POST"])
    def world():
        if request.method == "POST":
            data = body()
            if data.get("profile") not in PROFILES:
                raise GraphError(400, "Request_BadRequest", f"profile must be one of {', '.join(PROFILES)}.")
            store.use_profile(data["profile"])
            with store.lock:
                if "page_size" in data:
                    store.page_size = max(1, int(data["page_size"]))
                if "token_lifetime" in data:
                    store.token_lifetime = max(60, int(data["token_lifetime"]))
        return as_json(store.describe_world())

    @app.get("/_emulator/health")
    def health():
        return as_json({"ok": True, "tenants": len(store.tenants)})

    @app.post("/_emulator/tenants")
    def add_tenant():
        data = body()
        return as_json({"tenant_id": store.add_tenant(data.get("name") or "contoso", data.get("tenant_id"))}, 201)

    @app.post("/_emulator/tenants/<tenant_id>/automation-identities")
    def add_automation_identity(tenant_id):
        data = body()
        roles = list(data.get("roles") or [])
        credential = data.get("credential", "secret")
        if credential not in ("secret", "certificate", "federated"):
            raise GraphError(400, "Request_BadRequest", "credential must be 'secret', 'certificate' or 'federated'.")
        unknown = sorted(set(roles) - set(graph_seed.ALL_APP_ROLES))
        if unknown:
            raise GraphError(400, "Request_BadRequest", f"Unknown Graph application permissions: {', '.join(unknown)}.")
        with store.lock:
            tenant = tenant_of(tenant_id)
            now = store.now()
            result = {}
            app_body = {"displayName": data.get("display_name") or "automation identity"}
            if credential == "certificate":
                cert = certs.make_app_certificate(app_body["displayName"])
                app_body["keyCredentials"] = [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert["key_b64"], "displayName": "CN=automation"}]
                result.update({k: cert[k] for k in ("certificate_pem", "private_key_pem", "thumbprint")})
            app_obj, _made = model.create_application(tenant, app_body, now)
            sp = model.create_service_principal(tenant, app_obj, {}, now)
            tenant["owners"][sp["id"]] = []
            if credential == "secret":
                # Out of band: no propagation delay for the identity the test itself uses.
                cred = model.add_password(tenant, app_obj, {"passwordCredential": {"displayName": "automation"}}, now, 0, enforce_policy=False)
                result["client_secret"] = cred["secretText"]
                result["secret_key_id"] = cred["keyId"]
            graph_sp = tenant["servicePrincipals"][tenant["graph_sp_id"]]
            for role in roles:
                model.create_assignment(tenant, {"principalId": sp["id"], "resourceId": graph_sp["id"], "appRoleId": graph_seed.ALL_APP_ROLES[role]}, now, 0)
            for owned in data.get("owner_of") or []:
                target = tenant["applications"].get(owned) or next((a for a in tenant["applications"].values() if a["appId"] == owned), None)
                if target is None:
                    raise GraphError(404, "Request_ResourceNotFound", f"owner_of: application '{owned}' does not exist.")
                tenant["owners"].setdefault(target["id"], []).append(sp["id"])
            result.update({"client_id": app_obj["appId"], "object_id": app_obj["id"], "service_principal_id": sp["id"], "tenant_id": tenant_id})
        store.save()
        return as_json(result, 201)

    @app.post("/_emulator/tenants/<tenant_id>/applications/<app_key>/federated-identity-credentials")
    def add_federated_identity_credential(tenant_id, app_key):
        """A federatedIdentityCredential on an app (by object id or appId), and the issuer's signing key.

        ``issuer_public_key_pem`` (emulator-only) is the key the emulator verifies the issuer's
        assertions with; without it only the claims of the assertion are checked (README).
        """
        data = body()
        with store.lock:
            tenant = tenant_of(tenant_id)
            application = tenant["applications"].get(app_key) or next((a for a in tenant["applications"].values() if a["appId"] == app_key), None)
            if application is None:
                raise GraphError(404, "Request_ResourceNotFound", f"Application '{app_key}' does not exist.")
            record = model.add_federated_identity_credential(tenant, application, data)
            if data.get("issuer_public_key_pem"):
                tenant.setdefault("federation_issuer_keys", {})[record["issuer"]] = data["issuer_public_key_pem"]
        store.save()
        return as_json(record, 201)

    @app.post("/_emulator/tenants/<tenant_id>/managed-identities")
    def add_managed_identity(tenant_id):
        data = body()
        roles = list(data.get("roles") or [])
        unknown = sorted(set(roles) - set(graph_seed.ALL_APP_ROLES))
        if unknown:
            raise GraphError(400, "Request_BadRequest", f"Unknown Graph application permissions: {', '.join(unknown)}.")
        kind = "user" if data.get("user_assigned") else "system"
        with store.lock:
            tenant = tenant_of(tenant_id)
            now = store.now()
            # A managed identity is a service principal without an application object.
            sp = model.create_service_principal(
                tenant, {"appId": model.new_id(), "displayName": data.get("display_name") or f"{kind}-assigned identity"}, {}, now
            )
            sp["servicePrincipalType"] = "ManagedIdentity"
            tenant["meta"].setdefault(sp["id"], {})["managed_identity"] = kind
            graph_sp = tenant["servicePrincipals"][tenant["graph_sp_id"]]
            for role in roles:
                model.create_assignment(tenant, {"principalId": sp["id"], "resourceId": graph_sp["id"], "appRoleId": graph_seed.ALL_APP_ROLES[role]}, now, 0)
        store.save()
        endpoint = f"{request.host_url}{tenant_id}/managed-identity/token"
        return as_json(
            {
                "client_id": sp["appId"],
                "service_principal_id": sp["id"],
                "tenant_id": tenant_id,
                "user_assigned": kind == "user",
                "identity_endpoint": endpoint,
                "identity_header": store.identity_header,
                "env": {"IDENTITY_ENDPOINT": endpoint, "IDENTITY_HEADER": store.identity_header},
            },
            201,
        )

    @app.route("/_emulator/clock", methods=["GET", "POST"])
    def clock():
        if request.method == "POST":
            data = body()
            if data.get("set"):
                store.set_clock(parse_iso(data["set"]))
            if data.get("advance_seconds"):
                store.advance_clock(float(data["advance_seconds"]))
            if data.get("token_expiry") in ("clock", "wall"):
                store.token_expiry = data["token_expiry"]
        from .state import iso

        now = store.now()
        return as_json({"now": iso(now), "epoch": now, "token_expiry": store.token_expiry})

    @app.route("/_emulator/faults", methods=["GET", "POST", "DELETE"])
    def faults():
        f = store.faults
        with store.lock:
            if request.method == "DELETE":
                f.clear()
            elif request.method == "POST":
                data = body()
                kinds = tuple(data.get("kinds") or ("graph",))
                if "replication_lag" in data:
                    f.replication_lag = data["replication_lag"] or None
                if "throttle" in data:
                    f.throttle = f.arm(dict(data["throttle"], kinds=kinds)) if data["throttle"] else None
                if "conflicts" in data:
                    f.conflicts = f.arm(dict(data["conflicts"], kinds=kinds)) if data["conflicts"] else None
                if "server_errors" in data:
                    f.server_errors = f.arm(dict(data["server_errors"], kinds=kinds)) if data["server_errors"] else None
                if "latency_ms" in data:
                    f.latency_ms = int(data["latency_ms"] or 0)
                    f.latency_kinds = kinds
                if "drop_connections" in data:
                    f.drop = f.arm(dict(data["drop_connections"], kinds=kinds)) if data["drop_connections"] else None
                if "token_propagation_delay" in data:
                    f.token_propagation_delay = float(data["token_propagation_delay"] or 0)
            return as_json(f.describe())

    @app.route("/_emulator/requests", methods=["GET", "DELETE"])
    def requests_log():
        if request.method == "DELETE":
            with store.lock:
                store.log = []
            return as_json({"cleared": True})
        return as_json(store.requests(request.args.get("tenant_id")))

    @app.get("/_emulator/tenants/<tenant_id>/state")
    def state(tenant_id):
        tenant_of(tenant_id)
        return as_json(store.snapshot(tenant_id))

    @app.post("/_emulator/tenants/<tenant_id>/admin/applications")
    def admin_add_application(tenant_id):
        with store.lock:
            obj, _made = model.create_application(tenant_of(tenant_id), body(), store.now())
        store.save()
        return as_json(model.public_view(obj), 201)

    @app.patch("/_emulator/tenants/<tenant_id>/admin/applications/<object_id>")
    def admin_patch_application(tenant_id, object_id):
        with store.lock:
            tenant = tenant_of(tenant_id)
            obj = tenant["applications"].get(object_id)
            if obj is None:
                raise GraphError(404, "Request_ResourceNotFound", f"Application '{object_id}' does not exist.")
            model.update_application(tenant, obj, body(), store.now())
        store.save()
        return as_json(model.public_view(obj))

    @app.delete("/_emulator/tenants/<tenant_id>/admin/<collection>/<object_id>")
    def admin_delete(tenant_id, collection, object_id):
        with store.lock:
            tenant = tenant_of(tenant_id)
            if collection not in COLLECTIONS or object_id not in tenant[collection]:
                raise GraphError(404, "Request_ResourceNotFound", f"{collection}/{object_id} does not exist.")
            if collection == "applications":
                model.delete_application(tenant, object_id)
            elif collection == "servicePrincipals":
                model.delete_service_principal(tenant, object_id)
            else:
                del tenant[collection][object_id]
        store.save()
        return Response(status=204)

    @app.put("/_emulator/tenants/<tenant_id>/policy")
    def set_policy(tenant_id):
        """Shorthand for the tenant default appManagementPolicy's passwordCredentials restrictions."""
        with store.lock:
            tenant = tenant_of(tenant_id)
            data = body()
            current = model.policy_summary(tenant)
            current.update({k: data[k] for k in ("password_max_lifetime_days", "password_addition") if k in data})
            model.set_default_policy(tenant, current["password_max_lifetime_days"], current["password_addition"])
            policy = model.policy_summary(tenant)
        store.save()
        return as_json(policy)

    @app.put("/_emulator/tenants/<tenant_id>/admin/default-app-management-policy")
    def put_default_policy(tenant_id):
        """Replace the tenant default policy with a body shaped as Graph documents it."""
        with store.lock:
            tenant = tenant_of(tenant_id)
            policy = dict(model.default_app_management_policy(), **body())
            policy["id"] = model.DEFAULT_POLICY_ID
            tenant["default_app_management_policy"] = policy
        store.save()
        return as_json(policy)

    @app.post("/_emulator/tenants/<tenant_id>/admin/app-management-policies")
    def add_app_policy(tenant_id):
        """An appManagementPolicy (``restrictions`` as Graph documents it, or the shorthand
        ``password_max_lifetime_days`` / ``password_addition``), assigned to ``applies_to`` app ids."""
        with store.lock:
            tenant = tenant_of(tenant_id)
            data = body()
            restrictions = (data.get("restrictions") or {}).get("passwordCredentials")
            if restrictions is None:
                restrictions = model.password_restrictions(data.get("password_max_lifetime_days"), data.get("password_addition", True))
            policy = model.new_app_management_policy(data.get("display_name") or "app policy", restrictions)
            policy["isEnabled"] = data.get("is_enabled", True)
            tenant.setdefault("app_management_policies", {})[policy["id"]] = policy
            for target in data.get("applies_to") or []:
                app_obj = tenant["applications"].get(target) or next((a for a in tenant["applications"].values() if a["appId"] == target), None)
                if app_obj is None:
                    raise GraphError(404, "Request_ResourceNotFound", f"applies_to: application '{target}' does not exist.")
                # "Only one policy object can be assigned to an application" (appManagementPolicy docs).
                tenant.setdefault("app_policy_assignments", {})[app_obj["id"]] = policy["id"]
        store.save()
        return as_json(policy, 201)
