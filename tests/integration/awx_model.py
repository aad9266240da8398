"""What AWX does with a custom credential type, job template and schedule, written down from AWX's
documented behaviour, so tests can check ours without an AWX server.

Sources (AWX, https://github.com/ansible/awx): docs/credentials/custom_credential_types.md; the
validation of credential type inputs and injectors and of credential inputs (awx/main/fields.py);
how a job's environment is built from a credential (CredentialType.inject_credential in
awx/main/models/credential.py); which project files count as playbooks
(awx/main/utils/ansible.py); the rrule rules of schedules (awx/api/serializers.py). None of
AWX's code is copied here; this is our own reading of those rules.
"""

from __future__ import annotations

import os
import pathlib
import re
import stat
import tempfile

from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

NAME = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$")
FIELD_KEYS = {"id", "label", "type", "format", "choices", "help_text", "multiline", "secret", "ask_at_runtime", "default"}
STRING_ONLY_KEYS = ("choices", "multiline", "format", "secret")
# Variables a credential may not set (AWX's ENV_BLOCKLIST), besides any ANSIBLE_* variable.
ENV_BLOCKLIST = {
    "VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID", "INVENTORY_UPDATE_ID",
    "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES", "CALLBACK_QUEUE", "CALLBACK_CONNECTION",
    "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS", "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH",
}  # fmt: skip
FILE_LABEL = re.compile(r"^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$")


class _Namespace:
    pass


def validate_credential_type(inputs: dict, injectors: dict) -> list[str]:
    """The errors AWX would answer when this credential type is saved (empty list: accepted)."""
    errors = []
    if set(inputs) - {"fields", "required"}:
        errors.append(f"inputs: unknown keys {sorted(set(inputs) - {'fields', 'required'})}")
    ids = []
    for field in inputs.get("fields", []):
        if set(field) - FIELD_KEYS:
            errors.append(f"field {field.get('id')}: unknown keys {sorted(set(field) - FIELD_KEYS)}")
        if "id" not in field or "label" not in field:
            errors.append(f"field {field}: id and label are required")
            continue
        if not NAME.match(field["id"]) or field["id"] == "tower":
            errors.append(f"field {field['id']}: invalid or reserved name")
        if field["id"] in ids:
            errors.append(f"field IDs must be unique ({field['id']})")
        ids.append(field["id"])
        kind = field.get("type", "string")
        if kind not in ("string", "boolean"):
            errors.append(f"field {field['id']}: type must be string or boolean")
        if "default" in field and not isinstance(field["default"], {"string": str, "boolean": bool}.get(kind, str)):
            errors.append(f"field {field['id']}: default {field['default']!r} is not a {kind}")
        for key in STRING_ONLY_KEYS:
            if key in field and kind != "string":
                errors.append(f"field {field['id']}: {key} not allowed for {kind}")
        choices = field.get("choices")
        if choices is not None and (not choices or len(set(choices)) != len(choices) or not all(isinstance(c, str) for c in choices)):
            errors.append(f"field {field['id']}: choices must be unique strings")
        if "format" in field and field["format"] not in ("ssh_private_key", "url"):
            errors.append(f"field {field['id']}: unknown format")
    for name in inputs.get("required", []):
        if name not in ids:
            errors.append(f"required names an undefined field {name}")

    if set(injectors) - {"file", "env", "extra_vars"}:
        errors.append(f"injectors: unknown keys {sorted(set(injectors) - {'file', 'env', 'extra_vars'})}")
    files = injectors.get("file", {})
    for label in files:
        if not FILE_LABEL.match(label):
            errors.append(f"file injector {label}: must be 'template' or 'template.<name>'")
    if "template" in files and len(files) > 1:
        errors.append("Must use multi-file syntax when injecting multiple files")
    for name, value in injectors.get("env", {}).items():
        if not NAME.match(name):
            errors.append(f"env {name}: not a variable name")
        if name.startswith("ANSIBLE_") or name in ENV_BLOCKLIST:
            errors.append(f"env {name}: not allowed in credentials")
        if not isinstance(value, str) or not value.isascii():
            errors.append(f"env {name}: value must be an ASCII string")

    # Every template must render when each defined field holds a value; tower.filename only
    # where a file injector defines it.
    namespace = {field_id: "EXAMPLE" for field_id in ids}
    tower = _Namespace()
    if "template" in files:
        tower.filename = "EXAMPLE_FILENAME"
    elif files:
        tower.filename = _Namespace()
        for label in files:
            setattr(tower.filename, label.split(".", 1)[1], "EXAMPLE_FILENAME")
    namespace["tower"] = tower
    sandbox = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    templates = [("file", k, v) for k, v in files.items()] + [("env", k, v) for k, v in injectors.get("env", {}).items()]
    templates += [("extra_vars", k, v) for k, v in _flatten(injectors.get("extra_vars", {}))]
    for kind, key, template in templates:
        try:
            sandbox.from_string(template).render(namespace)
        except UndefinedError as e:
            errors.append(f"{kind} {key} uses an undefined field ({e})")
        except (SecurityError, TemplateSyntaxError) as e:
            errors.append(f"{kind} {key}: {e}")
    return errors


