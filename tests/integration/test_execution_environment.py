"""The execution environment definition builds a context with ansible-builder (no container runtime
needed), installs the collection from the artifact this checkout builds, and its base image's
Python can run every ansible-core the collection supports."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
EE = yaml.safe_load((REPO / "execution-environment.yml").read_text())
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
RUNTIME = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())

# Controller Pythons of each ansible-core minor (ansible-core support matrix,
# https://docs.ansible.com/ansible/latest/reference_appendices/release_and_maintenance.html).
CONTROLLER_PYTHONS = {
    "2.15": ("3.9", "3.10", "3.11"),
    "2.16": ("3.10", "3.11", "3.12"),
    "2.17": ("3.10", "3.11", "3.12"),
    "2.18": ("3.11", "3.12", "3.13"),
    "2.19": ("3.11", "3.12", "3.13"),
    "2.20": ("3.12", "3.13", "3.14"),
}
SUPPORTED_CORES = ("2.16", "2.17", "2.18", "2.19", "2.20")


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def ee_python() -> str:
    path = EE["dependencies"]["python_interpreter"]["python_path"]
    match = re.search(r"python(3\.\d+)$", path)
    assert match, f"python_path {path} does not name its version"
    return match.group(1)


def ee_core_minors() -> list[str]:
    """The ansible-core minors the EE's pip requirement allows."""
    spec = EE["dependencies"]["ansible_core"]["package_pip"]
    low = re.search(r">=\s*([\d.]+)", spec).group(1)
    high = re.search(r"<\s*([\d.]+)", spec).group(1)
    return [core for core in CONTROLLER_PYTHONS if _minor(low) <= _minor(core) < _minor(high)]


def test_collection_ee_metadata_points_at_real_files():
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    for kind in ("python", "system"):
        assert (REPO / meta["dependencies"][kind]).is_file()


def test_ee_ansible_core_range_is_the_supported_range():
    assert ee_core_minors() == list(SUPPORTED_CORES)
    required = re.search(r">=\s*([\d.]+)", RUNTIME["requires_ansible"]).group(1)
    assert _minor(required) == _minor(SUPPORTED_CORES[0])


def test_ee_python_runs_every_supported_ansible_core():
    """pip installs the newest allowed ansible-core, so the image's Python must suit the newest;
    one that suits all of them keeps a pinned older core possible too."""
    python = ee_python()
    unsupported = [core for core in ee_core_minors() if python not in CONTROLLER_PYTHONS[core]]
    assert not unsupported, f"Python {python} of the EE base image is no controller Python for ansible-core {unsupported}"


def test_the_matrix_runs_the_ee_combination():
    """The support matrix (hack/compat.py, when present) has a cell with the EE's Python and the
    newest core, which is what pip puts into the image."""
    compat = REPO / "hack" / "compat.py"
    if not compat.exists():
        pytest.skip("hack/compat.py (the support matrix) is not in this checkout")
    cells = re.findall(r'Cell\("(2\.\d+)",\s*"(3\.\d+)"', compat.read_text())
    assert (SUPPORTED_CORES[-1], ee_python()) in cells, cells


def test_pip_finds_a_supported_core_for_the_ee_python(tmp_path):
    """What made the old image fail: for its Python, pip finds no ansible-core in the range."""
    spec = EE["dependencies"]["ansible_core"]["package_pip"]
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--python-version", ee_python(), "-d", str(tmp_path), spec],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0 and "No matching distribution" not in proc.stderr:
        pytest.skip(f"no package index reachable: {proc.stderr[-300:]}")
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("ansible_core-*.whl")
    assert re.match(r"ansible_core-2\.20\.", wheel.name), wheel.name


def test_ee_installs_the_collection_from_the_built_artifact():
    artifact = f"procall-msteams-{GALAXY['version']}.tar.gz"
    (build_file,) = EE["additional_build_files"]
    assert build_file["src"] == f".build/dist/{artifact}"
    names = {c["name"]: c for c in EE["dependencies"]["galaxy"]["collections"]}
    local = names[f"/build/{build_file['dest']}/{artifact}"]
    assert local["type"] == "file"
    assert "procall.msteams" not in names, "procall.msteams is not on Galaxy: install the built tarball"
    assert "ansible.windows" in names
    assert names["ansible.windows"]["version"] == ">=" + GALAXY["dependencies"]["ansible.windows"].lstrip(">=")


def test_ansible_builder_creates_the_build_context(tmp_path):
    builder = BIN / "ansible-builder"
    if not builder.exists() and shutil.which("ansible-builder") is None:
        pytest.fail("ansible-builder is missing: it is in requirements-dev.txt")
    work = tmp_path / "ee"
    work.mkdir()
    # ansible-builder resolves the files next to the definition: copy what it needs, and build
    # the artifact where the definition expects it.
    for name in ("execution-environment.yml", "requirements.txt", "bindep.txt"):
        shutil.copy(REPO / name, work / name)
    subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(work / ".build" / "dist"), str(REPO)],
        check=True,
        capture_output=True,
    )
    proc = subprocess.run(
        [
            str(builder if builder.exists() else "ansible-builder"),
            "create",
            "-f",
            "execution-environment.yml",
            "-c",
            "context",
            "--output-filename",
            "Containerfile",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No matches" not in proc.stdout + proc.stderr
    containerfile = (work / "context" / "Containerfile").read_text()
    build = work / "context" / "_build"
    assert "msal" in (build / "requirements.txt").read_text()
    assert "krb5" in (build / "bindep.txt").read_text()
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    local = [c["name"] for c in galaxy["collections"] if c.get("type") == "file"]
    assert local == [f"/build/collections/procall-msteams-{GALAXY['version']}.tar.gz"]
    # The image copies _build to /build before it installs the requirements.
    assert (build / "collections" / f"procall-msteams-{GALAXY['version']}.tar.gz").is_file()
    assert "COPY _build /build" in containerfile
    assert f'ARG PYCMD="{EE["dependencies"]["python_interpreter"]["python_path"]}"' in containerfile
    assert "ansible-core>=2.16,<2.21" in containerfile
