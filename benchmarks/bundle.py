"""What the function uploads and what its cold start imports: `python -m benchmarks.bundle [--repeats 9]`.

Not a test: it prints measurements. It builds the deploy bundle exactly as cloudbuild.yaml does (deploy/bundle.py,
honouring .gcloudignore) and reports its size (files and bytes, with and without the `requirements.txt` lock it
carries), then the cold import time of `import main` from inside the bundle: the median of fresh interpreters, each
timing only the import (interpreter start-up excluded), and which of the repository's modules that import loads.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deploy.bundle import build_bundle  # noqa: E402

TIMED_IMPORT = (
    "import sys, time, json; started = time.perf_counter(); import main; elapsed = time.perf_counter() - started; "
    "print(json.dumps({'seconds': elapsed, 'modules': sorted(m for m in sys.modules "
    "if m.split('.')[0] in ('main', 'phase6', 'exporters'))}))"
)


def bundle_size(root: Path) -> tuple[int, int, int]:
    """(files, bytes, bytes without requirements.txt)."""
    files = [path for path in root.rglob("*") if path.is_file()]
    total = sum(path.stat().st_size for path in files)
    lock = root / "requirements.txt"
    return len(files), total, total - (lock.stat().st_size if lock.exists() else 0)


def cold_imports(root: Path, repeats: int) -> tuple[float, list[str]]:
    """Median seconds of `import main` over fresh interpreters, and the repository modules it loaded."""
    seconds, modules = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", TIMED_IMPORT], cwd=root, check=True, capture_output=True, text=True)
        measured = json.loads(out.stdout.strip().splitlines()[-1])
        seconds.append(measured["seconds"])
        modules = measured["modules"]
    return statistics.median(seconds), modules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="phase6-bundle-") as directory:
        root = Path(directory) / "bundle"
        build_bundle(root)
        files, total, without_lock = bundle_size(root)
        median, modules = cold_imports(root, args.repeats)
    print(f"bundle: {files} files, {total:,} bytes ({without_lock:,} without the requirements.txt lock)")
    print(f"cold `import main`: median {median * 1000:.0f} ms over {args.repeats} fresh interpreters")
    print(f"repository modules loaded ({len(modules)}): {', '.join(modules)}")


if __name__ == "__main__":
    main()
