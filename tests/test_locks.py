"""The lock files agree with the requirements they were compiled from, pin everything once, and hash every pin.

Refresh them with `make locks` after editing requirements.txt or requirements-dev.txt.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
RUNTIME, RUNTIME_LOCK = REPO / "requirements.txt", REPO / "requirements-lock.txt"
DEV, DEV_LOCK = REPO / "requirements-dev.txt", REPO / "requirements-dev-lock.txt"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+?)(?:\s*;.*?)?\s*\\?$")


@dataclass
class Pin:
    version: str
    hashes: set[str] = field(default_factory=set)
    via: set[str] = field(default_factory=set)


def read_lock(path: Path) -> dict[str, Pin]:
    """Package → pin, hashes and pip-compile's `# via` sources. Fails on a requirement line that is not a pin."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    in_via = False
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or line.startswith(("#", "--")):
            current, in_via = (None if not stripped else current), False
            continue
        if not line[0].isspace():
            match = PIN.match(line)
            assert match, f"{path.name}: not an exact pin: {line!r}"
            name = canonicalize_name(match["name"])
            assert name not in pins, f"{path.name}: {name} pinned twice"
            current = pins[name] = Pin(match["version"])
            in_via = False
        elif stripped.startswith("--hash="):
            current.hashes.add(stripped.removeprefix("--hash=").rstrip(" \\"))
        elif stripped.startswith("# via"):
            in_via = True
            source = stripped.removeprefix("# via").strip()
            if source:
                current.via.add(source)
        elif in_via and stripped.startswith("#"):
            current.via.add(stripped.lstrip("# ").strip())
    return pins


def direct_requirements(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


@pytest.mark.parametrize("requirements, lock", [(RUNTIME, RUNTIME_LOCK), (DEV, DEV_LOCK)], ids=["runtime", "dev"])
def test_every_direct_requirement_is_pinned_within_its_range(requirements, lock):
    pins = read_lock(lock)
    problems = []
    for requirement in direct_requirements(requirements):
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{requirement.name} is in {requirements.name} but not in {lock.name}")
        elif not requirement.specifier.contains(Version(pin.version), prereleases=True):
            problems.append(f"{requirement.name}=={pin.version} in {lock.name} does not satisfy {requirement} — run `make locks`")
    assert problems == []


@pytest.mark.parametrize("requirements, lock", [(RUNTIME, RUNTIME_LOCK), (DEV, DEV_LOCK)], ids=["runtime", "dev"])
def test_every_pin_is_hashed_and_reached_from_the_requirements(requirements, lock):
    """No pin without a hash, and no stale pin: each one is required directly or by another pin."""
    pins = read_lock(lock)
    assert pins, f"{lock.name} pins nothing"
    unhashed = sorted(name for name, pin in pins.items() if not pin.hashes)
    assert unhashed == [], f"{lock.name}: pins without --hash"
    reached = {f"-r {requirements.name}"}
    for name, pin in pins.items():
        for source in pin.via:
            if source.startswith("-c"):
                continue
            assert source in reached or canonicalize_name(source) in pins, f"{lock.name}: {name} is via unknown {source!r}"
    orphans = sorted(name for name, pin in pins.items() if not pin.via)
    assert orphans == [], f"{lock.name}: pins nothing requires (stale)"


def test_the_lock_agrees_with_requirements_txt_in_both_directions():
    """A direct requirement dropped from requirements.txt must leave the lock's `-r requirements.txt` sources too."""
    declared = {canonicalize_name(r.name) for r in direct_requirements(RUNTIME)}
    locked_as_direct = {name for name, pin in read_lock(RUNTIME_LOCK).items() if "-r requirements.txt" in pin.via}
    assert locked_as_direct == declared


def test_no_package_is_pinned_at_two_versions_across_the_locks():
    runtime, dev = read_lock(RUNTIME_LOCK), read_lock(DEV_LOCK)
    shared = sorted(runtime.keys() & dev.keys())
    assert [f"{n}: {runtime[n].version} vs {dev[n].version}" for n in shared if runtime[n].version != dev[n].version] == []
    assert [n for n in shared if runtime[n].hashes != dev[n].hashes] == [], "same pin, different hashes"


def test_the_dev_lock_has_no_runtime_only_drift():
    """Dev tools are compiled against the runtime lock (`-c requirements-lock.txt`), and never carry a direct
    runtime dependency of their own choosing."""
    assert "-c requirements-lock.txt" in DEV.read_text().splitlines()
    runtime_direct = {canonicalize_name(r.name) for r in direct_requirements(RUNTIME)}
    dev_direct = {canonicalize_name(r.name) for r in direct_requirements(DEV)}
    assert runtime_direct & dev_direct == set()
    runtime, dev = read_lock(RUNTIME_LOCK), read_lock(DEV_LOCK)
    unconstrained = sorted(n for n in runtime.keys() & dev.keys() if "-c requirements-lock.txt" not in dev[n].via)
    assert unconstrained == [], "shared packages in the dev lock must be constrained by the runtime lock"


def test_one_documented_command_refreshes_both_locks():
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\nlocks:", 1)[1].split("\n\n", 1)[0]
    for lock, source in ((RUNTIME_LOCK, RUNTIME), (DEV_LOCK, DEV)):
        assert re.search(rf"pip-compile .*--generate-hashes.* -o {lock.name} {source.name}", recipe), lock.name


def test_the_parser_catches_an_unhashed_or_unpinned_line(tmp_path):
    bad = tmp_path / "lock.txt"
    bad.write_text("six==1.17.0\n    # via -r requirements.txt\n")
    assert read_lock(bad)["six"].hashes == set()
    bad.write_text("six>=1.0\n")
    with pytest.raises(AssertionError, match="not an exact pin"):
        read_lock(bad)
