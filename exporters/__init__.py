"""The export catalogue: every module of this package that defines `SPEC` is one export type (an endpoint).

Nothing else lists the endpoints: the message groups, status.json's probes, the API reference and the tests' route
tables are all derived from the specs found here (docs/adding-an-endpoint.md).
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from phase6.catalog import ExportSpec

ALL = "all"


@lru_cache(maxsize=1)
def catalog() -> dict[str, ExportSpec]:
    """Every export type's spec, by name, in the order the specs declare (status.json's endpoints and docs/api.md)."""
    return discover(__name__)


def discover(package: str) -> dict[str, ExportSpec]:
    """The specs of the modules of `package` that define SPEC, ordered by `order`; duplicates are refused."""
    found: dict[str, tuple[str, ExportSpec]] = {}
    for module_info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        module = importlib.import_module(f"{package}.{module_info.name}")
        spec = getattr(module, "SPEC", None)
        if spec is None:
            continue
        if not isinstance(spec, ExportSpec):
            raise TypeError(f"{module.__name__}.SPEC is a {type(spec).__name__}, expected an ExportSpec")
        if spec.name in found:
            raise ValueError(f"export type {spec.name!r} is declared by {found[spec.name][0]} and {module.__name__}")
        found[spec.name] = (module.__name__, spec)
    orders = [spec.order for _, spec in found.values()]
    if len(set(orders)) != len(orders):
        raise ValueError(f"two export types of {package} declare the same order: {sorted(orders)}")
    return {name: spec for name, (_, spec) in sorted(found.items(), key=lambda item: item[1][1].order)}


def export_types() -> tuple[str, ...]:
    return tuple(catalog())


def groups() -> dict[str, tuple[str, ...]]:
    """Group name → its export types, in catalogue order: each spec's `groups`, and "all"."""
    named: dict[str, tuple[str, ...]] = {}
    for name, spec in catalog().items():
        for group in spec.groups:
            named[group] = (*named.get(group, ()), name)
    return {**named, ALL: export_types()}


def expand(names: list[str] | tuple[str, ...]) -> list[str]:
    """Groups expanded, duplicates folded, order kept. Unknown names are left for the caller to reject."""
    known = groups()
    expanded: list[str] = []
    for name in names:
        for export_type in known.get(name, (name,)):
            if export_type not in expanded:
                expanded.append(export_type)
    return expanded

