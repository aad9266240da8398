"""The documentation's examples do what the documents say: the example inventory yields every
tenant variable, module EXAMPLES are valid playbook tasks with valid options, the undo playbook
removes the app, the cron lines create their folders, and the systemd report runs after a failed
rotation."""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.playbook_runner import REPO, ensure_collection_link, run_playbook

BIN = pathlib.Path(sys.executable).parent
DOCS = REPO / "docs"
INVENTORY = DOCS / "examples" / "inventory"
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py"))


def _env(tmp_path, **extra):
    return {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_COLLECTIONS_PATH": str(ensure_collection_link()),
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
        **extra,
    }


def inventory_list(inventory: pathlib.Path, tmp_path) -> dict:
    proc = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(inventory), "--list"],
        capture_output=True,
        text=True,
        check=True,
        env=_env(tmp_path),
    )
    return json.loads(proc.stdout)


def documented_tenant_variables() -> set[str]:
    """Variable names in the 'Tenant group variables' table of docs/inventory.md."""
    text = (DOCS / "inventory.md").read_text()
    table = text.split("## Tenant group variables", 1)[1].split("\n\n", 2)[1]
    return {name for row in table.splitlines() if row.startswith("| `") for name in re.findall(r"`(msteams_\w+)`", row.split("|")[1])}


def test_example_inventory_gives_each_host_every_tenant_variable_it_sets(tmp_path):
    hostvars = inventory_list(INVENTORY / "hosts.yml", tmp_path)["_meta"]["hostvars"]
    documented = documented_tenant_variables()
    for group_dir in sorted((INVENTORY / "group_vars").iterdir()):
        if not group_dir.name.startswith("tenant_"):
            continue
        files = sorted(group_dir.glob("*.yml")) if group_dir.is_dir() else [group_dir]
        wanted = {}
        for path in files:
            wanted.update(yaml.safe_load(path.read_text()))
        assert set(k for k in wanted if not k.startswith("vault_")) <= documented, f"{group_dir.name}: undocumented variables"
        members = [h for h, hv in hostvars.items() if hv.get("msteams_tenant_name") == wanted["msteams_tenant_name"]]
        assert members, f"no host got the variables of {group_dir.name}"
        for host in members:
            assert set(wanted) <= set(hostvars[host]), f"{host} lacks {sorted(set(wanted) - set(hostvars[host]))}"
    contoso = hostvars["ucs01.contoso.example"]
    assert contoso["msteams_tenant_id"] == "11111111-2222-3333-4444-555555555555"
    assert contoso["msteams_auth_client_secret"] == "{{ vault_contoso_automation_secret }}"
    assert "vault_contoso_automation_secret" in contoso


def test_no_group_has_both_a_vars_file_and_a_vars_directory():
    names = {}
    for entry in (INVENTORY / "group_vars").iterdir():
        names.setdefault(entry.name.split(".")[0], []).append(entry.name)
    assert all(len(entries) == 1 for entries in names.values()), names


def test_a_group_vars_directory_hides_the_file_of_the_same_group(tmp_path):
    """Why docs/inventory.md says to keep all of a group's variables in its directory."""
    inventory = tmp_path / "inventory"
    (inventory / "group_vars" / "tenant_contoso").mkdir(parents=True)
    (inventory / "hosts.yml").write_text("all:\n  children:\n    tenant_contoso:\n      hosts:\n        ucs01:\n")
    (inventory / "group_vars" / "tenant_contoso.yml").write_text("msteams_tenant_id: 11111111-2222-3333-4444-555555555555\n")
    (inventory / "group_vars" / "tenant_contoso" / "vault.yml").write_text("vault_contoso_automation_secret: x\n")
    hostvars = inventory_list(inventory / "hosts.yml", tmp_path)["_meta"]["hostvars"]["ucs01"]
    assert "vault_contoso_automation_secret" in hostvars
    assert "msteams_tenant_id" not in hostvars


def module_docs(tmp_path) -> dict:
    proc = subprocess.run(
        [str(BIN / "ansible-doc"), "--json", "-t", "module", *(f"procall.msteams.{m}" for m in MODULES)],
        capture_output=True,
        text=True,
        check=True,
        env=_env(tmp_path),
    )
    return {name.rsplit(".", 1)[1]: data for name, data in json.loads(proc.stdout).items()}


