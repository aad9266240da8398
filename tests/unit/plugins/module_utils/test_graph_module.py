"""GraphModule: the one way a Graph module ends (run_and_exit), env fallbacks."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from ansible.module_utils import basic
from ansible_collections.procall.msteams.plugins.module_utils._graph_errors import GraphError
from ansible_collections.procall.msteams.plugins.module_utils._graph_module import GraphModule


class Failure(Exception):
    pass


def finish(run, args=None, diff=False):
    payload = {"ANSIBLE_MODULE_ARGS": dict(args or {"access_token": "x.y.z"}, _ansible_diff=diff)}
    basic._ANSIBLE_ARGS = json.dumps(payload).encode()
    if hasattr(basic, "_ANSIBLE_PROFILE"):
        basic._ANSIBLE_PROFILE = "legacy"
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            GraphModule(argument_spec=dict(object_id=dict(type="str")), supports_check_mode=True).run_and_exit(run, failures=(Failure,))
    finally:
        basic._ANSIBLE_ARGS = None
    return json.loads([line for line in out.getvalue().splitlines() if line.startswith("{")][-1])


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
