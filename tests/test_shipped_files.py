"""What the built collection ships is fit for Galaxy: it names only documents it ships, its links
work outside the repository, its license is declared in every plugin, and its first release's
changelog lists every module, filter and the role.

The shipped file list is computed like ``ansible-galaxy collection build`` does (galaxy.yml
``build_ignore`` plus its built-in ignores), and one test checks it against a real build.
"""

from __future__ import annotations

import fnmatch
import functools
import pathlib
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
# ansible-galaxy's own ignores (ansible/galaxy/collection/__init__.py, _build_files_manifest_walk).
BUILTIN_IGNORES = ["MANIFEST.json", "FILES.json", "galaxy.yml", "galaxy.yaml", ".git", "*.pyc", "*.retry", "tests/output", "procall-msteams-*.tar.gz"]
IGNORED_DIR_NAMES = {"CVS", ".bzr", ".hg", ".git", ".svn", "__pycache__", ".tox"}
TEXT_SUFFIXES = {".md", ".yml", ".yaml", ".py", ".txt", ".j2", ".rst", ".cfg", ".service", ".timer", ".ps1", ".json", ""}

VENDOR_STEPS = [
    "Register the app",
    "Add the redirect URIs",
    "Add the Graph permissions",
    "Grant admin consent",
    "Create a client secret",
    "Close the admin GUI",
    "Stop the UCServer service",
    "Write msteams.cfg",
    "Renew the secret",
    "Start the UCServer service",
    "Commission in the admin GUI",
]


def _ignored(rel: str) -> bool:
    patterns = BUILTIN_IGNORES + list(GALAXY.get("build_ignore", []))
    parts = rel.split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        if depth < len(parts) and parts[depth - 1] in IGNORED_DIR_NAMES:
            return True
        if any(fnmatch.fnmatch(prefix, pattern) for pattern in patterns):
            return True
    return False


