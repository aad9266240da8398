"""What a tenant and an app allow for client secrets: the personal-account limit, policy lifetimes."""

import pytest
from ansible_collections.procall.msteams.plugins.module_utils import _secret_limits as lim


def test_personal_limit():
    app = {"signInAudience": "AzureADandPersonalMicrosoftAccount", "passwordCredentials": [{}, {}]}
    assert lim.personal_limit_reached(app)
    assert not lim.personal_limit_reached({"signInAudience": "AzureADMyOrg", "passwordCredentials": [{}, {}]})
    assert not lim.personal_limit_reached({"signInAudience": "PersonalMicrosoftAccount", "passwordCredentials": [{}]})


@pytest.mark.parametrize(("text", "days"), [("P90D", 90), ("P1Y", 365), ("P6M", 180), ("P2W", 14), ("PT1H", None), ("", None), ("garbage", None)])
def test_duration_days(text, days):
    assert lim.duration_days(text) == days


def test_policy_max_lifetime_smallest_enabled():
    tenant = {"applicationRestrictions": {"passwordCredentials": [{"restrictionType": "passwordLifetime", "maxLifetime": "P180D"}]}}
    app = {"restrictions": {"passwordCredentials": [{"restrictionType": "passwordLifetime", "maxLifetime": "P90D", "state": "enabled"}]}}
    off = {"restrictions": {"passwordCredentials": [{"restrictionType": "passwordLifetime", "maxLifetime": "P10D", "state": "disabled"}]}}
    assert lim.policy_max_lifetime_days([tenant, app, off]) == 90
    assert lim.policy_max_lifetime_days([{"restrictions": {"passwordCredentials": [{"restrictionType": "passwordAddition"}]}}]) is None
