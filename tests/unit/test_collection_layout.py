"""Layout checks that hold from the first commit on."""

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_galaxy_names_the_collection():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert (galaxy["namespace"], galaxy["name"]) == ("procall", "msteams")
    assert "ansible.windows" in galaxy["dependencies"]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme
    assert "make test" in ci


def test_built_artifact_holds_no_tests_or_dev_files(tmp_path):
    """`ansible-galaxy collection build` must ship the collection, not our test and dev tree."""
    import subprocess
    import sys
    import tarfile

    galaxy = pathlib.Path(sys.executable).parent / "ansible-galaxy"
    subprocess.run(
        [str(galaxy), "collection", "build", "--force", "--output-path", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (artifact,) = tmp_path.glob("procall-msteams-*.tar.gz")
    with tarfile.open(artifact) as tar:
        names = tar.getnames()
    top_level = {name.split("/", 1)[0] for name in names}
    assert "plugins" in top_level and "meta" in top_level
    forbidden = {
        "tests",
        ".ci",
        ".venv",
        ".build",
        "hack",
        "Makefile",
        "conftest.py",
        "requirements-dev.txt",
        "ruff.toml",
        "pyproject.toml",
        ".pytest_cache",
        ".ruff_cache",
    }
    assert not top_level & forbidden, sorted(top_level & forbidden)
    assert not [n for n in names if "__pycache__" in n or n.startswith("changelogs/fragments/")]
