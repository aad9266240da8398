"""entra_app_secret against the Graph emulator (HTTPS, real msal, settable clock).

The module's main() runs in this process (tests/integration/conftest.py: its waits pass on the
emulated clock); what only ansible-playbook shows (-vvvv output, the action plugin's censoring) runs there.
"""

import pytest

from tests.integration.consent_secret_support import ONBOARDING_ROLES, World


@pytest.fixture
def world(graph_emulator, tmp_path):
    w = World(graph_emulator, tmp_path)
    res, out, _ignored = w.consent()
    assert res.rc == 0, res
    return w


def names(world):
    return sorted(c["displayName"] for c in world.password_credentials())


def test_present_twice_keeps_one_secret(world, graph_emulator):
    res, first, secret = world.secret(consumer="ucs1")
    assert res.rc == 0 and first["changed"] and first["rotated"] and first["verified"] and secret, res
    assert first["days_left"] == 180 and first["replaced_key_ids"] == []
    assert names(world) == ["procall-msteams: ucs1"]

    graph_emulator.reset_log()
    res, again, kept = world.secret(consumer="ucs1", current_secret=secret)
    assert res.rc == 0 and again["changed"] is False and again["rotated"] is False, res
    assert again["key_id"] == first["key_id"] and again["secret_known"] is True and kept == secret
    assert len(world.password_credentials()) == 1
    assert graph_emulator.count(kind="graph", tenant_id=world.tenant, writes=True) == 0

    # Without the deployed value the module keeps the valid secret but cannot return it.
    res, blind, unknown = world.secret(consumer="ucs1")
    assert blind["changed"] is False and blind["secret_known"] is False and unknown is None


def test_clock_inside_window_rotates_then_absent_revokes_only_the_replaced(world, graph_emulator):
    _ignored, first, secret = world.secret(consumer="ucs1")
    world.advance_clock(151)  # 29 days left < rotate_before_days 30
    res, rot, new_secret = world.secret(consumer="ucs1", current_secret=secret)
    assert res.rc == 0 and rot["changed"] and rot["rotated"] and new_secret != secret, res
    assert rot["replaced_key_ids"] == [first["key_id"]] and rot["days_left"] == 180
    assert len(world.password_credentials()) == 2  # the old one stays until the new one is deployed

    res, gone, _ignored = world.secret(consumer="ucs1", state="absent", keep_key_ids=[rot["key_id"]])
    assert res.rc == 0 and gone["changed"] and gone["revoked_key_ids"] == [first["key_id"]], res
    assert [c["keyId"] for c in world.password_credentials()] == [rot["key_id"]]
    res, again, _ignored = world.secret(consumer="ucs1", state="absent", keep_key_ids=[rot["key_id"]])
    assert again["changed"] is False


def test_host_lost_its_secret_gets_a_new_one(world):
    _ignored, first, _ignored = world.secret(consumer="ucs1")
    res, out, _ignored = world.secret(consumer="ucs1", current_secret="not-the-deployed-value")
    assert res.rc == 0 and out["rotated"] and out["replaced_key_ids"] == [first["key_id"]], res


def test_two_consumers_rotate_independently(world, graph_emulator):
    _ignored, one, s1 = world.secret(consumer="ucs1")
    world.advance_clock(60)
    _ignored, two, s2 = world.secret(consumer="ucs2")
    assert names(world) == ["procall-msteams: ucs1", "procall-msteams: ucs2"]
    world.advance_clock(95)  # ucs1: 25 days left, ucs2: 85 days left
    _ignored, r1, _ignored = world.secret(consumer="ucs1", current_secret=s1)
    _ignored, r2, _ignored = world.secret(consumer="ucs2", current_secret=s2)
    assert r1["rotated"] and r1["replaced_key_ids"] == [one["key_id"]]
    # 85 days minus the seconds between the runs, counted in whole days
    assert r2["changed"] is False and r2["key_id"] == two["key_id"] and r2["days_left"] in (84, 85)


