"""AWX / Automation Platform end to end, without an AWX server: the credential types pass AWX's
validation, the environment AWX injects holds no empty value and lets a module log in to the
Graph emulator, and awx/configure.yml run with awx/settings.example.yml as shown creates
credentials, job templates and schedules AWX accepts (awx.awx replaced by recording stand-ins)."""

from __future__ import annotations

import functools
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest
import yaml

from tests.playbook_runner import REPO, ensure_collection_link

from . import awx_model
from .graph_play import run_module

BIN = pathlib.Path(sys.executable).parent
AWX = REPO / "awx"
UNIQUE = "procall-msteams"
AWX_MODULES = ("credential_type", "credential", "execution_environment", "job_template", "schedule")


def _unsafe_loader():
    """credential_types.yml marks the injector templates !unsafe (for Ansible): read them as strings."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
    return Loader


def credential_types() -> dict:
    text = (AWX / "credential_types.yml").read_text()
    return yaml.load(text, Loader=_unsafe_loader())["msteams_awx_credential_types"]  # noqa: S506 (a SafeLoader subclass)


def settings_example() -> dict:
    return yaml.safe_load((AWX / "settings.example.yml").read_text())


@pytest.mark.parametrize("kind", sorted(credential_types()))
def test_credential_type_passes_awx_validation(kind):
    ctype = credential_types()[kind]
    assert awx_model.validate_credential_type(ctype["inputs"], ctype["injectors"]) == []
    assert ctype["kind"] == "cloud"


def test_awx_validation_model_rejects_what_awx_rejects():
    """The model above is strict where AWX is: each broken type is refused for its reason."""
    fields = {"fields": [{"id": "tenant_id", "label": "Tenant", "type": "string"}]}
    assert awx_model.validate_credential_type(fields, {"env": {"ANSIBLE_CONFIG": "{{ tenant_id }}"}})
    assert awx_model.validate_credential_type(fields, {"env": {"AZURE_TENANT_ID": "{{ tenant }}"}})
    assert awx_model.validate_credential_type(fields, {"env": {"X": "{{ tower.filename }}"}})
    assert awx_model.validate_credential_type({"fields": [{"id": "1x", "label": "x"}]}, {})
    assert awx_model.validate_credential_type({"fields": [{"id": "b", "label": "b", "type": "boolean", "secret": True}]}, {})
    assert awx_model.validate_credential_type(fields, {"file": {"template": "a", "template.pem": "b"}})


@pytest.mark.parametrize("kind", sorted(credential_types()))
@pytest.mark.parametrize("cloud", ["missing", "", "usgovernment"])
def test_injected_environment_never_holds_an_empty_value(kind, cloud, tmp_path):
    ctype = credential_types()[kind]
    inputs = {"tenant_id": "11111111-2222-3333-4444-555555555555", "client_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}
    for field in ctype["inputs"]["required"]:
        inputs.setdefault(field, f"value of {field}")
    if cloud != "missing":
        inputs["cloud"] = cloud
    stored, errors = awx_model.store_credential(ctype, inputs)
    assert errors == []
    env = awx_model.inject_credential(ctype, stored, tmp_path)
    assert env and all(value != "" for value in env.values()), env
    assert env["AZURE_CLOUD"] == ("usgovernment" if cloud == "usgovernment" else "public")
    if "AZURE_CLIENT_CERTIFICATE_PATH" in env:
        path = pathlib.Path(env["AZURE_CLIENT_CERTIFICATE_PATH"])
        assert path.read_text() == inputs["certificate"]
        assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_bare_field_reference_injects_empty_when_the_input_is_missing(tmp_path):
    """The old injector `{{ cloud }}` on a credential without a cloud: AWX sets AZURE_CLOUD=''."""
    ctype = dict(credential_types()["client_secret"], injectors={"env": {"AZURE_CLOUD": "{{ cloud }}"}})
    env = awx_model.inject_credential(ctype, {"tenant_id": "t", "client_id": "c", "client_secret": "s"}, tmp_path)
    assert env == {"AZURE_CLOUD": ""}


def _clean_azure_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("AZURE_"):
            monkeypatch.delenv(name)


def _federated_token_file(emulator, tenant, identity, tmp_path):
    """A federated identity credential on the identity and a token of its issuer in a file."""
    import time

    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer, subject = "https://oidc.cluster.example.test/", "system:serviceaccount:awx:default"
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    emulator.add_federated_identity_credential(tenant, identity["client_id"], issuer, subject, issuer_public_key_pem=public)
    now = int(time.time())
    path = tmp_path / "azure-identity-token"
    path.write_text(jwt.encode({"iss": issuer, "sub": subject, "aud": "api://AzureADTokenExchange", "iat": now, "nbf": now, "exp": now + 3600}, key, "RS256"))
    return path


@pytest.mark.parametrize("credential", ["secret", "certificate", "federated"])
def test_module_runs_with_the_environment_awx_injects(credential, graph_emulator, tmp_path, monkeypatch):
    """entra_app_info logs in with nothing but the AZURE_* variables AWX injects for our credential
    types; only the emulator's hosts and CA are given as options (a real tenant needs neither)."""
    _clean_azure_env(monkeypatch)
    tenant = graph_emulator.add_tenant("contoso")
    app = graph_emulator.admin(tenant).add_application({"displayName": "ProCall Integration in Microsoft Teams", "uniqueName": UNIQUE})
    identity = graph_emulator.add_automation_identity(tenant, roles=["Application.Read.All"], credential=credential)
    inputs = {"tenant_id": tenant, "client_id": identity["client_id"]}  # no cloud: the settings example may omit it
    if credential == "secret":
        kind, inputs["client_secret"] = "client_secret", identity["client_secret"]
    elif credential == "federated":
        # The job pod's projected token, as a Kubernetes/OpenShift container group mounts it.
        kind, inputs["token_file"] = "federated", str(_federated_token_file(graph_emulator, tenant, identity, tmp_path))
    else:
        kind, inputs["certificate"] = "certificate", identity["private_key_pem"] + identity["certificate_pem"]
    ctype = credential_types()[kind]
    stored, errors = awx_model.store_credential(ctype, inputs)
    assert errors == []
    injected = awx_model.inject_credential(ctype, stored, tmp_path / "private_data_dir")
    # The job's environment is all the module gets (AWX sets it for ansible-playbook, whose modules
    # inherit it); the module runs in this process with exactly that environment.
    options = {
        "unique_name": UNIQUE,
        "login_endpoint": graph_emulator.url,
        "graph_endpoint": graph_emulator.url,
        "ca_path": graph_emulator.ca_path,
        "token_cache_path": str(tmp_path / "token-cache"),
    }
    info = run_module("entra_app_info", options, env=injected)
    assert not info.get("failed"), info.get("msg")
    assert info["exists"] is True and info["app_id"] == app["appId"]
    assert info["tenant_id"] == tenant
    for secret in (identity.get("client_secret"), identity.get("private_key_pem")):
        assert not secret or secret not in info.output
    assert graph_emulator.count(kind="token", tenant_id=tenant) >= 1


