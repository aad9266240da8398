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
