"""Compile the hashed lock files with the pinned uv, and give every extras pin its plain twin.

Usage: .venv/bin/python deploy/locks.py      (what `make locks` runs)

uv writes an extra that a package asks for (google-cloud-bigquery needs `google-auth[pyopenssl]`) as one pin,
`google-auth[pyopenssl]==2.62.2`. A pip older than 23.3 (the one Python 3.11.7 bundles into every venv, and
possibly the one a Cloud Functions build runs) does not let that pin constrain plain `google-auth`: it resolves the
plain name to the newest release on the index, which has no hash in the lock, and refuses to install. So each
extras pin is written twice, with and without its extras, with the same hashes: every name an installer can ask
for is pinned, whatever the index holds today.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
UV = Path(sys.executable).parent / "uv"
# (source, lock), compiled in this order: the dev set is constrained by the runtime lock (`-c` in its source).
LOCKS = [
    ("requirements-installer.txt", "requirements-installer-lock.txt"),
    ("requirements.txt", "requirements-lock.txt"),
    ("requirements-dev.txt", "requirements-dev-lock.txt"),
    ("tools/bqemulator/requirements.txt", "tools/bqemulator/requirements-lock.txt"),  # the tests' BigQuery emulator
]
EXTRAS_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\[[^\]]+\](?P<rest>==.*)$")


def compile_lock(source: str, lock: str) -> None:
    subprocess.run(
        [str(UV), "pip", "compile", "--quiet", "--generate-hashes", "--no-strip-extras", "--python-version", "3.11",
         "--custom-compile-command", "make locks", "-o", lock, source],
        cwd=REPO, check=True,
    )
    path = REPO / lock
    path.write_text(with_plain_twins(path.read_text()))


def with_plain_twins(text: str) -> str:
    """Insert, before each `name[extras]==version` block, the same block for plain `name` (unless it is there)."""
    blocks = split_blocks(text)
    plain = {block[0].split("==", 1)[0].lower() for block in blocks if "==" in block[0] and "[" not in block[0]}
    out: list[str] = []
    for block in blocks:
        match = EXTRAS_PIN.match(block[0])
        if match and match["name"].lower() not in plain:
            out.extend([match["name"] + match["rest"], *block[1:]])
            plain.add(match["name"].lower())
        out.extend(block)
    return "\n".join(out) + "\n"


def split_blocks(text: str) -> list[list[str]]:
    """A block is one unindented line and the indented lines (hashes, `# via`) that follow it."""
    blocks: list[list[str]] = []
    for line in text.rstrip("\n").splitlines():
        if line[:1].isspace() and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def main() -> int:
    if not UV.exists():
        print(f"{UV} is missing: run `make venv` first (it installs the pinned uv)", file=sys.stderr)
        return 2
    for source, lock in LOCKS:
        compile_lock(source, lock)
        print(f"{lock} ← {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
