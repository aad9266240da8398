"""The one mapping of inventory variables to the Graph auth options."""

import yaml
from ansible_collections.procall.msteams.plugins.doc_fragments.auth import ModuleDocFragment
from ansible_collections.procall.msteams.plugins.module_utils import _run_auth as auth


def documented_options():
    return set(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])


def test_every_documented_auth_option_is_reachable_from_the_inventory():
    mapped = {option for option, _variable in auth.AUTH_VARIABLES}
    assert mapped == documented_options(), "map each option of plugins/doc_fragments/auth.py to an inventory variable"


def test_each_variable_maps_one_option():
    variables = auth.auth_variable_names()
    assert len(variables) == len(set(variables))
    assert all(v.startswith(("msteams_auth_", "msteams_graph_")) or v == "msteams_tenant_id" for v in variables)


def test_user_assigned_managed_identity_reaches_the_module():
    options = auth.graph_auth_options(
        {"msteams_tenant_id": "t", "msteams_auth_managed_identity": "user", "msteams_auth_managed_identity_client_id": "mi-client"}
    )
    assert options == {"tenant_id": "t", "managed_identity": "user", "managed_identity_client_id": "mi-client"}


def test_unset_and_null_variables_are_left_out_not_rendered_empty():
    options = auth.graph_auth_options({"msteams_auth_client_id": None, "msteams_graph_timeout": 60, "other": "x"})
    assert options == {"timeout": 60}


def test_false_and_empty_values_are_kept():
    options = auth.graph_auth_options({"msteams_graph_validate_certs": False, "msteams_graph_token_cache_path": ""})
    assert options == {"validate_certs": False, "token_cache_path": ""}


def test_the_federated_token_file_reaches_the_module():
    options = auth.graph_auth_options(
        {"msteams_auth_client_id": "c", "msteams_auth_federated_token_file": "/var/run/secrets/azure/tokens/azure-identity-token"}
    )
    assert options == {"client_id": "c", "federated_token_file": "/var/run/secrets/azure/tokens/azure-identity-token"}
