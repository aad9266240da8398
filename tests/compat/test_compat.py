"""The support matrix's own logic: the demo flow's verdict (tests/demo.py ``verify``) and the
comparison and cells of ``hack/compat.py``. No playbook runs here: fabricated run records."""

from __future__ import annotations

import copy
import functools
import importlib.util
import os
import pathlib
import sys
import time

import pytest

from tests.demo import RunRecord, verify
from tests.playbook_runner import PlaybookResult

REPO = pathlib.Path(__file__).resolve().parents[2]


@functools.cache
def load_compat():
    """hack/compat.py as a module (hack/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("procall_msteams_compat", REPO / "hack" / "compat.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


# -- a finished demo world, as tell() leaves it when everything went right ---------------------------


class FakeHost:
    def __init__(self, name, cfg, state="running"):
        self.name = name
        self.cfg = cfg
        self.state = state

    def msteams_cfg(self):
        return self.cfg

    def service_state(self):
        return self.state


class FakeWorld:
    """The parts of tests.demo.World that verify() reads."""

    def __init__(self):
        self.tenant_ids = {"contoso": "tid-c"}
        self.apps = {"contoso": {"appId": "app-c"}}
        self.secrets = {"h1": ["new-1"], "h2": ["new-2"]}
        self.fleet = [
            FakeHost("h1", {"u8sClientID": "app-c", "u8sTenant": "tid-c", "u8sClientSecret": "s1-new"}),
            FakeHost("h2", {"u8sClientID": "app-c", "u8sTenant": "tid-c", "u8sClientSecret": "s2-new"}),
        ]
        self.hosts = ["h1", "h2"]
        self.before_rotation = {
            "h1": {"cfg": {"u8sClientSecret": "s1-old"}, "key_ids": ["old-1"]},
            "h2": {"cfg": {"u8sClientSecret": "s2-old"}, "key_ids": ["old-2"]},
        }
        onboarded = {"hosts": [{"host": h, "status": "consent_pending"} for h in self.hosts]}
        rotated = {"hosts": [{"host": h, "status": "rotated", "secret_key_id": f"new-{h[1]}"} for h in self.hosts]}
        status = {
            "hosts": [
                {"host": h, "status": "consent_pending", "client_id": "app-c", "secret_key_id": f"new-{h[1]}", "service_state": "running"} for h in self.hosts
            ]
        }
        self.runs = [
            record("onboard", graph_writes=12, restarts=2, host_writes=2, report=onboarded),
            record("onboard", report=copy.deepcopy(onboarded)),
            record("rotate_secret", graph_writes=4, restarts=2, host_writes=4, report=rotated),
            record("status", report=status),
        ]

    def tenant_of(self, host):
        return "contoso"

    def app(self, tenant):
        return self.apps[tenant]

    def host_secrets(self, host):
        return [{"keyId": key} for key in self.secrets[host]]


def record(name, *, rc=0, graph_writes=0, restarts=0, host_writes=0, report=None):
    result = PlaybookResult(rc=rc, stdout="", stderr="", report={"plays": []})
    return RunRecord(
        name=name,
        rc=rc,
        seconds=1.0,
        graph_requests=graph_writes + 5,
        graph_writes=graph_writes,
        token_requests=1,
        module_calls={"h1": 3, "h2": 3},
        result=result,
        restarts=restarts,
        host_writes=host_writes,
        graph_writes_ok=graph_writes,
        report=report,
    )


def test_a_right_demo_flow_passes():
    assert verify(FakeWorld()) == []


def test_a_converged_rerun_that_writes_or_restarts_fails():
    world = FakeWorld()
    world.runs[1].graph_writes = 1
    world.runs[1].restarts = 2
    problems = verify(world)
    assert "converged onboard: 1 Graph write(s), expected 0" in problems
    assert "converged onboard: 2 service start(s), expected 0" in problems


def test_a_rotation_that_does_not_rotate_fails():
    world = FakeWorld()
    world.fleet[0].cfg["u8sClientSecret"] = "s1-old"  # the host still runs the old secret
    world.secrets["h2"] = ["old-2", "new-2"]  # the replaced secret was not revoked
    world.runs[2].restarts = 1
    problems = verify(world)
    assert any("h1's msteams.cfg does not hold a new secret" in p for p in problems), problems
    assert any("h2 has secret key ids ['old-2', 'new-2']" in p for p in problems), problems
    assert any("1 service start(s), expected one per host (2)" in p for p in problems), problems


def test_a_wrong_status_fails():
    world = FakeWorld()
    world.runs[3].report["hosts"][1]["status"] = "broken"
    problems = verify(world)
    assert problems == ["status: h2 shows {'status': 'broken'}, expected {'status': 'consent_pending'}"]


def test_a_failed_onboard_fails_with_its_exit_code():
    world = FakeWorld()
    world.runs[0].rc = 2
    world.runs[0].report["hosts"][0]["status"] = "failed"
    problems = verify(world)
    assert problems[0].startswith("onboard: ansible-playbook exited 2")
    assert any("report statuses" in p and "'failed'" in p for p in problems)


def test_numbers_are_one_machine_readable_dict_per_run():
    numbers = FakeWorld().runs[2].numbers()
    assert numbers["run"] == "rotate_secret"
    assert {"graph_requests", "graph_writes", "graph_writes_ok", "token_requests", "restarts", "host_writes", "rc"} <= set(numbers)


# -- hack/compat.py ------------------------------------------------------------------------------


def outcome(compat, core, runs, main=False):
    result = compat.Outcome(compat.Cell(core, "3.12", main=main))
    result.numbers = {"runs": runs}
    result.units_ok = result.demo_ok = True
    return result


def test_compare_flags_a_version_whose_writes_or_restarts_differ():
    compat = load_compat()
    runs = [record("onboard", graph_writes=12, restarts=4).numbers(), record("onboard").numbers()]
    reference = outcome(compat, "2.19", runs, main=True)
    same = outcome(compat, "2.20", copy.deepcopy(runs))
    other = copy.deepcopy(runs)
    other[1]["restarts"] = 4
    other[0]["graph_requests"] += 7  # shown only: throttling and paging move it
    differs = outcome(compat, "2.16", other)
    compat.compare(same, reference)
    compat.compare(differs, reference)
    assert same.mismatch == [] and same.ok
    assert differs.mismatch == ["onboard restarts 4 (main: 0)"] and not differs.ok
    assert "DIFFERS: onboard restarts 4 (main: 0)" in compat.table([reference, same, differs], 1.0)


# ansible-core's controller Pythons (ansible-core support matrix,
# https://docs.ansible.com/ansible/latest/reference_appendices/release_and_maintenance.html).
CONTROLLER_PYTHONS = {
    "2.16": {"3.10", "3.11", "3.12"},
    "2.17": {"3.10", "3.11", "3.12"},
    "2.18": {"3.11", "3.12", "3.13"},
    "2.19": {"3.11", "3.12", "3.13"},
    "2.20": {"3.12", "3.13", "3.14"},
}


def test_the_matrix_has_every_supported_core_on_a_python_it_supports():
    compat = load_compat()
    cores = [c.core for c in compat.CELLS]
    assert cores == sorted(CONTROLLER_PYTHONS, key=lambda v: tuple(map(int, v.split("."))))
    for cell in compat.CELLS:
        assert cell.python in CONTROLLER_PYTHONS[cell.core], cell
    assert {c.python for c in compat.CELLS} == {"3.10", "3.11", "3.12", "3.13"}, "every Python of the image"
    assert [c for c in compat.CELLS if any(p.startswith("urllib3") and "<2" in p for p in c.pins)], "one cell on urllib3 1.26"
    assert [c.core for c in compat.CELLS if c.main] == ["2.19"]


def test_requires_ansible_states_the_range_the_matrix_tests():
    import yaml

    compat = load_compat()
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    lowest, highest = compat.CELLS[0].core, compat.CELLS[-1].core
    assert runtime["requires_ansible"] == f">={lowest}.0,<{compat.next_minor(highest)}.0"
    role_meta = yaml.safe_load((REPO / "roles" / "ucserver" / "meta" / "main.yml").read_text())
    assert str(role_meta["galaxy_info"]["min_ansible_version"]) == lowest


def test_a_step_that_outlives_its_bound_is_ended_with_its_children(tmp_path):
    compat = load_compat()
    pid_file = tmp_path / "child.pid"
    # A child in the background, as the demo's emulator and ansible-playbook are.
    cmd = ["bash", "-c", f"sleep 300 & echo $! > {pid_file}; wait"]
    rc = compat.run_logged(cmd, tmp_path / "step.log", dict(os.environ), timeout=1)
    assert rc == 124
    assert "timed out after 1 s" in (tmp_path / "step.log").read_text()
    child = int(pid_file.read_text())
    for _attempt in range(50):  # the group got SIGTERM; wait until the child is reaped
        if not pathlib.Path(f"/proc/{child}").exists() or "zombie" in pathlib.Path(f"/proc/{child}/status").read_text().lower():
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the step's child {child} still runs")


@pytest.mark.parametrize(("pins", "name"), [((), "core2.17-py3.12"), (("urllib3>=1.26,<2",), "core2.17-py3.12-urllib3-1.26")])
def test_cell_names_key_the_venv_by_version(pins, name):
    compat = load_compat()
    assert compat.Cell("2.17", "3.12", pins=pins).name == name
