"""make compat: the support matrix, one venv per ansible-core minor, unit tests + demo flow in each.

    python3 hack/compat.py [--cells 2.16,2.20] [--jobs 2] [--build-jobs 4] [--main-python .venv/bin/python]
                           [--units-only] [--build-only] [--sanity 2.16,2.20]

Each cell is an ansible-core minor on a controller Python that minor supports (the Pythons come
from pyenv: python3.10 ... python3.13); one cell also pins urllib3 1.26, what RHEL 9's
python3-urllib3 / python3.12-urllib3 packages are. The main version's cell uses the main venv
(the one `make test` runs the full suite in); every other cell gets a venv under
.build/compat/<cell>/venv, built from tests/compat/requirements.txt plus the cell's pins and
reused while those inputs are unchanged (a stamp file holds their hash).

In each cell: `pytest tests/unit`, then `python -m tests.demo --numbers-file ...` (the demo flow
verifies itself: see tests/demo.py). Then the matrix is printed (also written to
.build/compat/matrix.md) and the demo numbers that must not depend on the core version (exit
codes, Graph writes that succeeded, service restarts, msteams.cfg writes, per run) are
compared with the main version's. Exit code 0 only when every cell passed both and matched.

Only the standard library is used here: this runs with any python3 before a venv exists.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import glob
import hashlib
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
BUILD = REPO / ".build" / "compat"
COLLECTIONS = REPO / ".build" / "collections"
REQUIREMENTS = [REPO / "requirements.txt", REPO / "tests" / "compat" / "requirements.txt"]

# Numbers of a demo run that must be the same on every core version (the rest is shown only:
# Graph request and token counts move with the emulator's injected throttling and lag).
COMPARED = ("rc", "graph_writes_ok", "restarts", "host_writes")


@dataclasses.dataclass
class Cell:
    core: str  # ansible-core minor
    python: str  # controller Python minor
    pins: tuple[str, ...] = ()
    note: str = ""
    main: bool = False  # the main venv's version: `make test` runs the full suite there

    @property
    def name(self) -> str:
        # "urllib3>=1.26,<2" -> "-urllib3-1.26"
        extra = "".join("-" + "-".join(re.match(r"([A-Za-z0-9_.-]+?)\s*[<>=!~]=?\s*([0-9.]+)", pin).groups()) for pin in self.pins)
        return f"core{self.core}-py{self.python}{extra}"


# ansible-core's controller Pythons: 2.16 and 2.17 run on 3.10-3.12, 2.18 and 2.19 on
# 3.11-3.13, 2.20 on 3.12+ (https://docs.ansible.com/ansible/latest/reference_appendices/release_and_maintenance.html).
# Together the cells cover every Python of the image; the first one is a RHEL 9 controller
# (ansible-core 2.16 on python3.12 with python3.12-urllib3 1.26).
CELLS = [
    Cell("2.16", "3.12", pins=("urllib3>=1.26,<2",), note="RHEL 9 controller: urllib3 1.26"),
    Cell("2.17", "3.10"),
    Cell("2.18", "3.13"),
    Cell("2.19", "3.11", main=True, note="main venv"),
    Cell("2.20", "3.12"),
]


@dataclasses.dataclass
class Outcome:
    cell: Cell
    versions: dict = dataclasses.field(default_factory=dict)
    build_seconds: float | None = None
    build_error: str = ""
    units: str = "not run"
    units_ok: bool = False
    units_seconds: float | None = None
    demo: str = "not run"
    demo_ok: bool = False
    demo_seconds: float | None = None
    numbers: dict | None = None
    mismatch: list[str] = dataclasses.field(default_factory=list)
    sanity: str = "-"
    sanity_ok: bool = True
    sanity_seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.units_ok and self.demo_ok and self.sanity_ok and not self.mismatch and not self.build_error


def log(msg: str) -> None:
    print(f"[compat {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def find_python(minor: str) -> str:
    """The python<minor> of this machine: on PATH, else from pyenv (its shims answer only for the active version)."""
    override = os.environ.get("COMPAT_PYTHON_" + minor.replace(".", "_"))
    candidates = [override] if override else []
    candidates.append(shutil.which(f"python{minor}") or "")
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    if shutil.which("pyenv"):
        proc = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        pyenv_root = proc.stdout.strip() or pyenv_root
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{minor}.*", "bin", f"python{minor}")), reverse=True)
    for candidate in candidates:
        if not candidate:
            continue
        proc = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True, check=False)
        if proc.returncode == 0 and proc.stdout.strip() == minor:
            return candidate
    raise RuntimeError(f"no Python {minor} found (on PATH, under pyenv, or in COMPAT_PYTHON_{minor.replace('.', '_')})")


def cell_env(venv_bin: pathlib.Path) -> dict:
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env.update(
        {
            "PATH": os.pathsep.join([str(venv_bin), env.get("PATH", "")]),
            "PYTHONPATH": os.pathsep.join([str(COLLECTIONS), str(REPO)]),
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def versions_of(python: str) -> dict:
    code = (
        "import json, platform, importlib.metadata as m\n"
        "v = {}\n"
        "for p in ('ansible-core', 'urllib3', 'requests', 'msal'):\n"
        "    try: v[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: v[p] = None\n"
        "v['python'] = platform.python_version()\n"
        "print(json.dumps(v))\n"
    )
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


def posix_collection(main_python: str) -> pathlib.Path:
    """ansible.posix from the main venv's `ansible` package: its json callback is how the test runner reads a run."""
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = subprocess.run([main_python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    path = pathlib.Path(purelib) / "ansible_collections" / "ansible" / "posix"
    if not (path / "plugins" / "callback" / "json.py").exists():
        raise RuntimeError(f"ansible.posix not found in the main venv ({path}); run `make venv`")
    return path


def stamp_of(cell: Cell, python: str, posix: pathlib.Path) -> str:
    digest = hashlib.sha256()
    for req in REQUIREMENTS:
        digest.update(req.read_bytes())
    # The venv's own path too: a venv's scripts name their interpreter by absolute path, so a moved one is rebuilt.
    digest.update(repr((cell.core, cell.pins, versions_of(python).get("python"), str(BUILD / cell.name))).encode())
    digest.update((posix / "MANIFEST.json").read_bytes() if (posix / "MANIFEST.json").exists() else b"")
    return digest.hexdigest()


def build_venv(cell: Cell, posix: pathlib.Path) -> pathlib.Path:
    """The cell's venv, built unless its stamp shows the same inputs; returns its python."""
    home = BUILD / cell.name
    venv = home / "venv"
    python = find_python(cell.python)
    stamp = stamp_of(cell, python, posix)
    stamp_file = home / "stamp"
    venv_python = venv / "bin" / "python"
    if stamp_file.exists() and stamp_file.read_text() == stamp and venv_python.exists():
        return venv_python
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    with open(home / "build.log", "w") as out:
        subprocess.run([python, "-m", "venv", str(venv)], stdout=out, stderr=subprocess.STDOUT, check=True)
        pins = [f"ansible-core>={cell.core},<{next_minor(cell.core)}", *cell.pins]
        cmd = [str(venv_python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-r", str(REQUIREMENTS[1]), *pins]
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"pip install failed, see {home / 'build.log'}:\n" + tail(home / "build.log", 15))
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = pathlib.Path(subprocess.run([str(venv_python), "-c", code], capture_output=True, text=True, check=True).stdout.strip())
    # ansible.windows is not needed: the simulator's stand-in tree shadows it for every run.
    shutil.copytree(posix, purelib / "ansible_collections" / "ansible" / "posix", dirs_exist_ok=True)
    stamp_file.write_text(stamp)
    return venv_python


def next_minor(minor: str) -> str:
    major, mnr = minor.split(".")
    return f"{major}.{int(mnr) + 1}"


def tail(path: pathlib.Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# Bounds per step, far above a quiet 2-core machine's times (units ~1 min, demo ~3-5 min), so a
# hung step ends the cell instead of the CI run.
UNITS_TIMEOUT = int(os.environ.get("COMPAT_UNITS_TIMEOUT", "900"))
DEMO_TIMEOUT = int(os.environ.get("COMPAT_DEMO_TIMEOUT", "1500"))
SANITY_TIMEOUT = 1800
# Process groups of the steps running now: ended when this script is stopped (SIGTERM, Ctrl-C).
RUNNING: set[int] = set()


def run_logged(cmd: list[str], logfile: pathlib.Path, env: dict, timeout: int) -> int:
    """Run ``cmd`` in its own process group, output to ``logfile``; on timeout end that group
    (the demo's emulator and ansible-playbook included) and return 124, as timeout(1) does."""
    with open(logfile, "w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        RUNNING.add(proc.pid)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            out.write(f"\n[compat] timed out after {timeout} s: stopping this step's processes\n")
            out.flush()
            for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
            return 124
        finally:
            RUNNING.discard(proc.pid)


def stop_running(*_args) -> None:
    for pgid in list(RUNNING):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
    raise SystemExit(130)


def run_units(outcome: Outcome, python: str, home: pathlib.Path) -> None:
    logfile = home / "units.log"
    cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", "tests/unit"]
    start = time.monotonic()
    rc = run_logged(cmd, logfile, cell_env(pathlib.Path(python).parent), UNITS_TIMEOUT)
    outcome.units_seconds = time.monotonic() - start
    text = logfile.read_text(errors="replace")
    closing = re.findall(r"^=*\s*(\d+ (?:passed|failed).*?)(?: in [\d.]+s.*)?\s*=*$", text, re.M)
    outcome.units = f"timed out after {UNITS_TIMEOUT} s" if rc == 124 else (closing[-1].strip() if closing else f"exit {rc}")
    outcome.units_ok = rc == 0


def run_demo(outcome: Outcome, python: str, home: pathlib.Path) -> None:
    logfile = home / "demo.log"
    numbers_file = home / "numbers.json"
    numbers_file.unlink(missing_ok=True)
    cmd = [python, "-m", "tests.demo", "--numbers-file", str(numbers_file)]
    start = time.monotonic()
    rc = run_logged(cmd, logfile, cell_env(pathlib.Path(python).parent), DEMO_TIMEOUT)
    outcome.demo_seconds = time.monotonic() - start
    if numbers_file.exists():
        outcome.numbers = json.loads(numbers_file.read_text())
    problems = (outcome.numbers or {}).get("problems")
    outcome.demo_ok = rc == 0
    if outcome.demo_ok:
        outcome.demo = "verified"
    elif rc == 124:
        outcome.demo = f"FAILED: timed out after {DEMO_TIMEOUT} s"
    elif problems:
        outcome.demo = f"FAILED: {problems[0]}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
    else:
        outcome.demo = f"FAILED (exit {rc})"


def run_sanity(outcome: Outcome, python: str, home: pathlib.Path) -> None:
    """hack/sanity.sh (ansible-test sanity --venv) with this cell's ansible-test and Python."""
    logfile = home / "sanity.log"
    start = time.monotonic()
    rc = run_logged(["bash", str(REPO / "hack" / "sanity.sh")], logfile, cell_env(pathlib.Path(python).parent), SANITY_TIMEOUT)
    outcome.sanity_seconds = time.monotonic() - start
    # A copy that ansible-test sees as git-ignored (inside this checkout's .build/) is skipped whole: not a pass.
    skipped = "All targets skipped" in logfile.read_text(errors="replace")
    outcome.sanity_ok = rc == 0 and not skipped
    outcome.sanity = "passed" if outcome.sanity_ok else ("FAILED: all targets skipped" if skipped else f"FAILED (exit {rc})")


def compare(outcome: Outcome, reference: Outcome) -> None:
    mine = {r["run"] + f"#{i}": r for i, r in enumerate((outcome.numbers or {}).get("runs", []))}
    ref = {r["run"] + f"#{i}": r for i, r in enumerate((reference.numbers or {}).get("runs", []))}
    if not ref or not mine:
        return
    if list(mine) != list(ref):
        outcome.mismatch.append(f"runs {list(mine)} vs {list(ref)}")
        return
    for key, run in mine.items():
        for field in COMPARED:
            if run.get(field) != ref[key].get(field):
                outcome.mismatch.append(f"{key.split('#')[0]} {field} {run.get(field)} (main: {ref[key].get(field)})")


def per_run(outcome: Outcome, field: str) -> str:
    runs = (outcome.numbers or {}).get("runs", [])
    return "/".join(str(r.get(field, "?")) for r in runs) or "-"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def table(outcomes: list[Outcome], total: float) -> str:
    head = [
        "| ansible-core | Python | urllib3 | unit tests | demo flow | writes | restarts | cfg writes"
        " | Graph requests | token requests | sanity | build s | units s | demo s | sanity s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    rows = []
    for o in outcomes:
        v = o.versions
        core = v.get("ansible-core") or o.cell.core
        note = f" ({o.cell.note})" if o.cell.note else ""
        demo = o.demo + ("; DIFFERS: " + ", ".join(o.mismatch) if o.mismatch else "")
        if o.build_error:
            demo = "venv not built: " + o.build_error.splitlines()[0]
        rows.append(
            f"| {core}{note} | {v.get('python') or o.cell.python} | {v.get('urllib3') or '-'} | {o.units} | {demo} |"
            f" {per_run(o, 'graph_writes_ok')} | {per_run(o, 'restarts')} | {per_run(o, 'host_writes')} |"
            f" {per_run(o, 'graph_requests')} | {per_run(o, 'token_requests')} | {o.sanity} |"
            f" {seconds(o.build_seconds)} | {seconds(o.units_seconds)} | {seconds(o.demo_seconds)} | {seconds(o.sanity_seconds)} |"
        )
    runs = max((o.numbers.get("runs", []) for o in outcomes if o.numbers), key=len, default=[])
    runs = "/".join(r["run"] for r in runs)
    foot = [
        "",
        f"Per-run numbers are for the demo's runs {runs or '(none)'}; writes = Graph writes that succeeded,",
        "restarts = UCServer service starts, cfg writes = msteams.cfg writes on the simulated hosts.",
        f"Compared with the main version: {', '.join(COMPARED)}. Wall time of the matrix: {total:.0f} s.",
    ]
    return "\n".join(head + rows + foot)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", help="comma-separated ansible-core minors (default: all: " + ",".join(c.core for c in CELLS) + ")")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("COMPAT_JOBS", "2")), help="cells tested at once (default 2: one per core)")
    parser.add_argument("--build-jobs", type=int, default=4, help="venvs built at once (mostly waiting for downloads)")
    parser.add_argument("--main-python", default=str(REPO / ".venv" / "bin" / "python"), help="the main venv's python")
    parser.add_argument("--build-only", action="store_true", help="build the venvs, test nothing")
    parser.add_argument("--units-only", action="store_true", help="unit tests only, no demo flow")
    parser.add_argument("--sanity", default="", help="comma-separated ansible-core minors that also run ansible-test sanity (hack/sanity.sh)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    wanted = set(args.cells.split(",")) if args.cells else None
    cells = [c for c in CELLS if wanted is None or c.core in wanted or c.name in wanted]
    if not cells:
        parser.error(f"no cell matches {args.cells}")
    link = COLLECTIONS / "ansible_collections" / "procall" / "msteams"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(pathlib.Path("..", "..", "..", ".."))
    posix = posix_collection(args.main_python)
    outcomes = [Outcome(c) for c in cells]
    build_slots = threading.Semaphore(max(args.build_jobs, 1))
    run_slots = threading.Semaphore(max(args.jobs, 1))

    def work(outcome: Outcome) -> None:
        cell = outcome.cell
        home = BUILD / cell.name
        try:
            if cell.main:
                python = args.main_python
            else:
                with build_slots:
                    start = time.monotonic()
                    log(f"{cell.name}: venv")
                    python = str(build_venv(cell, posix))
                    outcome.build_seconds = time.monotonic() - start
            outcome.versions = versions_of(python)
            if args.build_only:
                return
            home.mkdir(parents=True, exist_ok=True)
            with run_slots:
                v = outcome.versions
                log(f"{cell.name}: unit tests (ansible-core {v.get('ansible-core')}, Python {v.get('python')}, urllib3 {v.get('urllib3')})")
                run_units(outcome, python, home)
                log(f"{cell.name}: unit tests {outcome.units}")
                if args.units_only:
                    outcome.demo, outcome.demo_ok = "not run (--units-only)", True
                else:
                    run_demo(outcome, python, home)
                    log(f"{cell.name}: demo flow {outcome.demo} in {outcome.demo_seconds:.0f} s (log: {home / 'demo.log'})")
                if cell.core in args.sanity.split(","):
                    log(f"{cell.name}: ansible-test sanity")
                    run_sanity(outcome, python, home)
                    log(f"{cell.name}: ansible-test sanity {outcome.sanity} in {outcome.sanity_seconds:.0f} s")
        except Exception as exc:  # one broken cell must not hide the others' results
            outcome.build_error = str(exc)
            log(f"{cell.name}: {exc}")

    signal.signal(signal.SIGTERM, stop_running)
    signal.signal(signal.SIGINT, stop_running)
    # The main cell first: it needs no build, so it runs while the other venvs are built.
    threads = [threading.Thread(target=work, args=(o,), name=o.cell.name) for o in sorted(outcomes, key=lambda o: not o.cell.main)]
    for thread in threads:
        thread.start()
        time.sleep(0.2)
    for thread in threads:
        thread.join()
    if args.build_only:
        for o in outcomes:
            log(f"{o.cell.name}: {o.build_error or o.versions}")
        return 0 if not any(o.build_error for o in outcomes) else 1

    reference = next((o for o in outcomes if o.cell.main), None)
    if reference is not None and reference.numbers:
        for o in outcomes:
            if o is not reference:
                compare(o, reference)
    report = table(outcomes, time.monotonic() - started)
    BUILD.mkdir(parents=True, exist_ok=True)
    (BUILD / "matrix.md").write_text(report + "\n")
    print("\nSupport matrix (also in .build/compat/matrix.md):\n")
    print(report)
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        home = BUILD / o.cell.name
        print(f"\n--- {o.cell.name}: unit tests: {o.units}; demo: {o.demo}; logs in {home}")
        if not o.units_ok and (home / "units.log").exists():
            print(tail(home / "units.log", 25))
        if not o.demo_ok and (home / "demo.log").exists():
            print(tail(home / "demo.log", 25))
        if not o.sanity_ok and (home / "sanity.log").exists():
            print(tail(home / "sanity.log", 25))
    print(f"\ncompat: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
