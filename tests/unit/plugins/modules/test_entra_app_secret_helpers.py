"""The I/O-light helpers of entra_app_secret with a fake client and a fake clock."""

from ansible_collections.procall.msteams.plugins.module_utils._graph_client import GraphAuthError, GraphError
from ansible_collections.procall.msteams.plugins.module_utils._graph_transport import RetryBudget
from ansible_collections.procall.msteams.plugins.modules import entra_app_secret as m


class FakeClock:
    def __init__(self):
        self.t = 0.0
        self.sleeps = []

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.t += seconds


class FakeClient:
    """Refuses the secret ``refusals`` times (AADSTS7000215, as during replication), then issues ``roles``."""

    def __init__(self, refusals=0, roles=("Presence.ReadWrite.All",), clock=None, max_retry_wait=120):
        self.budget = RetryBudget(max_retry_wait, sleep=(clock or FakeClock()).sleep)
        self.refusals = refusals
        self.roles = list(roles)
        self.calls = 0

    def acquire_token_for(self, client_id, client_secret, tenant_id=None):
        self.calls += 1
        if self.calls <= self.refusals:
            raise GraphAuthError(code="7000215", message="Invalid client secret provided.")
        return {"roles": self.roles}


def test_verify_waits_out_propagation():
    clock = FakeClock()
    client = FakeClient(refusals=3, clock=clock)
    assert m.verify_new_secret(client, "app", "s3cr3t", "t", ["Presence.ReadWrite.All"], 60) is None
    assert client.calls == 4 and clock.sleeps == [1.0, 2.0, 4.0]


def test_verify_gives_up_at_the_timeout_with_the_last_reason():
    clock = FakeClock()
    client = FakeClient(refusals=1000, clock=clock)
    reason = m.verify_new_secret(client, "app", "s3cr3t", "t", [], 20)
    assert "7000215" in reason and clock.t == 20  # the whole verify_timeout is used, no more


def test_verify_wait_counts_against_max_retry_wait():
    clock = FakeClock()
    client = FakeClient(refusals=1000, clock=clock, max_retry_wait=10)
    client.budget.wait(4, "an earlier throttled request")
    reason = m.verify_new_secret(client, "app", "s3cr3t", "t", [], 180)
    assert "7000215" in reason and clock.t == 10 and client.budget.remaining == 0


def test_verify_missing_role_names_consent():
    clock = FakeClock()
    client = FakeClient(roles=(), clock=clock)
    reason = m.verify_new_secret(client, "app", "s3cr3t", "t", ["Presence.ReadWrite.All"], 5)
    assert "Presence.ReadWrite.All" in reason and "entra_admin_consent" in reason


def test_verify_stops_at_once_when_the_token_endpoint_is_unreachable():
    class Unreachable(FakeClient):
        def acquire_token_for(self, client_id, client_secret, tenant_id=None):
            self.calls += 1
            raise GraphError(action="get a token", message="connection refused")

    clock = FakeClock()
    client = Unreachable(clock=clock)
    reason = m.verify_new_secret(client, "app", "s3cr3t", "t", [], 60)
    assert "connection refused" in reason and client.calls == 1 and clock.sleeps == []


def test_token_accepts():
    assert m.token_accepts(FakeClient(), "app", "s", "t") is True
    assert m.token_accepts(FakeClient(refusals=1), "app", "s", "t") is False


class PolicyClient:
    def __init__(self, policy=None):
        self.policy = policy

    def get(self, path, action=None):
        if self.policy is None or "appManagementPolicies" in path:
            raise GraphError(status=403, code="Authorization_RequestDenied", message="Insufficient privileges")
        return self.policy


def test_lifetime_refusal_names_policy_and_allowed_maximum():
    exc = GraphError(
        status=400,
        code="CredentialInvalidLifetimeAsPerAppPolicy",
        message="Credential lifetime exceeds the max value allowed as per assigned policy 'p1'",
        request_id="rid",
    )
    policy = {"applicationRestrictions": {"passwordCredentials": [{"restrictionType": "passwordLifetime", "maxLifetime": "P90D"}]}}
    msg = m.add_password_failure(PolicyClient(policy), exc, {"id": "obj", "signInAudience": "AzureADMyOrg"}, 180)
    assert "passwordLifetime" in msg and "validity_days to at most 90 days" in msg and "rid" in msg
    # without Policy.Read.All the sentence still says where the maximum is
    msg = m.add_password_failure(PolicyClient(None), exc, {"id": "obj"}, 180)
    assert "maxLifetime" in msg and "defaultAppManagementPolicy" in msg


def test_forbidden_and_personal_limit_refusals():
    forbidden = GraphError(status=400, code="CredentialTypeNotAllowedAsPerAppPolicy", message="not allowed")
    assert "passwordAddition" in m.add_password_failure(PolicyClient(), forbidden, {"id": "o"}, 180)
    too_many = GraphError(status=400, code="TooManyAppPasswords", message="limit of 2")
    msg = m.add_password_failure(PolicyClient(), too_many, {"id": "o", "signInAudience": "PersonalMicrosoftAccount"}, 180)
    assert "only 2 client secrets" in msg and "state=absent" in msg
