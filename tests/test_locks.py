"""The lock files agree with the requirements they were compiled from, pin everything once, hash every pin, and
pin every extra a locked package asks for, so that no installer can fall back to an unpinned release.

Refresh them with `make locks` after editing requirements*.txt.
"""
from __future__ import annotations

import importlib.metadata
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
INSTALLER, INSTALLER_LOCK = REPO / "requirements-installer.txt", REPO / "requirements-installer-lock.txt"
EMULATOR, EMULATOR_LOCK = REPO / "tools/bqemulator/requirements.txt", REPO / "tools/bqemulator/requirements-lock.txt"
COMPILED = [(RUNTIME, RUNTIME_LOCK), (DEV, DEV_LOCK), (EMULATOR, EMULATOR_LOCK)]
COMPILED_IDS = ["runtime", "dev", "bqemulator"]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[(?P<extras>[^\]]+)\])?==(?P<version>\S+?)(?:\s*;.*?)?\s*\\?$")


@dataclass
class Pin:
    version: str
    hashes: set[str] = field(default_factory=set)
    via: set[str] = field(default_factory=set)


def pin_key(name: str, extras: str | None = None) -> str:
    """`google-auth` for a plain pin, `google-auth[pyopenssl]` for a pin with extras (sorted, canonical)."""
    if not extras:
        return canonicalize_name(name)
    return canonicalize_name(name) + "[" + ",".join(sorted(canonicalize_name(e) for e in extras.split(","))) + "]"


def read_lock(path: Path) -> dict[str, Pin]:
    """Pin key (see `pin_key`) → pin, hashes and the `# via` sources. Fails on a requirement line that is not a pin."""
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
            name = pin_key(match["name"], match["extras"])
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


@pytest.mark.parametrize("requirements, lock", COMPILED, ids=COMPILED_IDS)
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


@pytest.mark.parametrize("requirements, lock", COMPILED, ids=COMPILED_IDS)
def test_every_pin_is_hashed_and_reached_from_the_requirements(requirements, lock):
    """No pin without a hash, and no stale pin: each one is required directly or by another pin."""
    pins = read_lock(lock)
    assert pins, f"{lock.name} pins nothing"
    unhashed = sorted(name for name, pin in pins.items() if not pin.hashes)
    assert unhashed == [], f"{lock.name}: pins without --hash"
    reached = {f"-r {requirements.relative_to(REPO).as_posix()}"}
    for name, pin in pins.items():
        for source in pin.via:
            if source.startswith("-c"):
                continue
            assert source in reached or pin_key(source) in pins, f"{lock.name}: {name} is via unknown {source!r}"
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


def test_every_extras_pin_has_a_plain_twin_with_the_same_hashes():
    """pip before 23.3 does not let `name[extra]==v` constrain plain `name`; the plain pin must be there too."""
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        pins = read_lock(lock)
        for key, pin in pins.items():
            if "[" in key:
                twin = pins.get(key.split("[", 1)[0])
                assert twin is not None, f"{lock.name}: {key} has no plain pin"
                assert (twin.version, twin.hashes) == (pin.version, pin.hashes), f"{lock.name}: {key}"


def asked_extras(lock: dict[str, Pin]) -> set[str]:
    """Every `name[extras]` that a locked package, with the extras the lock gives it, requires on this platform
    (read from the installed metadata: the venv running the tests was synced from these locks)."""
    asked = set()
    for key in lock:
        name, _, extras = key.partition("[")
        active = [""] + [e for e in extras.rstrip("]").split(",") if e]
        for text in importlib.metadata.distribution(name).requires or []:
            requirement = Requirement(text)
            applies = requirement.marker is None or any(requirement.marker.evaluate({"extra": e}) for e in active)
            if applies and requirement.extras:
                asked.add(pin_key(requirement.name, ",".join(requirement.extras)))
    return asked


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=["runtime", "dev"])
def test_every_extra_a_locked_package_asks_for_is_pinned_explicitly(lock):
    """The lock that broke: google-cloud-bigquery asks for google-auth[pyopenssl], the lock pinned only
    google-auth, and pip 23.2.1 took google-auth[pyopenssl] from the index's newest release."""
    pins = read_lock(lock)
    if lock == DEV_LOCK:
        pins = {**read_lock(RUNTIME_LOCK), **pins}  # the dev set is installed on top of the runtime lock
    asked = asked_extras(pins)
    assert sorted(asked - pins.keys()) == [], f"{lock.name}: run `make locks`"
    if lock == RUNTIME_LOCK:
        assert "google-auth[pyopenssl]" in asked  # the check sees the very extra that broke the old lock


def test_the_installer_is_pinned_hashed_and_installed_first():
    pins = read_lock(INSTALLER_LOCK)
    assert list(pins) == ["uv"] and pins["uv"].hashes
    assert [r.name for r in direct_requirements(INSTALLER)] == ["uv"]
    assert str(direct_requirements(INSTALLER)[0].specifier) == f"=={pins['uv'].version}"
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\n$(STAMP):", 1)[1].split("\n\n", 1)[0]
    commands = [line.strip() for line in recipe.splitlines()[1:]]
    assert "pip install" in commands[1] and "--require-hashes -r requirements-installer-lock.txt" in commands[1]
    assert re.search(r"uv pip sync .*--require-hashes requirements-lock.txt requirements-dev-lock.txt", commands[2])


def test_one_documented_command_refreshes_every_lock():
    from deploy import locks

    recipe = (REPO / "Makefile").read_text().split("\nlocks:", 1)[1].split("\n\n", 1)[0]
    assert "deploy/locks.py" in recipe
    assert locks.LOCKS == [(path.relative_to(REPO).as_posix(), lock.relative_to(REPO).as_posix())
                           for path, lock in [(INSTALLER, INSTALLER_LOCK), *COMPILED]]


def test_the_lock_compiler_writes_a_plain_twin_before_each_extras_pin():
    from deploy.locks import with_plain_twins

    text = "a[x]==1.0 \\\n    --hash=sha256:aa\n    # via b\nb==2.0 \\\n    --hash=sha256:bb\nc==3 \\\n    --hash=sha256:cc\nc[y]==3 \\\n    --hash=sha256:cc\n"
    assert with_plain_twins(text).splitlines() == [
        "a==1.0 \\", "    --hash=sha256:aa", "    # via b",
        "a[x]==1.0 \\", "    --hash=sha256:aa", "    # via b",
        "b==2.0 \\", "    --hash=sha256:bb",
        "c==3 \\", "    --hash=sha256:cc",
        "c[y]==3 \\", "    --hash=sha256:cc",
    ]


def test_the_parser_catches_an_unhashed_or_unpinned_line(tmp_path):
    bad = tmp_path / "lock.txt"
    bad.write_text("six==1.17.0\n    # via -r requirements.txt\n")
    assert read_lock(bad)["six"].hashes == set()
    bad.write_text("six>=1.0\n")
    with pytest.raises(AssertionError, match="not an exact pin"):
        read_lock(bad)
