#!/usr/bin/env python
"""Move the collection's public home: one command for galaxy.yml and every shipped link.

    python3 hack/set-repository-url.py https://github.com/<owner>/<name> [--branch main]

Galaxy renders README.md and docs/*.md without the repository around them, so shipped
documents link to the repository with absolute URLs (``<repository>/blob/<branch>/<path>``).
galaxy.yml's ``repository`` is the one place that says where that is; this script rewrites
``repository``, ``homepage``, ``documentation``, ``issues`` and every absolute link that
starts with the old repository URL. tests/test_shipped_files.py fails when they disagree.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".md", ".yml", ".yaml", ".py", ".txt", ".j2", ".rst", ".cfg", ""}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="new repository URL, e.g. https://github.com/owner/name")
    parser.add_argument("--branch", default="main", help="branch the documentation links point at")
    args = parser.parse_args(argv)
    new = args.url.rstrip("/")
    galaxy = REPO / "galaxy.yml"
    text = galaxy.read_text()
    match = re.search(r"^repository: (\S+)$", text, flags=re.M)
    if not match:
        print("galaxy.yml has no 'repository:' line", file=sys.stderr)
        return 1
    old = match.group(1).rstrip("/")
    text = re.sub(r"^repository: .*$", f"repository: {new}", text, flags=re.M)
    text = re.sub(r"^homepage: .*$", f"homepage: {new}", text, flags=re.M)
    text = re.sub(r"^documentation: .*$", f"documentation: {new}/blob/{args.branch}/README.md", text, flags=re.M)
    text = re.sub(r"^issues: .*$", f"issues: {new}/issues", text, flags=re.M)
    galaxy.write_text(text)
    changed = 1
    link = re.compile(re.escape(old) + r"/(blob|tree)/[^/]+/")
    for path in sorted(REPO.rglob("*")):
        rel = path.relative_to(REPO)
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES or rel.parts[0] in {".git", ".build", ".venv", "tests"}:
            continue
        try:
            content = path.read_text()
        except UnicodeDecodeError:
            continue
        updated = link.sub(lambda m: f"{new}/{m.group(1)}/{args.branch}/", content).replace(old + "/issues", new + "/issues")
        if updated != content:
            path.write_text(updated)
            changed += 1
    print(f"{old} -> {new}: {changed} file(s) updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
