# -*- coding: utf-8 -*-
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one mapping from inventory variables to the Graph modules' auth and connection options.

For internal collection use only; the interface may change without notice.

Every playbook sets ``module_defaults`` for ``group/procall.msteams.graph`` from this table
(through the ``procall.msteams.run_graph_auth`` lookup), so each option documented in the
``procall.msteams.auth`` doc fragment is reachable from the inventory, and a new option needs
one new line here (a unit test compares this table with the doc fragment).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# (module option, inventory variable). Credentials of the automation identity are
# msteams_auth_*, where and how to reach Graph is msteams_graph_*; the tenant is the tenant
# group's msteams_tenant_id, which the playbooks also write to msteams.cfg.
AUTH_VARIABLES = (
    ("tenant_id", "msteams_tenant_id"),
    ("client_id", "msteams_auth_client_id"),
    ("client_secret", "msteams_auth_client_secret"),
    ("certificate_path", "msteams_auth_certificate_path"),
    ("certificate", "msteams_auth_certificate"),
    ("certificate_password", "msteams_auth_certificate_password"),
    ("managed_identity", "msteams_auth_managed_identity"),
    ("managed_identity_client_id", "msteams_auth_managed_identity_client_id"),
    ("access_token", "msteams_auth_access_token"),
    ("federated_token_file", "msteams_auth_federated_token_file"),
    ("cloud", "msteams_graph_cloud"),
    ("login_endpoint", "msteams_graph_login_endpoint"),
    ("graph_endpoint", "msteams_graph_endpoint"),
    ("ca_path", "msteams_graph_ca_path"),
    ("validate_certs", "msteams_graph_validate_certs"),
    ("timeout", "msteams_graph_timeout"),
    ("max_retry_wait", "msteams_graph_max_retry_wait"),
    ("token_cache_path", "msteams_graph_token_cache_path"),
)


def auth_variable_names():
    """The inventory variables the mapping reads, in table order."""
    return [variable for _option, variable in AUTH_VARIABLES]


def graph_auth_options(variables):
    """Module options from the (already templated) inventory variables of one host.

    A variable that is undefined or None is left out, so the module's own default and its
    environment fallbacks (``AZURE_CLIENT_ID`` ...) apply. Nothing is turned into ``''`` on the
    way, which ``default(omit)`` templates did for None before ansible-core 2.19. An empty
    string is kept: it means something for some options (``token_cache_path: ''`` disables the
    cache).
    """
    options = {}
    for option, variable in AUTH_VARIABLES:
        value = variables.get(variable)
        if value is not None:
            options[option] = value
    return options