def test_verify_waits_out_token_propagation(world, graph_emulator):
    graph_emulator.faults.token_propagation_delay(seconds=4)
    graph_emulator.reset_log()
    res, out, secret = world.secret(consumer="ucs1", verify_timeout=60)
    assert res.rc == 0 and out["verified"] and secret, res
    # The token service refused the new secret at first; the module asked again until it was accepted.
    as_app = [r for r in graph_emulator.requests(tenant_id=world.tenant) if r["kind"] == "token" and r["caller"] == world.app["appId"]]
    assert len(as_app) >= 2 and as_app[0]["status"] != 200 and as_app[-1]["status"] == 200, as_app


def test_verify_timeout_revokes_the_unverified_secret(world, graph_emulator):
    graph_emulator.faults.token_propagation_delay(seconds=60)
    res, out, secret = world.secret(consumer="ucs1", verify_timeout=2)
    assert out["failed"] and "verify_timeout" in out["msg"] and secret is None, res
    assert world.password_credentials() == []


def test_policy_cap_is_a_clear_error(world, graph_emulator):
    # Graph's refusal names the policy, not the days (CredentialInvalidLifetimeAsPerAppPolicy,
    # details InvalidKeyEndDate); the maximum in the sentence is the collection's own reading of
    # the policies, which needs Policy.Read.All.
    graph_emulator.admin(world.tenant).set_policy(password_max_lifetime_days=90)
    res, out, _ignored = world.secret(consumer="ucs1", validity_days=180)
    assert out["failed"] and "CredentialInvalidLifetimeAsPerAppPolicy" in out["msg"] and "caps the lifetime of new secrets" in out["msg"], res
    assert "policy '00000000-0000-0000-0000-000000000000'" in out["msg"] and "validity_days" in out["msg"], res
    assert "Traceback" not in res.output
    world.identity = graph_emulator.add_automation_identity(world.tenant, roles=[*ONBOARDING_ROLES, "Policy.Read.All"])
    res, out, _ignored = world.secret(consumer="ucs1", validity_days=180)
    assert out["failed"] and "Set validity_days to at most 90 days" in out["msg"], res
    res, out, _ignored = world.secret(consumer="ucs1", validity_days=90)
    assert res.rc == 0 and out["days_left"] == 90, res
    graph_emulator.admin(world.tenant).set_policy(password_addition=False)
    res, out, _ignored = world.secret(consumer="ucs2", validity_days=90)
    assert out["failed"] and "CredentialTypeNotAllowedAsPerAppPolicy" in out["msg"] and "forbids new client secrets" in out["msg"], res


def test_absent_without_consumer_or_key_ids_is_refused(world):
    world.secret(consumer="ucs1")
    res, out, _ignored = world.secret(state="absent")
    assert out["failed"] and "key_ids or consumer" in out["msg"]
    assert len(world.password_credentials()) == 1


def test_check_mode_creates_nothing(world, graph_emulator):
    graph_emulator.reset_log()
    res, out, secret = world.secret(consumer="ucs1", check=True)
    assert res.rc == 0 and out["changed"] and secret is None, res
    assert graph_emulator.count(kind="graph", tenant_id=world.tenant, writes=True) == 0


