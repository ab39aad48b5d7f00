"""The catalogue is the one declaration of the endpoints (docs/adding-an-endpoint.md): every spec declares what the
rest of the project derives from it, and every field of every schema says what it means."""
from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from exporters import catalog, discover, groups
from phase6 import schemas, status
from phase6.catalog import Published

SPECS = catalog()
SCHEMA_FILES = sorted(schemas.SCHEMA_DIR.glob("*.json"))
CONDITIONS = {"if", "then", "else", "not"}  # refinements of fields defined elsewhere in the same schema


def fields(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, schema) of every property a schema defines; conditional refinements are not definitions."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CONDITIONS:
                continue
            if key == "properties" and isinstance(value, dict):
                for name, field in value.items():
                    yield f"{where}/{name}", field
                    yield from fields(field, f"{where}/{name}")
            elif isinstance(value, (dict, list)):
                yield from fields(value, f"{where}/{key}" if key == "$defs" else where)
    elif isinstance(node, list):
        for item in node:
            yield from fields(item, where)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=[path.name for path in SCHEMA_FILES])
def test_every_field_of_every_schema_says_what_it_means(path):
    schema = json.loads(path.read_text())
    assert schema.get("description"), f"{path.name}: the document has no description"
    undescribed = [pointer for pointer, field in fields(schema) if not str(field.get("description", "")).strip()]
    assert undescribed == [], f"{path.name}: fields without a description"


def test_an_undescribed_field_is_found():
    schema = {"properties": {"a": {"description": "A."}, "b": {"properties": {"c": {"type": "string"}}}},
              "if": {"properties": {"a": {"const": 1}}}}
    assert [pointer for pointer, field in fields(schema) if "description" not in field] == ["/b", "/b/c"]


@pytest.mark.parametrize("name", SPECS)
def test_every_endpoint_declares_what_is_derived_from_it(name):
    spec = SPECS[name]
    assert spec.summary and spec.documents and spec.probe, name
    for published in spec.documents:
        assert (schemas.SCHEMA_DIR / f"{published.schema}.json").is_file(), published.schema
    probe = spec.probe.path
    assert any(path == probe or (probe.endswith("/") and path.startswith(probe)) for path in spec.paths), probe


def test_the_catalogue_is_ordered_and_every_schema_belongs_to_a_declaration():
    assert [spec.order for spec in SPECS.values()] == sorted(spec.order for spec in SPECS.values())
    declared = {published.schema for spec in SPECS.values() for published in spec.documents} | {status.DOCUMENT.schema}
    assert {path.stem for path in SCHEMA_FILES} == declared | {"defs"}


def test_status_probes_every_endpoint_of_the_catalogue_in_its_order():
    assert [(e.export_type, e.probe, e.sla_seconds) for e in status.endpoints()] == [
        (name, spec.probe.path, spec.probe.sla_seconds) for name, spec in SPECS.items()]
    bound = status.schema(schemas.load("status"))
    assert bound["$defs"]["export_type"]["enum"] == list(SPECS)
    assert len(bound["properties"]["endpoints"]["prefixItems"]) == len(SPECS)


def test_groups_are_derived_from_the_specs():
    named = groups()
    assert named["all"] == tuple(SPECS)
    for group, members in named.items():
        assert members == tuple(name for name, spec in SPECS.items() if group == "all" or group in spec.groups)


def test_discovery_refuses_two_specs_of_one_name(tmp_path, monkeypatch):
    package = tmp_path / "twice"
    package.mkdir()
    (package / "__init__.py").write_text("")
    spec = ("from phase6.catalog import ExportSpec, Probe, Published\n"
            "SPEC = ExportSpec('same', 'fast', 1, (), lambda ctx, rows: [], (Published('x.json', 'x', max_age=60),), "
            "Probe('x.json', 1), order={order})\n")
    (package / "one.py").write_text(spec.format(order=1))
    (package / "two.py").write_text(spec.format(order=2))
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="'same' is declared by twice.one and twice.two"):
        discover("twice")


def test_published_declarations_cover_every_path_a_spec_documents():
    for spec in SPECS.values():
        assert all(isinstance(published, Published) for published in spec.documents)
        assert len(set(spec.paths)) == len(spec.paths)