def _flatten(node, key=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _flatten(v, f"{key}.{k}" if key else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _flatten(v, f"{key}[{i}]")
    else:
        yield key, node


def store_credential(credential_type: dict, inputs: dict) -> tuple[dict, list[str]]:
    """What AWX stores for a credential of this type, and the errors it answers when saving it.

    AWX fills an input saved empty (or null) with the field's default, rejects unknown fields and
    values outside a field's choices, and does not enforce `required` for ordinary credentials
    (the UI does): a credential without its secret is accepted and injects ''."""
    fields = {f["id"]: f for f in credential_type["inputs"].get("fields", [])}
    stored = dict(inputs)
    errors = []
    for key, value in inputs.items():
        if not value and "default" in fields.get(key, {}):
            stored[key] = fields[key]["default"]
    for key, value in stored.items():
        field = fields.get(key)
        if field is None:
            errors.append(f"{key}: not a field of {credential_type['name']}")
            continue
        kind = field.get("type", "string")
        if kind == "boolean" and not isinstance(value, bool) or kind == "string" and not isinstance(value, str):
            errors.append(f"{key}: must be a {kind}")
        if field.get("choices") and value not in field["choices"]:
            errors.append(f"{key}: {value!r} is not one of {field['choices']}")
    return stored, errors


def inject_credential(credential_type: dict, stored_inputs: dict, private_data_dir: str | os.PathLike) -> dict:
    """The environment variables AWX sets for a job that uses this credential.

    Only inputs with a non-empty value (or booleans) are in the template namespace; a missing
    boolean field is False; templates render with Jinja's default Undefined, so a missing input
    becomes ''. Each file injector is written (mode 0600) below the job's private data dir and
    its path is offered as tower.filename[.<name>]. Every env injector is set, always."""
    fields = credential_type["inputs"].get("fields", [])
    namespace: dict = {}
    for key, value in stored_inputs.items():
        if isinstance(value, bool) or len(value):
            namespace[key] = value
    for field in fields:
        if field.get("type") == "boolean" and field["id"] not in stored_inputs:
            namespace[field["id"]] = False
        if field.get("format") == "ssh_private_key" and field["id"] in namespace and not namespace[field["id"]].endswith("\n"):
            namespace[field["id"]] += "\n"
    tower = _Namespace()
    namespace["tower"] = tower
    sandbox = ImmutableSandboxedEnvironment()
    env_dir = pathlib.Path(private_data_dir) / "env"
    env_dir.mkdir(parents=True, exist_ok=True)
    for label, template in credential_type["injectors"].get("file", {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as f:
            f.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if "." not in label:
            tower.filename = path
        else:
            if not hasattr(tower, "filename"):
                tower.filename = _Namespace()
            setattr(tower.filename, label.split(".", 1)[1], path)
    return {name: sandbox.from_string(template).render(**namespace) for name, template in credential_type["injectors"].get("env", {}).items()}


PLAYBOOK_LINE = re.compile(r"^\s*?-?\s*?(?:hosts|(ansible\.builtin\.)?include|(ansible\.builtin\.)?import_playbook):\s*?.*?$")


def project_playbooks(project_dir: str | os.PathLike) -> set[str]:
    """The files AWX offers as playbooks of a project (what a job template may name)."""
    project_dir = pathlib.Path(project_dir)
    found = set()
    for dirpath, _dirs, filenames in os.walk(project_dir):
        parts = pathlib.Path(dirpath).relative_to(project_dir).parts
        if {"roles", "tasks", "group_vars", "host_vars"} & set(parts) or any(p.startswith(".") for p in parts):
            continue
        for name in filenames:
            path = pathlib.Path(dirpath) / name
            if path.suffix not in (".yml", ".yaml"):
                continue
            lines = path.read_text(errors="ignore").splitlines()
            if any(PLAYBOOK_LINE.match(line) for line in lines) or (lines and lines[0].startswith("$ANSIBLE_VAULT;")):
                found.add(str(path.relative_to(project_dir)))
    return found


def validate_rrule(rrule: str) -> list[str]:
    """AWX's rules for a schedule's rrule, before it parses it with dateutil."""
    errors = []
    starts = re.findall(r".*?(DTSTART(;[^:]+)?\:[0-9]+T[0-9]+Z?)", rrule)
    if not starts:
        errors.append("Valid DTSTART required")
    if len(starts) > 1:
        errors.append("Multiple DTSTART is not supported")
    if re.findall(r".*?(DTSTART:[0-9]+T[0-9]+) ", rrule):
        errors.append("DTSTART cannot be a naive datetime")
    if "rrule:" not in rrule.lower():
        errors.append("One or more rule required")
    if "exdate:" in rrule.lower() or "rdate:" in rrule.lower():
        errors.append("EXDATE / RDATE not allowed")
    for rule in re.findall(r".*?(RULE\:[^\s]*)", rrule):
        if "interval" not in rule.lower():
            errors.append(f"INTERVAL required: {rule}")
        elif "secondly" in rule.lower():
            errors.append(f"SECONDLY is not supported: {rule}")
        if re.match(r".*?BYDAY[\:\=][0-9]+[a-zA-Z]{2}", rule):
            errors.append(f"BYDAY with numeric prefix not supported: {rule}")
        if "COUNT" in rule and "UNTIL" in rule:
            errors.append(f"RRULE may not contain both COUNT and UNTIL: {rule}")
    return errors