def _spec(options: dict) -> dict:
    """An AnsibleModule argument_spec from documented options (ansible-test checks both agree)."""
    spec = {}
    for name, doc in options.items():
        entry = {"type": doc.get("type", "str")}
        for key in ("choices", "required", "elements", "aliases", "no_log"):
            if key in doc:
                entry[key] = doc[key]
        if "suboptions" in doc:
            entry["options"] = _spec(doc["suboptions"])
        spec[name] = entry
    return spec


PLACEHOLDERS = {"str": "placeholder", "path": "/placeholder", "int": 1, "float": 1.0, "bool": True, "list": ["placeholder"], "dict": {}, "raw": "placeholder"}


def _fill_templates(args: dict, spec: dict) -> dict:
    """Give a templated value ('{{ x }}') a value of the option's type, as it has at run time."""
    filled = {}
    for key, value in args.items():
        option = spec.get(key) or next((s for s in spec.values() if key in s.get("aliases", [])), {})
        if isinstance(value, str) and "{{" in value:
            value = PLACEHOLDERS.get(option.get("type", "str"), "placeholder")
        elif isinstance(value, list):
            value = [PLACEHOLDERS.get(option.get("elements", "str")) if isinstance(v, str) and "{{" in v else v for v in value]
        filled[key] = value
    return filled


def example_tasks(module: str, docs: dict) -> list[tuple[str, dict, dict]]:
    """(module, task args, module_defaults) of every task in a module's EXAMPLES."""
    found = []

    def walk(tasks, defaults):
        for task in tasks:
            scope = dict(defaults)
            for group, values in (task.get("module_defaults") or {}).items():
                if group in ("group/procall.msteams.graph", f"procall.msteams.{module}"):
                    scope.update(values)
            if "block" in task:
                walk(task["block"], scope)
                continue
            for key, args in task.items():
                if key.startswith("procall.msteams."):
                    found.append((key.rsplit(".", 1)[1], args, scope))

    walk(yaml.safe_load(docs[module]["examples"]), {})
    return found


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    return module_docs(tmp_path_factory.mktemp("ansible-doc"))


@pytest.mark.parametrize("module", MODULES)
def test_module_examples_pass_syntax_check(module, docs, tmp_path):
    play = tmp_path / "examples.yml"
    play.write_text(yaml.safe_dump([{"name": "EXAMPLES", "hosts": "localhost", "gather_facts": False, "tasks": yaml.safe_load(docs[module]["examples"])}]))
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,", str(play)], capture_output=True, text=True, env=_env(tmp_path), check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("module", MODULES)
def test_module_examples_pass_argument_validation(module, docs):
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    tasks = example_tasks(module, docs)
    assert tasks, f"{module}: EXAMPLES hold no task of the collection"
    problems = []
    for name, args, defaults in tasks:
        spec = _spec(docs[name]["doc"]["options"])
        result = ArgumentSpecValidator(spec).validate(_fill_templates({**defaults, **args}, spec))
        problems += [f"{name}: {e}" for e in result.error_messages]
    assert not problems


def _playbook_default_unique_name() -> str:
    # The playbooks' default for msteams_app_unique_name is decided in Python (run_prepare).
    from ansible_collections.procall.msteams.plugins.module_utils._run_settings import DEFAULT_APP_UNIQUE_NAME

    return DEFAULT_APP_UNIQUE_NAME


@pytest.mark.parametrize("module", MODULES)
def test_module_examples_use_the_playbooks_app(module, docs):
    """Copying an example must find the app the playbooks made, not create a second one."""
    names = {args["unique_name"] for _module, args, _defaults in example_tasks(module, docs) if "unique_name" in args and "{{" not in str(args["unique_name"])}
    assert names <= {_playbook_default_unique_name()}, f"{module} EXAMPLES use unique_name {sorted(names)}"


UNDO = DOCS / "examples" / "undo" / "remove-app.yml"


