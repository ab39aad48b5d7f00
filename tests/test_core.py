"""The runner's write rules, serialization and the local bucket, on a fake export spec."""
from datetime import date, datetime, timezone
from pathlib import Path

import orjson
import pytest

from phase6.catalog import Document, ExportContext, ExportSpec, Published
from phase6.config import Settings, local_path
from phase6.jsonio import dumps
from phase6.runner import checked_entity, default_update_latest, may_write
from phase6.storage.local import LocalBucket
from phase6.storage.base import StorageError

G = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 18, 0, tzinfo=timezone.utc)


def context(target: date, mode: str = "live", update_latest: bool = True) -> ExportContext:
    return ExportContext(target, G, NOW, "catboost_v9", mode, update_latest)


X = Published("x/{date}.json", "x", max_age=86400, short_max_age=300, pointer="x/latest.json", pointer_max_age=300)
SPEC = ExportSpec("x", "fast", 1, (), lambda ctx, rows: [], (X,))
RESULTS_LIKE = ExportSpec("y", "fast", 1, (), lambda ctx, rows: [], (X,), pointer_offsets=(-1, 0))


@pytest.mark.parametrize(
    "scope, target, mode, update_latest, spec, expected",
    [
        ("dated", date(2026, 1, 1), "replay", False, SPEC, True),
        ("pointer", G, "live", True, SPEC, True),
        ("pointer", G, "live", False, SPEC, False),
        ("pointer", G, "replay", False, SPEC, False),
        ("pointer", date(2026, 3, 3), "live", True, SPEC, False),
        ("pointer", date(2026, 3, 3), "live", True, RESULTS_LIKE, True),
        ("global", date(2026, 1, 1), "live", False, SPEC, True),
        ("global", G, "replay", False, SPEC, False),
    ],
)
def test_scope_rules(scope, target, mode, update_latest, spec, expected):
    document = Document("x/a.json", {}, 300, scope)
    assert may_write(document, spec, context(target, mode, update_latest)) is expected


def test_update_latest_defaults_to_today_and_yesterday_in_live_mode():
    assert default_update_latest("live", G, G)
    assert default_update_latest("live", date(2026, 3, 3), G)
    assert not default_update_latest("live", date(2026, 3, 2), G)
    assert not default_update_latest("replay", G, G)


def test_a_declared_dated_path_and_its_pointer_share_one_body_and_the_cache_rules():
    past = X.documents(context(date(2026, 3, 1)), {"a": 1})
    assert [(d.path, d.max_age, d.scope, d.schema) for d in past] == [
        ("x/2026-03-01.json", 86400, "dated", "x"), ("x/latest.json", 300, "pointer", "x")]
    assert past[0].body is past[1].body
    assert X.documents(context(G), {})[0].max_age == 300
    assert X.documents(context(date(2026, 3, 1)), {}, final=False)[0].max_age == 300


def test_a_declared_global_path_with_an_entity():
    [profile] = Published("x/{lookup}.json", "x", max_age=3600).documents(context(G), {}, entity="janedoe")
    assert (profile.path, profile.max_age, profile.scope, profile.entity) == ("x/janedoe.json", 3600, "global", "janedoe")


@pytest.mark.parametrize("declaration", [
    dict(path="x/{date}.json", max_age=60),  # a dated path says how short its max-age gets
    dict(path="x/a.json", max_age=60, pointer="x/b.json", pointer_max_age=60),  # only dated paths have pointers
    dict(path="x/{date}.json", max_age=60, short_max_age=60, pointer="x/b.json"),  # a pointer has its max-age
])
def test_incomplete_declarations_are_refused(declaration):
    with pytest.raises(ValueError):
        Published(schema="x", **declaration)


def test_serialization_is_stable_and_contract_shaped():
    body = {"b": 1.0, "a": "Núñez", "when": NOW, "day": G, "bad": float("nan"), "list": [float("inf")]}
    data = dumps(body)
    assert data == dumps(dict(body))
    text = data.decode()
    assert list(orjson.loads(data)) == ["b", "a", "when", "day", "bad", "list"]  # shape order kept
    assert '"a": "Núñez"' in text  # non-ASCII as-is
    assert '"b": 1.0' in text and "\n  " in text  # floats stay floats, 2-space indent
    assert '"when": "2026-03-04T18:00:00.000000+00:00"' in text
    assert "NaN" not in text and "Infinity" not in text


def test_local_bucket_writes_whole_objects_with_metadata(tmp_path: Path):
    bucket = LocalBucket(tmp_path)
    bucket.write("v1/a/b.json", b"{}", cache_control="public, max-age=60")
    info = bucket.stat("v1/a/b.json")
    assert info is not None and info.size == 2
    assert info.cache_control == "public, max-age=60" and info.content_type == "application/json"
    bucket.write("v1/a/c/d.json", b"{}", cache_control="public, max-age=60")
    assert [i.name for i in bucket.list("v1/a/")] == ["v1/a/b.json", "v1/a/c/d.json"]
    assert [i.name for i in bucket.list("v1/a/", recursive=False)] == ["v1/a/b.json"]
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]
    with pytest.raises(StorageError):
        bucket.write("../escape.json", b"{}", cache_control="public, max-age=60")


def test_backend_urls():
    assert local_path("duckdb:///.phase6/demo.duckdb", "duckdb") == Path(".phase6/demo.duckdb")
    assert local_path("sqlite:////tmp/state.db", "sqlite") == Path("/tmp/state.db")
    assert local_path("file://./public", "file") == Path("public")
    assert local_path("file:///srv/bucket", "file") == Path("/srv/bucket")
    with pytest.raises(ValueError):
        local_path("gs://bucket", "file")
    assert Settings(warehouse_url="duckdb:///x.duckdb").embedded


@pytest.mark.parametrize("lookup", ["Ann", "d'andre", "../x", "a/b", "x" * 65, "ok\n", "ann-b", "ann.json", ""])
def test_unsafe_fanout_entity_is_a_failed_entity(lookup):
    with pytest.raises(ValueError):
        checked_entity(lookup)
    assert checked_entity("lebronjamesjr") == "lebronjamesjr"
