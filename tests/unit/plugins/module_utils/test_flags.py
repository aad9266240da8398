"""One reading of an on/off switch: every input reader of the collection takes what a bool option takes."""

from __future__ import annotations

import pytest
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE
from ansible_collections.procall.msteams.plugins.module_utils import _run_decommission, _run_settings, _ucserver_input
from ansible_collections.procall.msteams.plugins.module_utils._flags import FLAG_VALUES, read_flag
from ansible_collections.procall.msteams.plugins.module_utils._msteams_cfg import MsteamsCfgError, to_flag

SECRET = "s3cr3t-Value~that.must_never-leak"

# (reader, the error it raises): the four places that read a switch (issue 10: they had drifted).
READERS = {
    "vendor flag": (lambda v: bool(to_flag(v, "ucserver_send_to_teams")), MsteamsCfgError),
    "role input": (lambda v: _ucserver_input.to_bool(v, "ucserver_force_reset"), _ucserver_input.RoleInputError),
    "decommission variable": (lambda v: _run_decommission.to_bool(v, "msteams_host_gone"), _run_settings.RunInputError),
    "run variable": (lambda v: _run_settings._flag({"msteams_secret_health_check": v}, "msteams_secret_health_check"), _run_settings.RunInputError),
}
SPELLINGS = [(v, True) for v in sorted(BOOLEANS_TRUE, key=repr)] + [(v, False) for v in sorted(BOOLEANS_FALSE, key=repr)] + [(" Yes ", True), ("OFF", False)]


@pytest.mark.parametrize(("value", "expected"), SPELLINGS, ids=repr)
def test_every_spelling_of_a_bool_option_reads_the_same_everywhere(value, expected):
    assert read_flag(value) is expected
    assert {name: reader(value) for name, (reader, _error) in READERS.items()} == dict.fromkeys(READERS, expected)


@pytest.mark.parametrize("value", ["maybe", "2", 2, None, "", SECRET], ids=repr)
def test_anything_else_is_no_flag(value):
    assert read_flag(value) is None


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_wrong_value_is_named_by_the_option_with_the_allowed_values_never_echoed(name):
    reader, error = READERS[name]
    with pytest.raises(error) as exc:
        reader(SECRET)
    assert FLAG_VALUES in str(exc.value) and SECRET not in str(exc.value)


def test_unset_run_and_decommission_variables_are_false():
    assert _run_settings._flag({}, "msteams_secret_health_check") is False
    assert _run_decommission.to_bool("", "msteams_host_gone") is False
    assert _run_decommission.to_bool(None, "msteams_host_gone") is False
