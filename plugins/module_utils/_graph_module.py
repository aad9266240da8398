# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Base class of the Graph modules: the shared auth argspec and a lazily built client.

Every result of a module that used Graph carries ``graph_retries`` when a call was retried
(exit and failure alike); retries warn only as ``_graph_transport.retry_report`` decides.

For internal collection use only: the interface may change without notice.
The options are documented once in ``plugins/doc_fragments/auth.py``; keep both in step.
"""

from __future__ import annotations

import contextlib
import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.errors import AnsibleFallbackNotFound
from ansible_collections.procall.msteams.plugins.module_utils._graph_client import (
    HAS_MSAL,
    HAS_REQUESTS,
    MSAL_IMPORT_ERROR,
    REQUESTS_IMPORT_ERROR,
    GraphClient,
    GraphError,
)
from ansible_collections.procall.msteams.plugins.module_utils._graph_settings import CLOUDS, cloud_from_environment, keep_explicit_credential, validate_guid


def env_fallback(*names):
    """The first of these environment variables that is set and not empty.

    AWX and Automation Platform inject every field of a credential, also the empty ones
    (``AZURE_CLOUD=''``, ``AZURE_CLIENT_CERTIFICATE_PASSWORD=''``): empty means unset.
    """
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip() != "":
            return value
    raise AnsibleFallbackNotFound


def cloud_fallback():
    """``cloud`` from AZURE_CLOUD, else from AZURE_CLOUD_ENVIRONMENT as azure.azcollection spells it."""
    value = cloud_from_environment()
    if value is None:
        raise AnsibleFallbackNotFound
    return value


def _module_args():
    """The module arguments as given (module_defaults included), before environment fallbacks."""
    from ansible.module_utils import basic

    try:
        return dict(basic._load_params())  # cached by AnsibleModule: no second read of stdin
    except Exception:  # noqa: BLE001 - without the raw arguments the documented precedence applies
        return {}


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
    # As azure-identity's WorkloadIdentityCredential reads it (with AZURE_CLIENT_ID and AZURE_TENANT_ID).
    federated_token_file=dict(type="path", fallback=(env_fallback, ["AZURE_FEDERATED_TOKEN_FILE"])),
    cloud=dict(type="str", default="public", choices=list(CLOUDS), fallback=(cloud_fallback, [])),
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
        try:
            # Exactly one credential kind as options; environment fallbacks only fill in when none is given.
            self.params = keep_explicit_credential(_module_args(), self.params)
        except GraphError as exc:
            self.fail_graph(exc)
        if self.params.get("object_id"):
            # An id that goes into a URL must be a GUID (``?$top=1`` would change the request).
            try:
                validate_guid(self.params["object_id"], "object_id", "the application's object id")
            except GraphError as exc:
                self.fail_graph(exc)

    @property
    def client(self):
        if self._client is None:
            if not HAS_REQUESTS:
                self.fail_json(msg=missing_required_lib("requests"), exception="".join(traceback.format_exception_only(REQUESTS_IMPORT_ERROR)))
            if not HAS_MSAL and self.params.get("access_token") is None:
                self.fail_json(msg=missing_required_lib("msal"), exception="".join(traceback.format_exception_only(MSAL_IMPORT_ERROR)))
            try:
                self._client = GraphClient(self.params)
            except GraphError as exc:
                self.fail_graph(exc)
            if self.params.get("validate_certs") is False:
                # One clear warning instead of urllib3's InsecureRequestWarning on every request.
                self.warn("validate_certs=false: TLS certificates of the login and Graph hosts are not verified; use ca_path instead outside tests.")
                with contextlib.suppress(ImportError):
                    import urllib3

                    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        return self._client

    def _add_retries(self, result, failed):
        """``graph_retries`` (one line per retry, shown with -v) and, only when they used much of
        max_retry_wait, one warning: the decision is ``_graph_transport.retry_report``'s."""
        if self._client is None:
            return
        report = self._client.retry_report(failed=failed)
        if report["graph_retries"]:
            result.setdefault("graph_retries", report["graph_retries"])
        if report["warning"]:
            self.warn(report["warning"])

    def exit_json(self, **kwargs):
        self._add_retries(kwargs, failed=bool(kwargs.get("failed")))
        super().exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):
        self._add_retries(kwargs, failed=True)
        super().fail_json(msg, **kwargs)

    def run_and_exit(self, run, failures=()):
        """Run a module body ``run(module) -> result`` and exit with its result: the one way every module ends.

        Graph errors and the module's own ``failures`` (exceptions whose text is one sentence
        for the user, never a secret) become a failed result whose msg is never empty;
        ``diff`` is kept only with --diff.
        """
        try:
            result = run(self)
        except GraphError as exc:
            self.fail_graph(exc)
        except failures as exc:
            self.fail_json(msg=str(exc) or "%s failed without a reason (a bug: please report it)" % type(exc).__name__)
        if not self._diff:
            result.pop("diff", None)
        self.exit_json(**result)

    def fail_graph(self, error, **kwargs):
        """Fail with the error's one sentence and its code / request-id (never a secret)."""
        result = dict(kwargs)
        result.setdefault("error", error.to_dict())
        self.fail_json(msg=str(error) or "Could not %s." % error.action, **result)