def test_undo_example_in_the_document_is_the_shipped_playbook():
    text = (DOCS / "changes-and-undo.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert UNDO.read_text() in blocks


def test_undo_playbook_removes_the_app_with_the_inventory_the_playbooks_use(graph_emulator, tmp_path):
    tenant = graph_emulator.add_tenant("contoso")
    identity = graph_emulator.add_automation_identity(tenant, roles=["Application.ReadWrite.All"])
    admin = graph_emulator.admin(tenant)
    admin.add_application({"displayName": "ProCall Integration in Microsoft Teams", "uniqueName": "procall-msteams"})
    other = admin.add_application({"displayName": "Something else", "uniqueName": "other"})
    group_vars = {
        "msteams_tenant_id": tenant,
        "msteams_auth_client_id": identity["client_id"],
        "msteams_auth_client_secret": identity["client_secret"],
        "msteams_graph_login_endpoint": graph_emulator.url,
        "msteams_graph_endpoint": graph_emulator.url,
        "msteams_graph_ca_path": graph_emulator.ca_path,
    }
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = tmp_path / "hosts.yml"
    hosts = {"ucs01.contoso.example": local, "ucs02.contoso.example": local}
    inventory.write_text(yaml.safe_dump({"ucservers": {"children": {"tenant_contoso": {"hosts": hosts, "vars": group_vars}}}}))

    def apps():
        return sorted(a.get("uniqueName") for a in graph_emulator.state(tenant)["applications"] if a["appId"] != identity["client_id"])

    check = run_playbook(UNDO, workdir=tmp_path / "check", inventory=inventory, check=True, limit="tenant_contoso")
    assert check.rc == 0, check
    assert apps() == ["other", "procall-msteams"]
    real = run_playbook(UNDO, workdir=tmp_path / "real", inventory=inventory, limit="tenant_contoso")
    assert real.rc == 0, real
    changed = sorted(h for h, r in real.task_results("Delete the app (restorable for 30 days in the Entra admin center)").items() if r["changed"])
    assert len(changed) == 1, "the first host deletes the app, the second finds it gone"
    assert apps() == ["other"]
    assert other["appId"] in {a["appId"] for a in graph_emulator.state(tenant)["applications"]}
    again = run_playbook(UNDO, workdir=tmp_path / "again", inventory=inventory, limit="tenant_contoso")
    assert again.rc == 0 and not any(again.changed(h) for h in hosts), again


CRON = DOCS / "examples" / "cron" / "procall-msteams"


def cron_commands() -> list[str]:
    lines = [line for line in CRON.read_text().splitlines() if line and not line.startswith("#") and "=" not in line.split()[0]]
    return [line.split(None, 6)[6] for line in lines]


@pytest.mark.parametrize("index", range(len(cron_commands())))
@pytest.mark.parametrize("playbook_rc", [0, 2])
def test_cron_line_creates_its_folders_and_speaks_only_on_failure(index, playbook_rc, tmp_path):
    controller = tmp_path / "srv"
    (controller / "venv" / "bin").mkdir(parents=True)
    stub = controller / "venv" / "bin" / "ansible-playbook"
    stub.write_text(f'#!/bin/sh\necho "ansible-playbook $*"\nexit {playbook_rc}\n')
    stub.chmod(0o755)
    command = cron_commands()[index].replace("/srv/procall-msteams", str(controller))
    proc = subprocess.run(["/bin/bash", "-c", command], capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin"})
    assert (controller / "log").is_dir()
    assert any((controller / "log").iterdir()), "the run's output goes to a log file"
    if playbook_rc == 0:
        assert proc.stdout == "" and proc.stderr == "", "cron mails whatever a line prints"
    else:
        assert proc.stdout.strip(), "a failed run must print, so cron mails it"


SYSTEMD = DOCS / "examples" / "systemd"


def _unit(path: pathlib.Path) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            keys.setdefault(key, []).append(value)
    return keys


def test_status_report_runs_after_a_failed_rotation_too():
    rotate = _unit(SYSTEMD / "procall-msteams-rotate.service")
    assert "ExecStartPost" not in rotate, "ExecStartPost= is skipped when ExecStart= failed"
    assert rotate["OnFailure"] == rotate["OnSuccess"] == ["procall-msteams-status.service"]
    status = _unit(SYSTEMD / "procall-msteams-status.service")
    assert any("procall.msteams.status" in cmd for cmd in status["ExecStart"])


def test_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for unit in SYSTEMD.iterdir():
        # The controller's venv does not exist here: point the commands at /bin/true.
        text = re.sub(r"(Exec\w+=)\S+", r"\1/bin/true", unit.read_text())
        (tmp_path / unit.name).write_text(text)
    proc = subprocess.run([analyze, "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
