# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection settings and credentials of the Graph modules: clouds, option checks, PEM loading.

For internal collection use only: the interface may change without notice.

Pure apart from reading a certificate file: every option is checked here, before any request,
and a bad one is a GraphConfigError naming the option and the expected shape, never its value
(a mistyped secret pasted into tenant_id must not be printed).
"""

from __future__ import annotations

import math
import os
import re

from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import GraphConfigError

# https://learn.microsoft.com/en-us/graph/deployments#microsoft-graph-and-graph-explorer-service-root-endpoints
CLOUDS = {
    "public": ("https://login.microsoftonline.com", "https://graph.microsoft.com"),
    "usgovernment": ("https://login.microsoftonline.us", "https://graph.microsoft.us"),
    "usgovernment_dod": ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
    "china": ("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
}
# AZURE_CLOUD_ENVIRONMENT as azure.azcollection (and AWX's Azure credential) spell it
# (msrestazure cloud names); AzureGermanCloud was retired in 2021 and has no Graph host any more.
AZURE_CLOUD_ENVIRONMENTS = {"azurecloud": "public", "azurepubliccloud": "public", "azureusgovernment": "usgovernment", "azurechinacloud": "china"}
MICROSOFT_LOGIN_HOSTS = {"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn", "login.windows.net"}

DEFAULT_TOKEN_CACHE_DIR = os.path.join("~", ".ansible", "procall_msteams", "token_cache")
DISABLED_VALUES = ("", "false", "no", "off", "none", "0", "disabled")
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRY_WAIT = 120.0
# A request may wait at most an hour, a task at most a day for retries: larger values are typos.
MAX_TIMEOUT = 3600.0
MAX_RETRY_WAIT = 86400.0

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


def is_guid(value):
    return isinstance(value, str) and bool(GUID_RE.match(value))


def validate_guid(value, option, what="an object id"):
    """Ids that go into URLs must be GUIDs (a value like ``?$top=1`` would change the request)."""
    if not is_guid(value):
        raise GraphConfigError("%s must be %s in GUID form (8-4-4-4-12 hexadecimal digits); the value given is not" % (option, what))
    return value


def validate_tenant_id(value):
    if not value or not isinstance(value, str) or not (GUID_RE.match(value) or DOMAIN_RE.match(value)):
        raise GraphConfigError(
            "tenant_id is neither a GUID nor a domain name: set tenant_id (or AZURE_TENANT_ID) to the Directory (tenant) ID shown in the Entra admin center"
        )


def validate_client_id(value, option="client_id"):
    if not is_guid(value):
        raise GraphConfigError(
            "%s is not a GUID (8-4-4-4-12 hexadecimal digits): set %s (or AZURE_CLIENT_ID) to the Application (client) ID of the automation identity"
            % (option, option)
        )


def number_option(params, option, default, low, high, low_inclusive=False):
    """A float option within ``(low, high]`` (``[low, high]`` when ``low_inclusive``)."""
    value = params.get(option)
    if value is None:
        return default
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise GraphConfigError("%s must be a number of seconds" % option) from None
    too_low = value < low if low_inclusive else value <= low
    if math.isnan(value) or too_low or value > high:
        bound = "at least %g" % low if low_inclusive else "more than %g" % low
        raise GraphConfigError("%s must be %s and at most %g seconds" % (option, bound, high))
    return value


def cloud_from_environment(environ=None):
    """The ``cloud`` an environment asks for: AZURE_CLOUD, else AZURE_CLOUD_ENVIRONMENT; empty means unset.

    AWX injects every field of a credential, also empty ones (``AZURE_CLOUD=''``), so an empty
    value must count as unset. Returns None when neither is set; an unknown value is returned
    as given so that the option check names it.
    """
    environ = os.environ if environ is None else environ
    cloud = (environ.get("AZURE_CLOUD") or "").strip()
    if cloud:
        return cloud
    azure_env = (environ.get("AZURE_CLOUD_ENVIRONMENT") or "").strip()
    if azure_env:
        return AZURE_CLOUD_ENVIRONMENTS.get(azure_env.lower(), azure_env)
    return None


# The credential kinds of the automation identity and the options that give each; exactly one kind
# may be given as options (module args or module_defaults), environment variables fill in only
# when none is.
CREDENTIAL_OPTIONS = (
    ("access_token", ("access_token",)),
    ("managed_identity", ("managed_identity", "managed_identity_client_id")),
    ("certificate", ("certificate", "certificate_path", "certificate_password")),
    ("client_secret", ("client_secret",)),
    ("federated_token_file", ("federated_token_file",)),
)
# The assertion audience Entra expects from an external issuer (workload identity federation):
# https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-create-trust
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"


def _given(value):
    return value is not None and not (isinstance(value, str) and value.strip() == "")


def credential_kinds(params):
    """The credential kinds these options give, in precedence order (``managed_identity: none`` gives none)."""
    kinds = []
    for kind, options in CREDENTIAL_OPTIONS:
        if kind == "managed_identity":
            if (params.get("managed_identity") or "none") != "none":
                kinds.append(kind)
        elif kind == "certificate":
            if _given(params.get("certificate")) or _given(params.get("certificate_path")):
                kinds.append(kind)
        elif any(_given(params.get(option)) for option in options):
            kinds.append(kind)
    return kinds


def keep_explicit_credential(explicit_params, params):
    """``params`` with only the credential kind the user gave as an option.

    ``explicit_params`` are the module arguments before environment fallbacks. Two kinds there
    are a GraphConfigError naming them; one kind wins over credentials that only the
    environment supplies (AZURE_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE ...); with none the
    environment's credentials follow the documented precedence.
    """
    explicit = credential_kinds(explicit_params)
    if len(explicit) > 1:
        raise GraphConfigError(
            "Give exactly one credential for Microsoft Graph; these options give %s: keep one of them "
            "(client_secret, certificate/certificate_path, federated_token_file, managed_identity or access_token)" % " and ".join(explicit)
        )
    if not explicit:
        return params
    kept = dict(params)
    for kind, options in CREDENTIAL_OPTIONS:
        if kind != explicit[0]:
            for option in options:
                if option in kept:
                    kept[option] = "none" if option == "managed_identity" else None
    return kept


def _strip_slash(url):
    return url.rstrip("/") if url else url


def host_of(url):
    return url.split("://", 1)[-1].split("/", 1)[0].lower()


class GraphSettings:
    """Connection settings resolved from module params (validated before any request)."""

    def __init__(self, params):
        p = dict(params)
        self.cloud = p.get("cloud") or "public"
        if self.cloud not in CLOUDS:
            raise GraphConfigError(
                "cloud must be one of %s (or AZURE_CLOUD_ENVIRONMENT one of AzureCloud, AzureUSGovernment, AzureChinaCloud)" % ", ".join(CLOUDS)
            )
        login, graph = CLOUDS[self.cloud]
        self.login_endpoint = _strip_slash(p.get("login_endpoint") or login)
        self.graph_endpoint = _strip_slash(p.get("graph_endpoint") or graph)
        for option in ("login_endpoint", "graph_endpoint"):
            if not getattr(self, option).startswith("https://"):
                # msal refuses http:// authorities; Graph is HTTPS only.
                raise GraphConfigError("%s must be an https:// URL" % option)
        self.tenant_id = p.get("tenant_id") or None
        self.client_id = p.get("client_id") or None
        self.client_secret = p.get("client_secret") or None
        self.certificate = p.get("certificate") or None
        self.certificate_path = p.get("certificate_path") or None
        self.certificate_password = p.get("certificate_password") or None
        self.managed_identity = p.get("managed_identity") or "none"
        self.managed_identity_client_id = p.get("managed_identity_client_id") or None
        self.access_token = p.get("access_token") or None
        self.federated_token_file = p.get("federated_token_file") or None
        self.ca_path = p.get("ca_path") or None
        self.validate_certs = p.get("validate_certs", True) is not False
        self.timeout = number_option(p, "timeout", DEFAULT_TIMEOUT, 0, MAX_TIMEOUT)
        self.max_retry_wait = number_option(p, "max_retry_wait", DEFAULT_MAX_RETRY_WAIT, 0, MAX_RETRY_WAIT, low_inclusive=True)
        cache = p.get("token_cache_path")
        if cache is None:
            cache = DEFAULT_TOKEN_CACHE_DIR
        self.token_cache_path = None if str(cache).strip().lower() in DISABLED_VALUES else os.path.expanduser(str(cache))

        # Precedence (env fallbacks make options appear that the user did not write, so they
        # cannot be mutually exclusive in the argspec; GraphModule refuses two kinds given as
        # options): token, managed identity, certificate, secret, federated token file.
        if self.access_token:
            self.auth = "access_token"
        elif self.managed_identity != "none":
            self.auth = "managed_identity"
            if self.managed_identity == "user":
                validate_client_id(self.managed_identity_client_id, "managed_identity_client_id")
        elif self.certificate or self.certificate_path:
            self.auth = "certificate"
        elif self.client_secret:
            self.auth = "client_secret"
        elif self.federated_token_file:
            self.auth = "federated"
            self.federated_token_file = os.path.expanduser(self.federated_token_file)
            # The token file rotates (about hourly on Kubernetes): no stable key to encrypt a file
            # cache with, so msal's in-memory cache of the task is all there is.
            self.token_cache_path = None
        else:
            raise GraphConfigError(
                "No credential for Microsoft Graph: set client_secret, certificate_path or certificate, federated_token_file, managed_identity, "
                "or access_token (or the AZURE_CLIENT_SECRET / AZURE_FEDERATED_TOKEN_FILE / AZURE_ACCESS_TOKEN environment variables)"
            )
        if self.auth in ("client_secret", "certificate", "federated"):
            validate_tenant_id(self.tenant_id)
            validate_client_id(self.client_id)
        elif self.tenant_id:
            validate_tenant_id(self.tenant_id)
        if self.ca_path:
            self.ca_path = os.path.expanduser(self.ca_path)
            if not os.path.isfile(self.ca_path):
                raise GraphConfigError(
                    "ca_path %s is not a readable file: point it at a PEM bundle of the CA that issued the Graph/login certificates" % self.ca_path
                )

    @property
    def verify(self):
        if not self.validate_certs:
            return False
        return self.ca_path or True

    @property
    def authority(self):
        return "%s/%s" % (self.login_endpoint, self.tenant_id)

    @property
    def scope(self):
        return "%s/.default" % self.graph_endpoint

    @property
    def graph_host(self):
        return host_of(self.graph_endpoint)

    @property
    def instance_discovery(self):
        # msal asks login.microsoftonline.com which hosts are valid; a non-Microsoft host (the
        # emulator, a proxy) must skip that or msal calls out to the public cloud.
        return host_of(self.login_endpoint).split(":", 1)[0] in MICROSOFT_LOGIN_HOSTS

    def key_material(self):
        """What identifies (and encrypts the token cache of) this credential."""
        secret = self.client_secret if self.auth == "client_secret" else self.certificate_parts()[0]
        return "\n".join([self.login_endpoint, str(self.tenant_id), str(self.client_id), self.graph_endpoint, self.auth, secret])

    def read_federated_token(self):
        """The federated token (an OIDC JWT from the workload's issuer), read anew for each token request.

        msal calls this for every request it sends, so a token file that the platform rotates
        is picked up. The error names the file, never its content.
        """
        path = self.federated_token_file
        try:
            with open(path, encoding="utf-8") as handle:
                token = handle.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise GraphConfigError(
                "federated_token_file %s cannot be read (%s): point it at the projected service account token file "
                "(AZURE_FEDERATED_TOKEN_FILE on Kubernetes with workload identity)" % (path, reason)
            ) from None
        if token.count(".") != 2:
            raise GraphConfigError("federated_token_file %s holds no JWT (header.payload.signature): point it at the projected token file" % path)
        return token

    def certificate_parts(self):
        if not hasattr(self, "_certificate_parts"):
            self._certificate_parts = self.load_certificate()
        return self._certificate_parts

    def load_certificate(self):
        """``(private_key_pem, thumbprint_hex, certificate_pem)`` from the PEM content or file."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization

        if self.certificate:
            data = self.certificate.encode("utf-8") if isinstance(self.certificate, str) else self.certificate
            source = "certificate"
        else:
            path = os.path.expanduser(self.certificate_path)
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                raise GraphConfigError(
                    "certificate_path %s cannot be read (%s): point it at a PEM file holding the certificate and its private key" % (path, exc.strerror)
                ) from None
            source = "certificate_path %s" % path
        password = self.certificate_password.encode("utf-8") if self.certificate_password else None
        try:
            key = serialization.load_pem_private_key(_pem_block(data, b"PRIVATE KEY"), password=password)
        except (ValueError, TypeError) as exc:
            raise GraphConfigError(
                "%s holds no usable private key (%s): give a PEM with the certificate and its private key, and certificate_password if the key is encrypted"
                % (source, str(exc).split("\n", maxsplit=1)[0])
            ) from None
        try:
            cert = x509.load_pem_x509_certificate(_pem_block(data, b"CERTIFICATE"))
        except ValueError:
            raise GraphConfigError("%s holds no PEM certificate: give a PEM with the certificate and its private key" % source) from None
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode("ascii")
        thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - the thumbprint Entra registers is SHA-1
        cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        return key_pem, thumbprint, cert_pem


def _pem_block(data, kind):
    match = re.search(rb"-----BEGIN ([A-Z ]*)" + kind + rb"-----.*?-----END \1" + kind + rb"-----", data, re.S)
    if not match:
        raise ValueError("no %s block" % kind.decode())
    return match.group(0)
