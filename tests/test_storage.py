"""The bucket adapters' write path and names: JSON bodies of 1 KiB or more stored gzip-compressed (deterministic
bytes) and read back decoded, on the local folder and on fake-gcs-server through the Cloud Storage client; local
files with the process's file mode; names that are the bucket's own (temp files, metadata sidecars) never objects."""
from __future__ import annotations

import gzip
import os
import shutil
import stat
import uuid
from pathlib import Path

import orjson
import pytest

from phase6.jsonio import dumps, publish_digest
from phase6.runner import RunRequest
from phase6.storage import StorageError
from phase6.storage.local import LocalBucket

CONTROL = "public, max-age=60"
SMALL = b'{\n  "a": 1\n}\n'
LARGE = dumps({"rows": [{"player": f"player{index}", "points": float(index)} for index in range(40)]})


def sized(size: int) -> bytes:
    """A JSON body of exactly `size` bytes."""
    body = b'{"pad": ""}'
    return body[:-2] + b"x" * (size - len(body)) + body[-2:]


def test_a_json_body_of_1_kib_or_more_is_stored_gzip_compressed_and_read_back_decoded(tmp_path: Path):
    assert len(LARGE) > 1024
    bucket = LocalBucket(tmp_path)
    bucket.write("v1/large.json", LARGE, cache_control=CONTROL)
    bucket.write("v1/small.json", SMALL, cache_control=CONTROL)
    stored = (tmp_path / "v1/large.json").read_bytes()
    assert gzip.decompress(stored) == LARGE and len(stored) < len(LARGE) / 3
    assert (tmp_path / "v1/small.json").read_bytes() == SMALL
    assert (bucket.read("v1/large.json"), bucket.read("v1/small.json")) == (LARGE, SMALL)
    assert [(info.name, info.content_encoding) for info in bucket.list("v1/")] == [
        ("v1/large.json", "gzip"), ("v1/small.json", None)]
    assert bucket.stat("v1/large.json").size == len(stored)  # the stored size, as Cloud Storage reports it


def test_the_threshold_is_1_kib_of_the_decoded_body(tmp_path: Path):
    bucket = LocalBucket(tmp_path)
    bucket.write("v1/under.json", sized(1023), cache_control=CONTROL)
    bucket.write("v1/at.json", sized(1024), cache_control=CONTROL)
    assert (bucket.stat("v1/under.json").content_encoding, bucket.stat("v1/at.json").content_encoding) == (None, "gzip")
    assert len(bucket.read("v1/at.json")) == 1024 and orjson.loads(bucket.read("v1/at.json"))


def test_compressed_bytes_are_deterministic(tmp_path: Path):
    """The same body always gives the same stored bytes (no timestamp in the gzip header)."""
    first, second = LocalBucket(tmp_path / "a"), LocalBucket(tmp_path / "b")
    first.write("v1/x.json", LARGE, cache_control=CONTROL)
    second.write("v1/x.json", LARGE, cache_control=CONTROL)
    stored = (tmp_path / "a/v1/x.json").read_bytes()
    assert stored == (tmp_path / "b/v1/x.json").read_bytes()
    assert stored[4:8] == b"\0\0\0\0"  # gzip MTIME


def test_an_html_page_is_stored_as_it_is(tmp_path: Path):
    """Run reports stay readable when opened straight from the folder."""
    page = b"<!doctype html><p>" + b"x" * 4000 + b"</p>"
    LocalBucket(tmp_path).write("reports/r.html", page, cache_control="no-store", content_type="text/html; charset=utf-8")
    assert (tmp_path / "reports/r.html").read_bytes() == page


def test_local_files_get_the_process_file_mode(tmp_path: Path):
    previous = os.umask(0o022)
    try:
        bucket = LocalBucket(tmp_path)
        bucket.write("v1/a.json", LARGE, cache_control=CONTROL)
        os.umask(0o027)
        bucket.write("v1/b.json", SMALL, cache_control=CONTROL)
    finally:
        os.umask(previous)
    modes = {path.relative_to(tmp_path).as_posix(): stat.S_IMODE(path.stat().st_mode)
             for path in tmp_path.rglob("*.json")}
    assert modes == {"v1/a.json": 0o644, ".meta/v1/a.json.json": 0o644,
                     "v1/b.json": 0o640, ".meta/v1/b.json.json": 0o640}


