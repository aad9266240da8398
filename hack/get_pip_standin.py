"""Stand-in for the get-pip.py bootstrap that ansible-test downloads (reference/tooling.md).

ensurepip runs in a subprocess: imported in-process it sets PIP_CONFIG_FILE=/dev/null and
so loses the machine's pip settings (index mirrors, CA). The get-pip-only flags are dropped.
"""

import subprocess
import sys

GET_PIP_ONLY_FLAGS = {"--no-setuptools", "--no-wheel"}


def main():
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
    args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY_FLAGS]
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    main()
