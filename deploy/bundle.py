"""Build the function's upload bundle: the repository filtered by `.gcloudignore`, with `requirements.txt`
replaced by `requirements-lock.txt`, so the Cloud Functions build installs the pinned, hashed set and nothing else.

Usage: python deploy/bundle.py DEST   (DEST must not exist; cloudbuild.yaml deploys `--source=DEST`)

`.gcloudignore` uses gitignore syntax; this implements the part of it the file uses: comments, `!` negation,
a trailing `/` for directories only, a leading or inner `/` anchoring to the root, and `*`, `**`, `?`, `[...]`.
As in git, nothing below an ignored directory can be re-included.

`function_sources` is what the upload must carry of the repository's Python: every module `main.py` can import,
found by reading the import statements (those inside functions too, such as the backends chosen by URL);
tests/test_deploy_bundle.py checks that the bundle carries exactly those.
"""
from __future__ import annotations

import ast
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IGNORE_FILE = ".gcloudignore"
LOCK_FILE = "requirements-lock.txt"
ENTRY_MODULE = "main"
PACKAGES = ("phase6", "exporters")  # the repository's own packages; `exporters` modules are found by discovery


@dataclass(frozen=True)
class IgnoreRule:
    regex: re.Pattern[str]
    negated: bool
    directories_only: bool

    def matches(self, relative: str, is_dir: bool) -> bool:
        return (is_dir or not self.directories_only) and bool(self.regex.match(relative))


def parse_rules(text: str) -> list[IgnoreRule]:
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("#!"):
            raise ValueError(f"{IGNORE_FILE}: directive {line!r} is not supported by deploy/bundle.py")
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line[1:] if negated else line
        directories_only = pattern.endswith("/")
        pattern = pattern.rstrip("/")
        anchored = "/" in pattern
        body = glob_to_regex(pattern.lstrip("/"))
        regex = re.compile(("^" if anchored else "^(?:.*/)?") + body + "$")
        rules.append(IgnoreRule(regex, negated, directories_only))
    return rules


def glob_to_regex(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 1)
            out.append("[" + pattern[i + 1:end].replace("!", "^", 1) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def is_ignored(rules: list[IgnoreRule], relative: str, is_dir: bool) -> bool:
    ignored = False
    for rule in rules:
        if rule.matches(relative, is_dir):
            ignored = not rule.negated
    return ignored


def bundle_files(source: Path) -> list[str]:
    """Relative paths of every file the upload contains, sorted."""
    ignore_path = source / IGNORE_FILE
    rules = parse_rules(ignore_path.read_text(encoding="utf-8")) if ignore_path.exists() else []
    kept: list[str] = []
    pending = [source]
    while pending:
        directory = pending.pop()
        for entry in sorted(directory.iterdir()):
            relative = entry.relative_to(source).as_posix()
            if is_ignored(rules, relative, entry.is_dir()):
                continue
            if entry.is_dir():
                pending.append(entry)
            else:
                kept.append(relative)
    return sorted(kept)


def function_sources(source: Path = REPO) -> list[str]:
    """Relative paths of the repository's Python files the function can import, sorted: `main.py`, what it
    imports, transitively, and every module of `exporters` (the catalogue imports them all)."""
    found: dict[str, str] = {}
    pending = [ENTRY_MODULE]
    while pending:
        name = pending.pop()
        path = module_path(source, name)
        if name in found or path is None:
            continue
        found[name] = path.relative_to(source).as_posix()
        parts = name.split(".")
        pending += [".".join(parts[:end]) for end in range(1, len(parts))]  # parent packages run first
        pending += [imported for imported in imports_of(name, path) if imported.split(".")[0] in (ENTRY_MODULE, *PACKAGES)]
        if name == "exporters":
            pending += [f"exporters.{module.stem}" for module in (source / "exporters").glob("*.py") if module.stem != "__init__"]
    return sorted(set(found.values()))


def module_path(source: Path, name: str) -> Path | None:
    base = source.joinpath(*name.split("."))
    return next((path for path in (base / "__init__.py", base.with_suffix(".py")) if path.is_file()), None)


def imports_of(name: str, path: Path) -> list[str]:
    """Module names an import statement of the file names, relative imports resolved; `from m import x` gives
    both `m` and `m.x` (x may be a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*anchor, *([node.module] if node.module else [])])
            names += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return names


def build_bundle(dest: Path, source: Path = REPO) -> list[str]:
    """Copy the upload into `dest` (which must not exist) and make the lock its requirements.txt."""
    dest.mkdir(parents=True)
    files = bundle_files(source)
    for relative in files:
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, target)
    shutil.copyfile(source / LOCK_FILE, dest / "requirements.txt")
    return files


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    files = build_bundle(Path(argv[0]))
    print(f"bundle {argv[0]}: {len(files)} files, requirements.txt = {LOCK_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
