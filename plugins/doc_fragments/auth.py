# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Microsoft Graph connection and auth options shared by every Graph module."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  tenant_id:
    description:
      - The Directory (tenant) ID to work in, a GUID or a verified domain name of the tenant.
      - If not set, the environment variable E(AZURE_TENANT_ID) or E(AZURE_TENANT) is used.
      - Required for O(client_secret) and certificate auth; checked before any request is made.
    type: str
  client_id:
    description:
      - The Application (client) ID of the automation identity, the app the modules sign in as.
      - If not set, the environment variable E(AZURE_CLIENT_ID) is used.
    type: str
  client_secret:
    description:
      - A client secret of the automation identity.
      - If not set, the environment variable E(AZURE_CLIENT_SECRET) or E(AZURE_SECRET) is used.
      - Never logged; it is also the key that encrypts the token cache (see O(token_cache_path)).
    type: str
  certificate_path:
    description:
      - Path of a PEM file holding the automation identity's certificate and its private key.
      - If not set, the environment variable E(AZURE_CLIENT_CERTIFICATE_PATH) is used.
    type: path
  certificate:
    description:
      - The same PEM content (certificate and private key) as a string, for example from a vault.
      - Takes precedence over O(certificate_path). Never logged.
    type: str
  certificate_password:
    description:
      - Password of an encrypted private key in O(certificate) or O(certificate_path).
      - If not set, the environment variable E(AZURE_CLIENT_CERTIFICATE_PASSWORD) is used.
    type: str
  federated_token_file:
    description:
      - Path of a file holding a token of an external identity provider that the automation identity trusts
        through a federated identity credential (workload identity federation), for example the projected
        service account token of a Kubernetes or OpenShift pod running AWX or Automation Platform jobs, or a CI
        system's OIDC token. No secret or certificate of the automation identity is needed.
      - The token is sent to Entra ID as client assertion and the file is read again for each token request,
        so a token the platform rotates is picked up. Its issuer, subject and the audience
        C(api://AzureADTokenExchange) must match a federated identity credential of the automation identity.
      - Needs O(tenant_id) and O(client_id).
      - If not set, the environment variable E(AZURE_FEDERATED_TOKEN_FILE) is used, together with E(AZURE_CLIENT_ID)
        and E(AZURE_TENANT_ID) as the Azure workload identity webhook sets them and azure-identity reads them.
      - The token cache (O(token_cache_path)) is not used with it (the token changes, so there is no stable key to
        encrypt the cache with); each task makes one token request.
      - Neither the file's content nor the token appears in output or errors.
    type: path
  managed_identity:
    description:
      - Sign in with the managed identity of the Azure host the controller runs on.
      - V(system) uses the system-assigned identity, V(user) a user-assigned one named by O(managed_identity_client_id).
      - Needs msal 1.29 or later.
    type: str
    choices: [none, system, user]
    default: none
  managed_identity_client_id:
    description:
      - Client ID of the user-assigned managed identity, with O(managed_identity=user).
    type: str
  access_token:
    description:
      - A ready Microsoft Graph access token (for example from C(az account get-access-token --resource-type ms-graph)).
      - If not set, the environment variable E(AZURE_ACCESS_TOKEN) is used. Never logged, never cached.
    type: str
  cloud:
    description:
      - The Microsoft cloud, which sets the login and Graph hosts.
      - V(public) is login.microsoftonline.com and graph.microsoft.com (also GCC);
        V(usgovernment) is login.microsoftonline.us and graph.microsoft.us (GCC High);
        V(usgovernment_dod) is login.microsoftonline.us and dod-graph.microsoft.us;
        V(china) is login.chinacloudapi.cn and microsoftgraph.chinacloudapi.cn.
      - If not set, the environment variable E(AZURE_CLOUD) is used, else E(AZURE_CLOUD_ENVIRONMENT) as azure.azcollection
        and AWX's Azure credential spell it (V(AzureCloud), V(AzureUSGovernment), V(AzureChinaCloud)).
    type: str
    choices: [public, usgovernment, usgovernment_dod, china]
    default: public
  login_endpoint:
    description:
      - Base URL of the login host, overriding O(cloud) (for example a test emulator). Must be C(https://).
    type: str
  graph_endpoint:
    description:
      - Base URL of the Graph host (without C(/v1.0)), overriding O(cloud). Must be C(https://).
    type: str
  ca_path:
    description:
      - PEM bundle of the CA(s) to trust for the login and Graph hosts (a TLS-inspecting proxy, a test emulator).
      - Passed on every request, so it holds even when E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) is set,
        which otherwise replace the CA setting of the Python requests library.
      - If not set, the environment variable E(AZURE_CA_BUNDLE) is used; else the system/requests default bundle.
    type: path
  validate_certs:
    description:
      - Whether to verify TLS certificates. Only turn this off for tests.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each HTTP request; more than 0 and at most 3600.
    type: float
    default: 30
  max_retry_wait:
    description:
      - Upper bound, in seconds, on the total time one task waits between retries (a request that hung until
        O(timeout) before it is retried counts too); from 0 to 86400. Only this time bounds the retries, there is
        no attempt count.
      - Every wait counts against it - throttling (429, honouring C(Retry-After)), transient 5xx and 409 answers and
        dropped connections (for every method, also token requests), reads of an object the task just created that
        Graph has not replicated yet, a lookup of an app that is not listed yet, and a new secret the token service
        does not accept yet.
      - A failed call waits a random share of 1, 2, 4, then 8 seconds before each new attempt (exponential
        backoff with full jitter), so retries neither fall into step with a fault that recurs at a fixed interval nor
        reach Graph from many hosts at the same moment.
      - Each retry is one line of the result's C(graph_retries) (call, reason, seconds waited; shown with C(-v)), not a
        warning. A task warns only when its retries used half of O(max_retry_wait) or more.
      - A create whose answer may have been lost is retried safely - the app is looked up by its name, a secret by
        its display name and start time, an existing service principal or grant is read back.
      - When the time is used up the task fails with one sentence naming the call and the time waited; running it
        again is safe.
    type: float
    default: 120
  token_cache_path:
    description:
      - Directory of the shared token cache, so tasks and parallel hosts of a run reuse one token per credential
        instead of asking the token service each time.
      - Each credential gets its own file, mode 0600, guarded by a file lock and encrypted with a key derived from
        the credential (client secret or certificate key), so the file holds no token or secret in clear and only a
        holder of the credential can read it.
      - Defaults to C(~/.ansible/procall_msteams/token_cache). Set to V(false) (or an empty string) to disable caching.
      - Not used with O(access_token) or O(managed_identity).
      - The directory must belong to the user running Ansible; a file of another user or a symlink is an error.
        Files no credential used for two days (for example of a rotated secret) are removed.
    type: str
notes:
  - Give exactly one credential as options (task arguments or C(module_defaults)) - O(client_secret),
    O(certificate)/O(certificate_path), O(federated_token_file), O(managed_identity) or O(access_token); two of
    them are an error naming both. A credential given as an option wins over credentials that only environment
    variables supply.
  - When no credential is given as an option, the environment's are taken in the order E(AZURE_ACCESS_TOKEN),
    E(AZURE_CLIENT_CERTIFICATE_PATH), E(AZURE_CLIENT_SECRET), then E(AZURE_FEDERATED_TOKEN_FILE) (as azure-identity
    prefers a configured secret or certificate over workload identity).
  - Proxies are taken from the usual E(HTTPS_PROXY) and E(NO_PROXY) environment variables.
  - An environment variable that is set but empty counts as unset (AWX injects empty credential fields).
  - Options that are malformed are an error naming the option and the expected shape, before any request;
    the value itself is never printed.
  - All Graph modules are in the action group C(procall.msteams.graph), so the options can be set once with
    C(module_defaults) and C(group/procall.msteams.graph).
  - Secrets (O(client_secret), O(certificate), O(certificate_password), O(access_token)) are marked C(no_log)
    and never appear in results, warnings or errors.
requirements:
  - msal >= 1.29
  - requests >= 2.25
  - urllib3 >= 1.26.5 (1.26 and 2.x)
  - cryptography >= 36
"""