@pytest.mark.slow
def test_vvvv_never_prints_a_secret(world, graph_emulator, tmp_path):
    # One playbook at -vvvv: a new secret, its rotation fed the registered value (as a playbook
    # passes it on), and a task someone forgot to mark no_log, all printed by the default callback.
    import json

    import yaml

    from tests.playbook_runner import run_playbook

    module = "procall.msteams.entra_app_secret"
    secrets_file = tmp_path / "secrets.json"
    tasks = [
        {"name": "new", module: {"app_id": world.app["appId"], "consumer": "ucs1"}, "register": "r1", "no_log": True},
        {
            "name": "rotated",
            module: {"app_id": world.app["appId"], "consumer": "ucs1", "state": "rotated", "current_secret": "{{ r1.secret }}"},
            "register": "r2",
            "no_log": True,
        },
        # Even a task someone forgot to mark no_log prints no value: the action plugin censors it.
        {"name": "kept", module: {"app_id": world.app["appId"], "consumer": "ucs1", "current_secret": "{{ r2.secret }}"}, "register": "r3", "no_log": False},
        {
            "name": "keep secrets",
            "ansible.builtin.copy": {"content": "{{ [r1.secret, r2.secret, r3.secret, r3.rotated] | to_json }}", "dest": str(secrets_file), "mode": "0600"},
            "no_log": True,
        },
    ]
    play = [{"hosts": "localhost", "gather_facts": False, "module_defaults": {"group/procall.msteams.graph": world.auth()}, "tasks": tasks}]
    book = tmp_path / "vvvv.yml"
    book.write_text(yaml.safe_dump(play, sort_keys=False))
    run = run_playbook(book, workdir=tmp_path / "vvvv", verbosity=4, callback="default")
    assert run.rc == 0, run
    secret, new_secret, kept, rotated_again = json.loads(secrets_file.read_text())
    assert secret and new_secret and new_secret != secret and kept == new_secret and rotated_again is False
    assert len(world.password_credentials()) == 2  # the replaced one stays until its host runs the new one
    assert "censored" in run.output  # the action plugin hid the whole result of "kept"
    # The module really ran at -vvvv, three times (its payload and result went through the verbose callback).
    runs = [line for line in run.output.splitlines() if line.startswith("Using module file ") and line.endswith("/entra_app_secret.py")]
    assert len(runs) == 3 and "AnsiballZ_entra_app_secret" in run.output
    for value in (secret, new_secret, world.identity["client_secret"]):
        assert value not in run.output


def test_secret_inside_the_window_rotates_without_moving_the_clock(world):
    # A short-lived secret (25 days) is inside the default 30-day window of the next run.
    res, first, secret = world.secret(consumer="ucs1", validity_days=25, rotate_before_days=10)
    assert res.rc == 0 and first["days_left"] == 25, res
    res, rot, new_secret = world.secret(consumer="ucs1", current_secret=secret)
    assert res.rc == 0 and rot["rotated"] and new_secret != secret, res
    assert rot["replaced_key_ids"] == [first["key_id"]] and rot["days_left"] == 180
    # The other consumer's secret is not touched by ucs1's rotation.
    _ignored, two, s2 = world.secret(consumer="ucs2")
    _ignored, again, _kept = world.secret(consumer="ucs2", current_secret=s2)
    assert again["changed"] is False and again["key_id"] == two["key_id"]
    res, gone, _ignored = world.secret(consumer="ucs1", state="absent", keep_key_ids=[rot["key_id"]])
    assert gone["revoked_key_ids"] == [first["key_id"]], res
    assert sorted(c["keyId"] for c in world.password_credentials()) == sorted([rot["key_id"], two["key_id"]])


def test_personal_account_audience_allows_only_two_secrets(graph_emulator, tmp_path):
    from tests.integration.consent_secret_support import vendor_app_body

    body = dict(vendor_app_body(), signInAudience="AzureADandPersonalMicrosoftAccount")
    world = World(graph_emulator, tmp_path, app_body=body)
    assert world.consent()[0].rc == 0
    for host in ("ucs1", "ucs2"):
        res, out, _ignored = world.secret(consumer=host)
        assert res.rc == 0 and out["rotated"], res
    res, out, _ignored = world.secret(consumer="ucs3")
    assert out["failed"] and "only 2 client secrets" in out["msg"] and "AzureADandPersonalMicrosoftAccount" in out["msg"], res
    assert len(world.password_credentials()) == 2