@pytest.mark.parametrize("name", [
    ".meta/v1/a.json.json", "v1/../.meta/v1/a.json.json", "v1/.a.json.tmp-abc", "v1//a.json", "v1/./a.json",
    "../escape.json", "/etc/passwd", "",
])
def test_the_buckets_own_files_and_dot_segments_are_not_object_names(tmp_path: Path, name: str):
    bucket = LocalBucket(tmp_path)
    bucket.write("v1/a.json", SMALL, cache_control=CONTROL)
    (tmp_path / "v1/.a.json.tmp-abc").write_bytes(b"")
    for operation in (bucket.read, bucket.stat, lambda n: bucket.write(n, SMALL, cache_control=CONTROL)):
        with pytest.raises(StorageError, match="not an object name"):
            operation(name)
    assert [info.name for info in bucket.list("")] == ["v1/a.json"]


def test_a_failing_local_write_raises_the_storage_error_naming_the_object(tmp_path: Path):
    (tmp_path / "v1").write_bytes(b"a file where a folder should be")
    with pytest.raises(StorageError, match="v1/a.json"):
        LocalBucket(tmp_path).write("v1/a.json", SMALL, cache_control=CONTROL)


def test_the_unchanged_check_and_the_twins_use_decoded_bodies(demo_app):
    """What the state store records for an object is the digest of its decoded body, and a pointer and its dated
    twin decode to the same bytes; a second identical run uploads nothing."""
    request = RunRequest(("predictions",), demo_app.clock.game_day())
    demo_app.runner.run(request)
    bucket, prefix = demo_app.backends.bucket, demo_app.settings.object_prefix
    names = [info.name for info in bucket.list(prefix + "predictions/")]
    assert {bucket.stat(name).content_encoding for name in names} == {"gzip"}
    recorded = demo_app.backends.state.published_hashes(names)
    assert recorded == {name: publish_digest(bucket.read(name), bucket.stat(name).cache_control) for name in names}
    today = demo_app.clock.game_day().isoformat()
    assert bucket.read(f"{prefix}predictions/today.json") == bucket.read(f"{prefix}predictions/{today}.json")
    again = demo_app.runner.run(request).exports["predictions"]
    assert (again.files, again.unchanged) == (0, len(names))


@pytest.mark.emulator
def test_cloud_storage_gets_one_gzip_upload_and_reads_back_decoded(fake_gcs_server):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from phase6.storage.gcs import GCSBucket

    client = storage.Client(project="test", credentials=AnonymousCredentials())
    name = f"gz-{uuid.uuid4().hex[:8]}"
    client.create_bucket(name)
    bucket = GCSBucket(name, client)
    bucket.write("v1/large.json", LARGE, cache_control=CONTROL)
    bucket.write("v1/small.json", SMALL, cache_control=CONTROL)
    blob = client.bucket(name).get_blob("v1/large.json")
    assert (blob.content_encoding, blob.content_type, blob.cache_control) == ("gzip", "application/json", CONTROL)
    assert gzip.decompress(blob.download_as_bytes(raw_download=True)) == LARGE
    assert (bucket.read("v1/large.json"), bucket.read("v1/small.json")) == (LARGE, SMALL)
    assert [(info.name, info.content_encoding) for info in bucket.list("v1/")] == [
        ("v1/large.json", "gzip"), ("v1/small.json", None)]


def test_an_object_written_again_with_the_same_headers_keeps_its_sidecar(tmp_path: Path, monkeypatch):
    bucket = LocalBucket(tmp_path)
    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda source, target: (replaced.append(Path(target)), real_replace(source, target)))
    bucket.write("v1/a.json", SMALL, cache_control=CONTROL)
    bucket.write("v1/a.json", LARGE, cache_control=CONTROL)
    bucket.write("v1/a.json", LARGE, cache_control="public, max-age=300")
    sidecar, body = tmp_path / ".meta/v1/a.json.json", tmp_path / "v1/a.json"
    assert replaced == [sidecar, body, body, sidecar, body]  # the second write is one file, not two
    assert bucket.read("v1/a.json") == LARGE and bucket.metadata("v1/a.json")["cache_control"] == "public, max-age=300"


def test_a_folder_removed_behind_the_buckets_back_is_made_again(tmp_path: Path):
    bucket = LocalBucket(tmp_path)
    bucket.write("v1/x/a.json", SMALL, cache_control=CONTROL)
    shutil.rmtree(tmp_path / "v1")
    bucket.write("v1/x/b.json", SMALL, cache_control=CONTROL)
    assert bucket.read("v1/x/b.json") == SMALL