STANDIN = textwrap.dedent(
    """\
    #!/usr/bin/python
    # Test stand-in for awx.awx.{name}: records its arguments, changes nothing.
    from __future__ import annotations

    import json
    import os
    import sys

    from ansible.module_utils.basic import _load_params


    def main():
        args = {{k: v for k, v in _load_params().items() if not k.startswith("_ansible")}}
        with open(os.environ["AWX_STANDIN_LOG"], "a") as log:
            log.write(json.dumps({{"module": "{name}", "args": args}}) + "\\n")
        print(json.dumps({{"changed": True}}))
        sys.exit(0)


    if __name__ == "__main__":
        main()
    """
)


# The same recorder as an action plugin of the module's name, which ansible runs in its worker
# instead of the module (as for ansible.builtin.template): no Python process per call. It records
# the arguments as the module would receive them (templated, JSON-encoded like module arguments).
STANDIN_ACTION = textwrap.dedent(
    """\
    # Test stand-in for awx.awx.{name}: records its arguments in the worker, changes nothing.
    from __future__ import annotations

    import json
    import os

    from ansible.parsing.ajson import AnsibleJSONEncoder
    from ansible.plugins.action import ActionBase


    class ActionModule(ActionBase):
        def run(self, tmp=None, task_vars=None):
            result = super().run(tmp, task_vars)
            args = {{k: v for k, v in self._task.args.items() if not k.startswith("_ansible")}}
            with open(os.environ["AWX_STANDIN_LOG"], "a") as log:
                log.write(json.dumps({{"module": "{name}", "args": args}}, cls=AnsibleJSONEncoder) + "\\n")
            result["changed"] = True
            return result
    """
)


def _awx_standins(root: pathlib.Path) -> pathlib.Path:
    plugins = root / "ansible_collections" / "awx" / "awx" / "plugins"
    (plugins / "modules").mkdir(parents=True)
    (plugins / "action").mkdir()
    (root / "ansible_collections" / "awx" / "awx" / "meta").mkdir()
    (root / "ansible_collections" / "awx" / "awx" / "meta" / "runtime.yml").write_text("requires_ansible: '>=2.16.0'\n")
    for name in AWX_MODULES:
        (plugins / "modules" / f"{name}.py").write_text(STANDIN.format(name=name))
        (plugins / "action" / f"{name}.py").write_text(STANDIN_ACTION.format(name=name))
    return root


