#!/usr/bin/env bash
# Runs galaxy-importer (what Galaxy and Automation Hub run on an upload) on the built
# collection tarball, offline and without containers, and fails unless it reports 0 errors.
#
#   hack/galaxy-import.sh [path/to/procall-msteams-X.Y.Z.tar.gz]
#
# galaxy-importer pins its own ansible-core and ansible-lint, so it lives in its own venv
# under .build/ (never in the development venv). Set GALAXY_IMPORTER_PYTHON to choose the
# interpreter for that venv (default: python3).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build="$repo/.build"
venv="$build/galaxy-importer-venv"
python=${GALAXY_IMPORTER_PYTHON:-python3}
mkdir -p "$build"

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import galaxy_importer' 2>/dev/null; then
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet --quiet galaxy-importer
fi

tarball=${1:+$(realpath "$1")}
if [[ -z "$tarball" ]]; then
  dist="$build/galaxy-import-dist"
  rm -rf "$dist"
  # The development venv's ansible-galaxy builds the artifact exactly as `make build` does.
  galaxy_cli=$(command -v ansible-galaxy || echo "$venv/bin/ansible-galaxy")
  "$galaxy_cli" collection build --force --output-path "$dist" "$repo" >/dev/null
  tarball=$(ls "$dist"/procall-msteams-*.tar.gz)
fi

# Offline and container-free: no ansible-test (it would pull a container image), ansible-lint
# with --offline, ansible-doc on the plugins; the changelog must be present as on Galaxy.
cfg="$build/galaxy-importer.cfg"
cat >"$cfg" <<'EOF'
[galaxy-importer]
LOG_LEVEL_MAIN = INFO
RUN_ANSIBLE_TEST = False
ANSIBLE_TEST_LOCAL_IMAGE = False
LOCAL_IMAGE_DOCKER = False
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_FLAKE8 = False
CHECK_CHANGELOG = True
CHECK_REQUIRED_TAGS = False
REQUIRE_V1_OR_GREATER = False
EOF

log="$build/galaxy-importer.log"
# Its own venv's ansible-doc / ansible-lint come first on PATH, as in Galaxy's importer image.
set +e
# galaxy-importer writes importer_result.json into the current directory: run it in .build/.
(cd "$build" && PATH="$venv/bin:$PATH" GALAXY_IMPORTER_CONFIG="$cfg" \
  "$venv/bin/python" -m galaxy_importer.main "$tarball") 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
errors=$(grep -c -E '^(ERROR|CRITICAL)|ImporterError' "$log" || true)
warnings=$(grep -c -E '^WARNING' "$log" || true)
echo "galaxy-importer: exit $status, $errors error(s), $warnings warning(s) on $(basename "$tarball")"
[[ "$status" -eq 0 && "$errors" -eq 0 ]]
