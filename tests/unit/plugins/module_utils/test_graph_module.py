"""GraphModule: the one way a Graph module ends (run_and_exit), env fallbacks."""

from __future__ import annotations

import contextlib
import importlib
import io
import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common import warnings
from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import GraphError
from ansible_collections.procall.msteams.plugins.module_utils._graph_module import GraphModule


class Failure(Exception):
    pass


def finish(run, args=None, diff=False):
    payload = {"ANSIBLE_MODULE_ARGS": dict(args or {"access_token": "x.y.z"}, _ansible_diff=diff)}
    basic._ANSIBLE_ARGS = json.dumps(payload).encode()
    if hasattr(basic, "_ANSIBLE_PROFILE"):
        basic._ANSIBLE_PROFILE = "legacy"
    for registry in ("_global_warnings", "_global_deprecations"):
        getattr(warnings, registry, {}).clear()
    # ansible-core 2.19 sends module warnings to the controller's Display once controller code
    # was imported in this process: this run is a module (as in tests/integration/graph_play.py).
    internal = getattr(importlib.import_module("ansible.module_utils"), "_internal", None)
    was_controller = getattr(internal, "is_controller", None)
    out = io.StringIO()
    try:
        if was_controller is not None:
            internal.is_controller = False
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            GraphModule(argument_spec=dict(object_id=dict(type="str")), supports_check_mode=True).run_and_exit(run, failures=(Failure,))
    finally:
        basic._ANSIBLE_ARGS = None
        if was_controller is not None:
            internal.is_controller = was_controller
    result = json.loads([line for line in out.getvalue().splitlines() if line.startswith("{")][-1])
    # ansible-core 2.19 sends warnings as WarningSummary objects; the controller shows their text.
    result["warnings"] = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings") or []]
    return result


@pytest.mark.parametrize("error", [Failure(""), GraphError(action="read the application")])
def test_no_failure_without_a_message(error):
    def run(module):
        raise error

    result = finish(run)
    assert result["failed"] is True and result["msg"].strip(), result


def test_diff_is_kept_only_with_diff_mode():
    def run(module):
        return {"changed": True, "diff": {"before": {}, "after": {"x": 1}}}

    assert "diff" not in finish(run)
    assert finish(run, diff=True)["diff"]["after"] == {"x": 1}


def test_an_object_id_that_is_no_guid_fails_before_the_body_runs():
    ran = []
    result = finish(lambda module: ran.append(1) or {"changed": False}, args={"access_token": "x.y.z", "object_id": "?$top=1"})
    assert result["failed"] is True and "object_id" in result["msg"] and "$top" not in result["msg"] and ran == []


def waiting(seconds, fail=False):
    def run(module):
        budget = module.client.budget
        budget._sleep = lambda _s: None
        budget.wait(seconds, "429", target="GET /applications")
        if fail:
            raise Failure("gave up")
        return {"changed": False}

    return run


def test_retries_are_in_the_result_and_quiet_while_they_used_little_of_max_retry_wait():
    result = finish(waiting(1.0))
    assert result["graph_retries"] == ["GET /applications: 429, waited 1 s"]
    assert not result.get("warnings"), result


def test_retries_that_used_half_of_max_retry_wait_warn_once():
    result = finish(waiting(60.0))
    assert result["graph_retries"] == ["GET /applications: 429, waited 60 s"]
    assert len(result["warnings"]) == 1 and "60 s of max_retry_wait=120" in result["warnings"][0]


def test_a_failed_run_carries_its_retries_and_no_extra_warning():
    result = finish(waiting(100.0, fail=True))
    assert result["failed"] is True and result["graph_retries"] and not result.get("warnings"), result


def test_a_run_without_graph_calls_has_no_graph_retries():
    assert "graph_retries" not in finish(lambda module: {"changed": False})