def test_check_mode_predicts_the_real_run(world, graph_emulator):
    _res, check, _none = world.secret(consumer="ucs1", check=True)
    graph_emulator.reset_log()
    _res, real, secret = world.secret(consumer="ucs1")
    assert check["changed"] is real["changed"] is True and secret
    before_check, after_check = check["diff"]["before"]["secrets"], check["diff"]["after"]["secrets"]
    before_real, after_real = real["diff"]["before"]["secrets"], real["diff"]["after"]["secrets"]
    assert before_check == before_real == []
    assert [(c["display_name"], c["end_date"][:10], c["days_left"]) for c in after_check] == [
        (c["display_name"], c["end_date"][:10], c["days_left"]) for c in after_real
    ]
    # Revoking: check mode names exactly the key ids the real run revokes.
    world.advance_clock(160)
    _res, rot, _new = world.secret(consumer="ucs1", current_secret=secret)
    _res, check_gone, _none = world.secret(consumer="ucs1", state="absent", keep_key_ids=[rot["key_id"]], check=True)
    _res, gone, _none = world.secret(consumer="ucs1", state="absent", keep_key_ids=[rot["key_id"]])
    assert check_gone["revoked_key_ids"] == gone["revoked_key_ids"] == [real["key_id"]]
    assert check_gone["diff"] == gone["diff"] and check_gone["changed"] is gone["changed"] is True


@pytest.mark.parametrize("days", [10**9, 3_000_000, 2**63, 0, -5])
def test_absurd_validity_days_is_a_clear_error_before_any_write(world, graph_emulator, days):
    graph_emulator.reset_log()
    _res, out, _none = world.secret(consumer="ucs1", validity_days=days, rotate_before_days=0)
    assert out["failed"] and "validity_days" in out["msg"] and "3650" in out["msg"], out
    assert graph_emulator.count(kind="graph", tenant_id=world.tenant, writes=True) == 0


def test_key_ids_must_be_guids(world, graph_emulator):
    graph_emulator.reset_log()
    _res, out, _none = world.secret(state="absent", key_ids=["?$top=1"])
    assert out["failed"] and "key_ids" in out["msg"] and "GUID" in out["msg"] and "$top" not in out["msg"], out
    assert graph_emulator.count(kind="graph", tenant_id=world.tenant, writes=True) == 0


def test_a_503_from_the_token_endpoint_right_after_add_password_is_waited_out(world, graph_emulator):
    # Issue 14: the 503 surfaced as msal's "HTTP Error: 503" and left the new secret neither verified nor revoked.
    graph_emulator.faults.server_errors(burst=2, status=503, kinds=("token",))
    _res, out, secret = world.secret(consumer="ucs1")
    assert not out.get("failed"), out.get("msg")
    assert out["verified"] is True and secret
    assert [c["keyId"] for c in world.password_credentials()] == [out["key_id"]]


def test_a_token_endpoint_that_stays_down_revokes_the_new_secret(world, graph_emulator):
    graph_emulator.faults.server_errors(burst=500, status=503, kinds=("token",))
    _res, out, secret = world.secret(consumer="ucs1", max_retry_wait=3)
    assert out["failed"] and secret is None
    assert "HTTP Error" not in out["msg"] and "was revoked again" in out["msg"] and "503" in out["msg"], out["msg"]
    assert world.password_credentials() == []


def test_an_add_password_whose_answer_was_lost_leaves_one_working_secret(world, graph_emulator, monkeypatch):
    import requests

    real = requests.Session.request
    lost = []

    def request(self, method, url, *args, **kwargs):
        response = real(self, method, url, *args, **kwargs)
        if method == "POST" and url.endswith("/addPassword") and not lost:
            lost.append(url)
            raise requests.exceptions.ConnectionError("connection reset after the request was sent")
        return response

    monkeypatch.setattr(requests.Session, "request", request)
    _res, out, secret = world.secret(consumer="ucs1")
    assert not out.get("failed"), out.get("msg")
    assert lost and out["verified"] is True and secret
    # The secret whose value was lost was found by name and start time and revoked; one remains.
    assert [c["keyId"] for c in world.password_credentials()] == [out["key_id"]]
