# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: run_graph_auth
author:
  - procall.msteams contributors (@procall-msteams)
version_added: 0.1.0
short_description: The Graph auth and connection options of the current host, from its inventory variables
description:
  - Returns a dictionary of the auth and connection options of the C(procall.msteams.graph) action group
    (the C(procall.msteams.auth) documentation fragment) built from the host's inventory variables,
    C(msteams_tenant_id), C(msteams_auth_*) for the automation identity's credentials and C(msteams_graph_*) for where
    and how Graph is reached. The playbooks use it as C(module_defaults) for C(group/procall.msteams.graph).
  - A variable that is not set (or null) is left out, so the modules' defaults and environment fallbacks apply.
  - The variables read are C(msteams_tenant_id), C(msteams_auth_client_id), C(msteams_auth_client_secret),
    C(msteams_auth_certificate_path), C(msteams_auth_certificate), C(msteams_auth_certificate_password),
    C(msteams_auth_managed_identity), C(msteams_auth_managed_identity_client_id), C(msteams_auth_access_token),
    C(msteams_auth_federated_token_file), C(msteams_graph_cloud), C(msteams_graph_login_endpoint), C(msteams_graph_endpoint), C(msteams_graph_ca_path),
    C(msteams_graph_validate_certs), C(msteams_graph_timeout), C(msteams_graph_max_retry_wait),
    C(msteams_graph_token_cache_path).
notes:
  - The result holds secrets (client secret, certificate, access token); use it only where Ansible treats them as
    module options, such as C(module_defaults), never in C(debug) output.
"""

EXAMPLES = r"""
- name: Graph tasks with the credentials of each host's tenant
  hosts: ucservers
  gather_facts: false
  module_defaults:
    group/procall.msteams.graph: "{{ lookup('procall.msteams.run_graph_auth') }}"
  tasks:
    - name: Read the app registration
      procall.msteams.entra_app_info:
        unique_name: procall-msteams
      delegate_to: localhost
"""

RETURN = r"""
_raw:
  description: One dictionary of module options (for example C(tenant_id), C(client_id), C(client_secret), C(graph_endpoint)).
  type: list
  elements: dict
"""

# validate-modules wants the imports below the documentation.
from ansible.plugins.lookup import LookupBase  # noqa: E402
from ansible_collections.procall.msteams.plugins.module_utils._run_auth import auth_variable_names, graph_auth_options  # noqa: E402


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        # Inventory values may be templates themselves ("{{ vault_contoso_secret }}"): render
        # each set variable, as the builtin vars lookup does.
        present = {name: self._templar.template(variables[name]) for name in auth_variable_names() if name in variables}
        return [graph_auth_options(present)]
