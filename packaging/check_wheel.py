"""Does the built package install whole? Build it, install it as a user would, and use it.

    python packaging/check_wheel.py [--source DIR]    # DIR: a checkout (default: this one)
    python packaging/check_wheel.py --tests [-- PYTEST_ARGS]   # then the test suite, from the installed copy

Builds the sdist and, from it, the wheel (`python -m build`, as a release would), installs the
wheel into a throwaway environment that borrows this environment's libraries (torch, Qt …) but
not its editable install of fmnist_gui, then, with that environment's Python:
- imports every module of SOURCE's `fmnist_gui` and checks each came from the installed copy;
- checks every resource file of the source tree was installed;
- runs `fmnist-gui train` for one epoch on a small synthetic data set;
- with --tests, runs the test suite against the installed copy, from a copy of the checkout
  without its `fmnist_gui` folder (so nothing can come from the source tree).
Prints what failed, one line each, and exits 1 if anything did. `make test` runs it with --tests:
the tests pass as users install the app, not only from an editable checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "fmnist_gui"

# Run by the throwaway environment's Python: imports each module named on stdin, says where it came from.
IMPORT_ALL = r"""
import importlib, json, sys, traceback
results = {}
for name in json.load(sys.stdin):
    try:
        module = importlib.import_module(name)
        results[name] = {"file": getattr(module, "__file__", None)}
    except BaseException as exc:
        results[name] = {"error": f"{type(exc).__name__}: {exc}"}
json.dump(results, sys.stdout)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=str(HERE.parent), help="the checkout to build (default: this one)")
    parser.add_argument("--keep", action="store_true", help="keep the build and the environment, and say where")
    parser.add_argument("--tests", action="store_true", help="then run the test suite against the installed copy")
    parser.add_argument("pytest_args", nargs="*", help="arguments for pytest (after --)")
    args = parser.parse_args()
    source = Path(args.source).resolve()
    work = Path(tempfile.mkdtemp(prefix="fmnist-wheel-"))
    started = time.monotonic()
    tests_exit = 0
    try:
        problems = check(source, work)
        if args.tests and not problems:
            print(f"The built wheel installs whole and trains ({time.monotonic() - started:.0f} s); "
                  "the tests run against it:", flush=True)
            tests_exit = run_tests(source, work, args.pytest_args)
    finally:
        if args.keep:
            print(f"kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - started
    if problems:
        print(f"The built package is broken: {len(problems)} problem{'s' if len(problems) != 1 else ''} ({seconds:.0f} s)",
              file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return 1
    if not args.tests:
        print(f"The built wheel installs whole and trains ({seconds:.0f} s).")
    return tests_exit


def check(source: Path, work: Path) -> list[str]:
    dist = work / "dist"
    build = run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(dist), str(source)])
    if build.returncode != 0:
        return ["building failed: " + last_line(build)]
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        return [f"expected one wheel and one sdist in {dist}, found {[p.name for p in dist.iterdir()]}"]
    env = work / "env"
    site_packages = make_environment(env)
    install = run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install", "--quiet",
                   "--no-deps", "--no-index", str(wheels[0])])
    if install.returncode != 0:
        return ["installing the wheel failed: " + last_line(install)]
    problems = check_imports(source, env, site_packages)
    problems += check_resources(source, site_packages)
    problems += check_training(env, work)
    return problems


def make_environment(env: Path) -> Path:
    """A venv whose own site-packages comes first and this environment's libraries after it, as a .pth line.

    Lines of a .pth file only extend sys.path: the .pth files of the borrowed folder (the editable
    install's finder among them) are not run, so fmnist_gui can only come from the installed wheel.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    site_packages = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        check=True, capture_output=True, text=True).stdout.strip())
    borrowed = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    (site_packages / "borrowed-libraries.pth").write_text("\n".join(dict.fromkeys(borrowed)) + "\n")
    return site_packages


def source_modules(source: Path) -> list[str]:
    modules = []
    for path in sorted((source / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(source).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] == "__main__":
            continue  # running it would start the app
        modules.append(".".join(parts))
    return modules


def check_imports(source: Path, env: Path, site_packages: Path) -> list[str]:
    modules = source_modules(source)
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""}
    answer = subprocess.run([str(env / "bin" / "python"), "-c", IMPORT_ALL], input=json.dumps(modules), text=True,
                            capture_output=True, cwd=env, env=environment)
    if answer.returncode != 0:
        return ["importing the modules crashed: " + last_line(answer)]
    results = json.loads(answer.stdout)
    problems = []
    for name in modules:
        result = results[name]
        if "error" in result:
            problems.append(f"{name} does not import: {result['error']}")
        elif result["file"] is None or not Path(result["file"]).resolve().is_relative_to(site_packages.resolve()):
            problems.append(f"{name} came from {result['file']}, not from the installed wheel")
    return problems


def check_resources(source: Path, site_packages: Path) -> list[str]:
    """Every file of the source's resources folder (inside the package, or beside it in older trees) is installed."""
    folder = next(f for f in (source / PACKAGE / "resources", source / "resources", source / PACKAGE) if f.is_dir())
    installed = site_packages / PACKAGE / "resources"
    return [f"{PACKAGE}/resources/{p.name} is not in the installed package" for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix != ".pyc" and not (installed / p.name).is_file()]


def check_training(env: Path, work: Path) -> list[str]:
    sys.path.insert(0, str(HERE.parent))
    from tests.synthetic import write_dataset  # the tests' small learnable IDX files

    data = write_dataset(work / "data")
    environment = {**os.environ, "FMNIST_ALLOW_SMALL": "1", "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": "",
                   "FMNIST_RUNS": str(work / "runs")}
    train = run([str(env / "bin" / "fmnist-gui"), "train", "--preset", "quickstart", "--epochs", "1", "--batch-size", "50",
                 "--data-dir", str(data), "--json"], env=environment, cwd=work)
    if train.returncode != 0:
        return [f"fmnist-gui train exited {train.returncode}: {last_line(train)}"]
    epochs = [json.loads(line) for line in train.stdout.splitlines() if line.startswith("{")]
    if [entry.get("epoch") for entry in epochs] != [1]:
        return [f"fmnist-gui train printed no epoch 1: {train.stdout[-200:]!r}"]
    if not list((work / "runs").glob("*/checkpoints/last.pt")):
        return ["fmnist-gui train recorded no run folder with a checkpoint"]
    return []


def run_tests(source: Path, work: Path, pytest_args: list[str]) -> int:
    """The suite, run by the throwaway environment's Python in a copy of the checkout that lacks the package."""
    checkout = work / "checkout"
    skipped = {PACKAGE, ".venv", ".git", "build", "dist", "data", "shots", "__pycache__", ".pytest_cache"}
    shutil.copytree(source, checkout, ignore=lambda folder, names: [n for n in names if n in skipped or n.endswith(".egg-info")])
    environment = {**os.environ, "PYTHONPATH": "", "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    return subprocess.run([str(work / "env" / "bin" / "python"), "-m", "pytest", *pytest_args], cwd=checkout,
                          env=environment).returncode


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit code {result.returncode}"


if __name__ == "__main__":
    sys.exit(main())