def run_configure(tmp_path, settings_file: pathlib.Path):
    """`ansible-playbook awx/configure.yml -e @<settings>`, as docs/awx.md shows it, against the
    recording stand-ins; returns the process and the recorded calls per awx.awx module."""
    log = tmp_path / "awx-calls.jsonl"
    log.touch()
    standins = _awx_standins(tmp_path / "standins")
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([str(standins), str(ensure_collection_link())]),
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_NOCOLOR": "1",
            "AWX_STANDIN_LOG": str(log),
            # One process per module run instead of copying it first: the stand-ins are local.
            "ANSIBLE_PIPELINING": "true",
            "PATH": os.pathsep.join([str(BIN), env.get("PATH", "")]),
        }
    )
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), str(AWX / "configure.yml"), "-e", f"@{settings_file}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    calls: dict[str, list[dict]] = {name: [] for name in AWX_MODULES}
    for line in log.read_text().splitlines():
        record = json.loads(line)
        calls[record["module"]].append(record["args"])
    return proc, calls


@functools.lru_cache(maxsize=1)
def awx_module_options() -> dict[str, dict]:
    """The documented options of the real awx.awx modules (the `ansible` package carries awx.awx)."""
    proc = subprocess.run(
        [str(BIN / "ansible-doc"), "--json", "-t", "module", *(f"awx.awx.{name}" for name in AWX_MODULES)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": ""},
    )
    docs = json.loads(proc.stdout)
    return {name.split(".")[-1]: doc["doc"]["options"] for name, doc in docs.items()}


def check_documented_options(module: str, args: dict, options: dict) -> list[str]:
    problems = []
    names = {}
    for name, spec in options.items():
        names[name] = spec
        for alias in spec.get("aliases", []):
            names[alias] = spec
    for key, value in args.items():
        spec = names.get(key)
        if spec is None:
            problems.append(f"{module}: unknown option {key}")
        elif spec.get("choices") and value not in spec["choices"]:
            problems.append(f"{module}: {key}={value!r} not in {spec['choices']}")
    for name, spec in options.items():
        if spec.get("required") and name not in args:
            problems.append(f"{module}: required option {name} missing")
    return problems


def check_awx_accepts(calls: dict, project_dir: pathlib.Path, settings: dict) -> list[str]:
    """Everything AWX would check when configure.yml's objects are created, as one list of problems."""
    problems = []
    options = awx_module_options()
    for module, records in calls.items():
        for args in records:
            problems += check_documented_options(module, args, options[module])

    types = {}
    for args in calls["credential_type"]:
        problems += [f"credential type {args['name']}: {e}" for e in awx_model.validate_credential_type(args["inputs"], args["injectors"])]
        types[args["name"]] = {"name": args["name"], "inputs": args["inputs"], "injectors": args["injectors"]}
    assert types, "no credential type created"

    credentials = {}
    for args in calls["credential"]:
        ctype = types.get(args["credential_type"])
        if ctype is None:
            problems.append(f"credential {args['name']}: unknown type {args['credential_type']}")
            continue
        stored, errors = awx_model.store_credential(ctype, args["inputs"])
        problems += [f"credential {args['name']}: {e}" for e in errors]
        problems += [f"credential {args['name']}: input {k} is empty" for k, v in args["inputs"].items() if v in ("", None)]
        credentials[args["name"]] = ctype
    credentials.update({name: {"name": f"machine {name}"} for name in settings.get("msteams_awx_machine_credentials", [])})

    environments = {args["name"] for args in calls["execution_environment"]}
    playbooks = awx_model.project_playbooks(project_dir)
    templates = set()
    for args in calls["job_template"]:
        templates.add(args["name"])
        if args["playbook"] not in playbooks:
            problems.append(f"job template {args['name']}: playbook {args['playbook']} is not among the project's {sorted(playbooks)}")
        if args["execution_environment"] not in environments:
            problems.append(f"job template {args['name']}: execution environment {args['execution_environment']} not created")
        kinds = [credentials.get(name, {}).get("name") for name in args["credentials"]]
        if None in kinds:
            problems.append(f"job template {args['name']}: credentials {args['credentials']} name one not created")
        if len(kinds) != len(set(kinds)):
            problems.append(f"job template {args['name']}: two credentials of one type")
        if not isinstance(args.get("extra_vars", {}), dict):
            problems.append(f"job template {args['name']}: extra_vars is not a dict")
    for args in calls["schedule"]:
        if args["unified_job_template"] not in templates:
            problems.append(f"schedule {args['name']}: no job template {args['unified_job_template']}")
        problems += [f"schedule {args['name']}: {e}" for e in awx_model.validate_rrule(args["rrule"])]
        try:
            from dateutil import rrule as dateutil_rrule  # AWX parses rrules with dateutil
        except ImportError:
            continue
        dateutil_rrule.rrulestr(args["rrule"].replace("DTSTART;TZID=UTC:", "DTSTART:").replace(" RRULE", "Z\nRRULE", 1))
    return problems


def test_settings_example_runs_as_shown_and_awx_accepts_what_it_creates(tmp_path):
    settings = settings_example()
    proc, calls = run_configure(tmp_path, AWX / "settings.example.yml")
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    tenants = len(settings["msteams_awx_tenants"])
    assert [len(calls[m]) for m in AWX_MODULES] == [len(credential_types()), tenants, 1, 3 * tenants, 2 * tenants]
    # msteams_awx_playbook_dir is empty: the project is a copy of awx/project/.
    assert check_awx_accepts(calls, AWX / "project", settings) == []
    # The credentials carry what the settings hold and nothing empty; the secrets are left to the UI.
    by_name = {c["name"]: c for c in calls["credential"]}
    contoso = by_name["procall-msteams automation contoso"]
    assert contoso["inputs"] == settings["msteams_awx_tenants"][0]["credential"]["inputs"]
    assert contoso["update_secrets"] is False


def test_configure_uses_this_repository_as_project_and_leaves_out_empty_inputs(tmp_path):
    settings = settings_example()
    settings["msteams_awx_playbook_dir"] = "awx/project"
    settings["msteams_awx_tenants"][0]["credential"]["inputs"].update({"client_secret": "s3cr3t-value", "cloud": ""})
    settings["msteams_awx_tenants"][1]["credential"]["inputs"]["certificate"] = None
    settings_file = tmp_path / "settings.yml"
    settings_file.write_text(yaml.safe_dump(settings))
    proc, calls = run_configure(tmp_path, settings_file)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    assert check_awx_accepts(calls, REPO, settings) == []
    by_name = {c["name"]: c["inputs"] for c in calls["credential"]}
    assert by_name["procall-msteams automation contoso"] == {
        "tenant_id": "11111111-2222-3333-4444-555555555555",
        "client_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "client_secret": "s3cr3t-value",
    }
    assert "certificate" not in by_name["procall-msteams automation fabrikam"]
    assert "s3cr3t-value" not in proc.stdout + proc.stderr


def test_configure_names_the_setting_that_is_wrong(tmp_path):
    settings = settings_example()
    settings["msteams_awx_tenants"][0]["credential"]["type"] = "password"
    settings["msteams_awx_tenants"][0]["credential"]["inputs"]["client_secret"] = "s3cr3t-value"
    settings_file = tmp_path / "settings.yml"
    settings_file.write_text(yaml.safe_dump(settings))
    proc, calls = run_configure(tmp_path, settings_file)
    assert proc.returncode != 0
    assert "type" in proc.stdout and "client_secret, certificate, certificate_with_password" in proc.stdout
    assert not any(calls.values()), "nothing may be created from settings that fail the check"
    assert "s3cr3t-value" not in proc.stdout + proc.stderr


WRAPPERS = ("onboard", "rotate_secret", "status")


@functools.lru_cache(maxsize=1)
def wrappers_syntax_check(tmp: str) -> subprocess.CompletedProcess:
    """One ``--syntax-check`` of every wrapper playbook (ansible-playbook takes several at once)."""
    pathlib.Path(tmp).mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,", *(str(AWX / "project" / f"{name}.yml") for name in WRAPPERS)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp,
        env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ensure_collection_link()), "ANSIBLE_LOCAL_TEMP": str(pathlib.Path(tmp) / "tmp")},
    )


@pytest.mark.parametrize("name", WRAPPERS)
def test_wrapper_playbook_imports_the_collection_playbook(name, tmp_path_factory):
    path = AWX / "project" / f"{name}.yml"
    (play,) = yaml.safe_load(path.read_text())
    assert play["ansible.builtin.import_playbook"] == f"procall.msteams.{name}"
    assert f"{name}.yml" in awx_model.project_playbooks(AWX / "project")
    proc = wrappers_syntax_check(str(tmp_path_factory.getbasetemp() / "awx-wrappers"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"playbook: {path}" in proc.stdout  # this wrapper was among the checked ones