@functools.lru_cache(maxsize=1)
def shipped_files() -> tuple[str, ...]:
    """Relative paths of every file the artifact holds (tracked or new, not git-ignored)."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO, capture_output=True, check=True).stdout.decode()
    files = {name for name in out.split("\0") if name and (REPO / name).is_file()}
    return tuple(sorted(name for name in files if not _ignored(name)))


def shipped_text_files() -> list[str]:
    return [name for name in shipped_files() if pathlib.PurePosixPath(name).suffix in TEXT_SUFFIXES]


def repository() -> str:
    return GALAXY["repository"].rstrip("/")


def _without_urls(text: str) -> str:
    """Public URLs are citations, not mentions of a local document."""
    return re.sub(r"https?://[^\s)>\]\"'`]+", "URL", text)


def _shipped_md_names() -> set[str]:
    names = set()
    for name in shipped_files():
        if name.endswith(".md"):
            names.add(name)
            names.add(pathlib.PurePosixPath(name).name)
    return names


def unshipped_document_mentions(rel: str, text: str) -> list[str]:
    """Words in a shipped file that name a document the artifact does not hold."""
    text = _without_urls(text)
    found = []
    for word in ("DESIGN.md", "tooling.md", "reference/", "shared/", "docs/dev"):
        if word in text:
            found.append(word)
    found += re.findall(r"\bseed\b", text)
    shipped = _shipped_md_names()
    base = pathlib.PurePosixPath(rel).parent
    for token in re.findall(r"[\w./-]+\.md\b", text):
        token = token.lstrip("./")
        # A bare name may be any shipped document of that name; a path must be one, from the
        # file's folder or from the collection root.
        candidates = {token, posixpath.normpath(str(base / token))} if "/" in token else {token}
        if not candidates & shipped and token not in found:
            found.append(token)
    return found


def step_numbers(text: str) -> list[str]:
    """The old "A7" / "B8" numbering of the vendor steps, which no shipped document explains."""
    return re.findall(r"\b[AB][1-9]\b", _without_urls(text))


def test_computed_file_list_matches_a_real_build(tmp_path):
    subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    (artifact,) = tmp_path.glob("procall-msteams-*.tar.gz")
    with tarfile.open(artifact) as tar:
        in_tar = {m.name for m in tar.getmembers() if m.isfile()} - {"MANIFEST.json", "FILES.json"}
    assert in_tar == set(shipped_files())


def test_contributor_documents_are_not_shipped():
    assert not [name for name in shipped_files() if name.startswith(("docs/dev/", "tests/", "hack/"))]
    assert "LICENSE" in shipped_files()


@pytest.mark.parametrize("rel", shipped_text_files())
def test_shipped_file_names_only_shipped_documents(rel):
    mentions = unshipped_document_mentions(rel, (REPO / rel).read_text(errors="replace"))
    assert not mentions, f"{rel} names documents that are not shipped: {mentions}; cite a public page instead"


@pytest.mark.parametrize("rel", shipped_text_files())
def test_shipped_file_refers_to_vendor_steps_by_name(rel):
    numbers = step_numbers((REPO / rel).read_text(errors="replace"))
    assert not numbers, f"{rel} uses step numbers {sorted(set(numbers))}: name the step as docs/vendor-procedure.md does ({', '.join(VENDOR_STEPS)})"


def test_detectors_find_what_they_look_for():
    """The two checks above would catch the mentions this collection used to ship."""
    assert unshipped_document_mentions("plugins/x.py", "# reference/graph.md: see DESIGN.md, seed/README.md A7") == [
        "DESIGN.md",
        "reference/",
        "seed",
        "reference/graph.md",
        "seed/README.md",
    ]
    assert unshipped_document_mentions("docs/a.md", "[b](inventory.md), README.md, https://x.example/DESIGN.md") == []
    assert step_numbers("vendor steps A2-A7 and B8; hash A7f, https://h.example/A7") == ["A2", "A7", "B8"]


@pytest.mark.parametrize("rel", sorted(n for n in shipped_files() if n.startswith("plugins/") and n.endswith(".py")))
def test_plugin_declares_its_license(rel):
    head = (REPO / rel).read_text().splitlines()[:6]
    assert "# SPDX-License-Identifier: GPL-3.0-or-later" in head, rel
    assert any(line.startswith("# Copyright") for line in head), rel


def test_license_is_the_gpl_v3_text():
    text = (REPO / "LICENSE").read_text()
    assert text.lstrip().startswith("GNU GENERAL PUBLIC LICENSE") and "Version 3, 29 June 2007" in text
    assert GALAXY["license"] == ["GPL-3.0-or-later"]


def first_release() -> str:
    releases = (yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text()) or {}).get("releases") or {}
    return min(releases, key=lambda v: tuple(int(x) for x in v.split("."))) if releases else GALAXY["version"]


def documented_version_added() -> dict[str, object]:
    found = {}
    for path in sorted((REPO / "plugins" / "modules").glob("*.py")):
        match = re.search(r'DOCUMENTATION = r?"""(.*?)"""', path.read_text(), flags=re.S)
        found[f"module {path.stem}"] = yaml.safe_load(match.group(1)).get("version_added")
    for path in sorted((REPO / "plugins" / "filter").glob("*.yml")):
        found[f"filter {path.stem}"] = yaml.safe_load(path.read_text())["DOCUMENTATION"].get("version_added")
    for role in sorted((REPO / "roles").iterdir()):
        specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
        for entry, spec in specs.items():
            found[f"role {role.name}:{entry}"] = spec.get("version_added")
    return found


def test_every_plugin_and_role_entry_point_was_added_in_the_first_release():
    versions = documented_version_added()
    assert len(versions) >= 5 + 2
    wrong = {name: version for name, version in versions.items() if str(version) != first_release()}
    assert not wrong, f"version_added must be {first_release()} (the first release): {wrong}"


def test_trial_release_changelog_lists_every_module_filter_and_the_role(tmp_path):
    """antsibull-changelog picks new plugins by version_added: a trial release must list all."""
    tool = BIN / "antsibull-changelog"
    if not tool.exists():
        pytest.fail("antsibull-changelog is missing: it is in requirements-dev.txt")
    dest = tmp_path / "ansible_collections" / "procall" / "msteams"
    dest.mkdir(parents=True)
    for rel in [*shipped_files(), "galaxy.yml", *(str(p.relative_to(REPO)) for p in (REPO / "changelogs").rglob("*") if p.is_file())]:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, dest / rel)
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "ANSIBLE_COLLECTIONS_PATH": str(tmp_path), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [str(tool), "release", "--version", first_release(), "--date", "2026-01-01"],
        cwd=dest,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    changelog = (dest / "CHANGELOG.rst").read_text()
    expected = [name.split(" ", 1)[1].split(":")[0] for name in documented_version_added()]
    missing = sorted({name for name in expected if f"procall.msteams.{name} - " not in changelog})
    assert not missing, f"the {first_release()} changelog does not list {missing}"
    assert "New Roles" in changelog and "New Modules" in changelog


def test_galaxy_metadata_points_at_the_public_repository():
    repo = repository()
    assert re.fullmatch(r"https://[\w.-]+/[\w.-]+/[\w.-]+", repo), repo
    assert "example" not in repo and "invalid" not in repo
    assert GALAXY["homepage"] == repo
    assert GALAXY["issues"] == f"{repo}/issues"
    assert GALAXY["documentation"].startswith(f"{repo}/blob/")


def _github_slug(heading: str) -> str:
    slug = heading.strip().lower()
    slug = re.sub(r"[^\w\- ]", "", slug)
    return slug.replace(" ", "-")


def _anchors(path: pathlib.Path) -> set[str]:
    return {_github_slug(m) for m in re.findall(r"^#+ (.+)$", path.read_text(), flags=re.M)}


@pytest.mark.parametrize("rel", sorted(n for n in shipped_files() if n.endswith(".md")))
def test_markdown_links_work_on_galaxy(rel):
    """Galaxy shows README.md and docs/*.md without the repository: links must be absolute, and
    those into the repository must reach a file (and heading) that exists."""
    text = (REPO / rel).read_text()
    problems = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith("#"):
            if target[1:] not in _anchors(REPO / rel):
                problems.append(f"{target}: no such heading")
            continue
        if "://" not in target:
            problems.append(f"{target}: relative link (dead on Galaxy); use {repository()}/blob/main/...")
            continue
        if not target.startswith(repository() + "/"):
            continue
        match = re.fullmatch(re.escape(repository()) + r"/(blob|tree)/[^/]+/([^#]+)(?:#(.*))?", target)
        if not match:
            if target != f"{repository()}/issues":
                problems.append(f"{target}: not a blob/tree link")
            continue
        kind, path, anchor = match.groups()
        local = REPO / path
        if kind == "blob" and not local.is_file() or kind == "tree" and not local.is_dir():
            problems.append(f"{target}: {path} is not a {'file' if kind == 'blob' else 'folder'} here")
        elif anchor and local.suffix == ".md" and anchor not in _anchors(local):
            problems.append(f"{target}: no heading #{anchor} in {path}")
    assert not problems, f"{rel}: " + "; ".join(problems)


def test_vendor_procedure_names_each_step_once_in_order_and_cites_the_vendor():
    page = REPO / "docs" / "vendor-procedure.md"
    assert "docs/vendor-procedure.md" in shipped_files()
    text = page.read_text()
    assert re.findall(r"^### (.+)$", text, flags=re.M) == VENDOR_STEPS
    assert "https://support.estos.de/" in text


def test_set_repository_url_moves_every_link(tmp_path):
    """The maintainer changes the repository in one place: hack/set-repository-url.py."""
    dest = tmp_path / "repo"
    for rel in [*shipped_files(), "galaxy.yml", "hack/set-repository-url.py"]:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, dest / rel)
    proc = subprocess.run(
        [sys.executable, str(dest / "hack" / "set-repository-url.py"), "https://git.example.org/team/procall-msteams"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    galaxy = yaml.safe_load((dest / "galaxy.yml").read_text())
    assert galaxy["repository"] == "https://git.example.org/team/procall-msteams"
    assert galaxy["issues"] == "https://git.example.org/team/procall-msteams/issues"
    leftovers = [rel for rel in shipped_text_files() if repository() in (dest / rel).read_text(errors="replace")]
    assert not leftovers
    assert "https://git.example.org/team/procall-msteams/blob/main/docs/inventory.md" in (dest / "README.md").read_text()
