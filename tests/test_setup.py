"""Set-up that survives upstream releases: the README's install step, run the way a new user runs it, from a venv
made by the machine's own `python3.11 -m venv` (whatever pip that Python bundles), installs exactly the locks.

A lock once passed CI and later broke with no commit: pip 23.2.1 resolved an extra (`google-auth[pyopenssl]`) to a
release published after the lock was written. These tests would have failed that day. They need the package index.
"""
from __future__ import annotations

import ensurepip
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_locks import DEV_LOCK, RUNTIME_LOCK, read_lock

REPO = Path(__file__).resolve().parent.parent
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)


def fresh_venv(path: Path) -> Path:
    subprocess.run([BASE_PYTHON, "-m", "venv", str(path)], check=True)
    pip_version = subprocess.run([str(path / "bin" / "python"), "-m", "pip", "--version"],
                                 capture_output=True, text=True, check=True).stdout.split()[1]
    assert pip_version == ensurepip.version(), "the venv must start with the interpreter's bundled pip"
    return path / "bin" / "python"


@pytest.mark.install
def test_the_readme_install_step_installs_exactly_the_locks(tmp_path):
    venv = tmp_path / "venv"
    make = subprocess.run(["make", "-C", str(REPO), "venv", f"VENV={venv}", f"PYTHON={BASE_PYTHON}"],
                          capture_output=True, text=True, timeout=600)
    assert make.returncode == 0, make.stdout[-2000:] + make.stderr[-4000:]

    uv = [str(venv / "bin" / "uv"), "pip"]
    python = ["--python", str(venv / "bin" / "python")]
    check = subprocess.run([*uv, "check", *python], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    freeze = subprocess.run([*uv, "freeze", *python], capture_output=True, text=True, check=True).stdout
    installed = dict(line.split("==", 1) for line in freeze.splitlines() if "==" in line)
    locked = {name: pin.version for lock in (RUNTIME_LOCK, DEV_LOCK)
              for name, pin in read_lock(lock).items() if "[" not in name}
    for seed in ("uv", "pip", "setuptools"):  # the installer (its own lock) and what `venv` seeds, unless locked
        if seed not in locked:
            installed.pop(seed, None)
    assert installed == locked


@pytest.mark.install
def test_the_bundled_pip_accepts_both_locks_without_an_unpinned_requirement(tmp_path):
    """The deployment's own build installs the lock with a pip we do not choose; the oldest we support is the one
    Python 3.11 bundles. `--require-hashes` refuses any requirement the lock does not pin."""
    python = fresh_venv(tmp_path / "venv")
    dry_run = subprocess.run(
        [str(python), "-m", "pip", "install", "--dry-run", "--quiet", "--disable-pip-version-check",
         "--require-hashes", "-r", str(RUNTIME_LOCK), "-r", str(DEV_LOCK)],
        capture_output=True, text=True, timeout=600,
    )
    assert dry_run.returncode == 0, dry_run.stderr[-4000:]
