"""Shared cases of the ucserver role's unit tests: a host's service, msteams.cfg contents, settings and a plan."""

import base64

from ansible_collections.procall.msteams.plugins.module_utils import _msteams_cfg as cfg
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_input as inputs
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_plan as host_plan
from ansible_collections.procall.msteams.plugins.module_utils import _ucserver_read as host_read

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SECRET = "New~Secret.1111"
OLD = "Old~Secret.0000"
CFG_PATH = "C:\\Program Files\\estos\\UCServer\\config\\msteams.cfg"


def service(state="running", path='"C:\\Program Files\\estos\\UCServer\\eucsrv.exe" -service', username="LocalSystem"):
    return {"exists": True, "services": [{"name": "eucsrv", "state": state, "path": path, "username": username}]}


def b64(values):
    return base64.b64encode(cfg.render_cfg(values).encode()).decode()


def converged(secret=SECRET, **over):
    values = dict(cfg.VENDOR_DEFAULTS, u8sTenant=TENANT, u8sClientID=CLIENT, u8sClientSecret=secret, bEnabled=1, u8sTokenCache="T")
    values.update(over)
    return b64(values)


def settings(**over):
    return inputs.check_inputs({"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET, **over})


def plan(current=None, state="running", check_mode=False, **over):
    return host_plan.plan(settings(**over), SECRET, host_read.locate(service(state)), current, backup_stamp="20260101T000000Z", check_mode=check_mode)
