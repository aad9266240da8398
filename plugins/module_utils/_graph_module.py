# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Base class of the Graph modules: the shared auth argspec and a lazily built client.

For internal collection use only: the interface may change without notice.
The options are documented once in ``plugins/doc_fragments/auth.py``; keep both in step.
"""

from __future__ import annotations

import contextlib
import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.procall.msteams.plugins.module_utils._graph_client import (
    HAS_MSAL,
    HAS_REQUESTS,
    MSAL_IMPORT_ERROR,
    REQUESTS_IMPORT_ERROR,
    GraphClient,
    GraphError,
)

AUTH_ARGSPEC = dict(
    tenant_id=dict(type="str", fallback=(env_fallback, ["AZURE_TENANT_ID", "AZURE_TENANT"])),
    client_id=dict(type="str", fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
    client_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_CLIENT_SECRET", "AZURE_SECRET"])),
    certificate_path=dict(type="path", fallback=(env_fallback, ["AZURE_CLIENT_CERTIFICATE_PATH"])),
    certificate=dict(type="str", no_log=True),
    certificate_password=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_CLIENT_CERTIFICATE_PASSWORD"])),
    managed_identity=dict(type="str", default="none", choices=["none", "system", "user"]),
    managed_identity_client_id=dict(type="str"),
    access_token=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_ACCESS_TOKEN"])),
    cloud=dict(type="str", default="public", choices=["public", "usgovernment", "usgovernment_dod", "china"], fallback=(env_fallback, ["AZURE_CLOUD"])),
    login_endpoint=dict(type="str"),
    graph_endpoint=dict(type="str"),
    ca_path=dict(type="path", fallback=(env_fallback, ["AZURE_CA_BUNDLE"])),
    validate_certs=dict(type="bool", default=True),
    timeout=dict(type="float", default=30),
    max_retry_wait=dict(type="float", default=120),
    token_cache_path=dict(type="str", no_log=False),
)


class GraphModule(AnsibleModule):
    """An AnsibleModule with the Graph auth options merged in and ``.client`` built on first use."""

    def __init__(self, argument_spec=None, **kwargs):
        spec = dict(AUTH_ARGSPEC)
        spec.update(argument_spec or {})
        kwargs.setdefault("required_if", [])
        kwargs["required_if"] = list(kwargs["required_if"]) + [("managed_identity", "user", ("managed_identity_client_id",))]
        super().__init__(argument_spec=spec, **kwargs)
        self._client = None

    @classmethod
    def generate_argspec(cls, **kwargs):
        spec = dict(AUTH_ARGSPEC)
        spec.update(kwargs)
        return spec

    @property
    def client(self):
        if self._client is None:
            if not HAS_REQUESTS:
                self.fail_json(msg=missing_required_lib("requests"), exception="".join(traceback.format_exception_only(REQUESTS_IMPORT_ERROR)))
            if not HAS_MSAL and self.params.get("access_token") is None:
                self.fail_json(msg=missing_required_lib("msal"), exception="".join(traceback.format_exception_only(MSAL_IMPORT_ERROR)))
            try:
                self._client = GraphClient(self.params, warn=self.warn)
            except GraphError as exc:
                self.fail_graph(exc)
            if self.params.get("validate_certs") is False:
                # One clear warning instead of urllib3's InsecureRequestWarning on every request.
                self.warn("validate_certs=false: TLS certificates of the login and Graph hosts are not verified; use ca_path instead outside tests.")
                with contextlib.suppress(ImportError):
                    import urllib3

                    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        return self._client

    def run_and_exit(self, run, failures=()):
        """Run a module body ``run(module) -> result`` and exit with its result.

        Graph errors and the module's own ``failures`` (exceptions whose text is one sentence
        for the user, never a secret) become a failed result; ``diff`` is kept only with --diff.
        """
        try:
            result = run(self)
        except GraphError as exc:
            self.fail_graph(exc)
        except failures as exc:
            self.fail_json(msg=str(exc))
        if not self._diff:
            result.pop("diff", None)
        self.exit_json(**result)

    def fail_graph(self, error, **kwargs):
        """Fail with the error's one sentence and its code / request-id (never a secret)."""
        result = dict(kwargs)
        result.setdefault("error", error.to_dict())
        self.fail_json(msg=str(error), **result)
