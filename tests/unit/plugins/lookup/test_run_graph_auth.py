"""The run_graph_auth lookup: the host's variables, templated, through the one mapping."""

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:  # ansible-core 2.19+: only strings from trusted sources (the inventory) are templates
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19: every string is

    def trust_as_template(value):
        return value


from ansible_collections.procall.msteams.plugins.lookup.run_graph_auth import LookupModule


def run(variables):
    loader = DataLoader()
    templar = Templar(loader=loader, variables=variables)
    return LookupModule(loader=loader, templar=templar).run([], variables=variables)


def test_templated_variables_become_module_options():
    variables = {
        "vault_secret": "s3cr3t-value",
        "msteams_tenant_id": "contoso.example",
        "msteams_auth_client_id": "client",
        "msteams_auth_client_secret": trust_as_template("{{ vault_secret }}"),
        "msteams_auth_managed_identity_client_id": "mi",
        "msteams_graph_validate_certs": False,
        "unrelated": "x",
    }
    assert run(variables) == [
        {
            "tenant_id": "contoso.example",
            "client_id": "client",
            "client_secret": "s3cr3t-value",
            "managed_identity_client_id": "mi",
            "validate_certs": False,
        }
    ]


def test_null_and_unset_variables_are_left_out():
    assert run({"msteams_auth_client_id": None}) == [{}]
