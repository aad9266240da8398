#!/usr/bin/env bash
# Runs `ansible-test sanity` on a copy of the collection placed at
# .../ansible_collections/procall/msteams, as ansible-test requires (reference/tooling.md).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/procall/msteams"
mkdir -p "$dest"
# Only what git tracks or would track: no venvs, no build output.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) \
  | (cd "$repo" && xargs -0 -r cp --parents -t "$dest" 2>/dev/null || true)
# ansible-test fetches a get-pip bootstrap from a host this machine cannot reach; it looks
# in its cache first, so a stand-in there installs pip with ensurepip instead.
pip_version=$(python - <<'PY'
import os, re, ansible_test
src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
m = re.search(r"pip='([0-9.]+)'", src)
print(m.group(1) if m else "24.2")
PY
)
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
install -m 0644 "$repo/hack/get_pip_standin.py" "$cache/get_pip_${pip_version//./_}.py"
cd "$dest"
ansible-test sanity --venv --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no "$@"
