"""The whole production path on local servers: functions-framework serving main.py receives Pub/Sub CloudEvents
over HTTP (binary and structured), writes to fake-gcs-server through the Cloud Storage client, keeps its heartbeat
in the Firestore emulator and publishes its completion event to the Pub/Sub emulator."""
from __future__ import annotations

import gzip
import json
import urllib.parse
import urllib.request
import uuid

import orjson
import pytest

from phase6.cli_runtime import post_cloud_event
from tests.servers import FunctionServer, signals_warehouse

PROJECT = "phase6-e2e"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory, fake_gcs_server, firestore_emulator, pubsub_emulator):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import pubsub_v1, storage

    suffix = uuid.uuid4().hex[:8]
    bucket_name, topic = f"api-{suffix}", f"complete-{suffix}"
    storage.Client(project=PROJECT, credentials=AnonymousCredentials()).create_bucket(bucket_name)
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic_path = publisher.create_topic(name=publisher.topic_path(PROJECT, topic)).name
    subscription = subscriber.create_subscription(
        name=subscriber.subscription_path(PROJECT, f"{topic}-e2e"), topic=topic_path).name
    root = tmp_path_factory.mktemp("cloud-function")
    server = FunctionServer(
        root, signals_warehouse(root / "w.duckdb"),
        PHASE6_BUCKET=f"gs://{bucket_name}",
        PHASE6_STATE=f"firestore://{PROJECT}",
        PHASE6_EVENTS=f"pubsub://{PROJECT}/{topic}",
        STORAGE_EMULATOR_HOST=fake_gcs_server.url,
        FIRESTORE_EMULATOR_HOST=firestore_emulator.address,
        PUBSUB_EMULATOR_HOST=pubsub_emulator.address,
        GOOGLE_CLOUD_PROJECT=PROJECT,
    )
    server.start()
    yield server, bucket_name, subscriber, subscription, fake_gcs_server.url
    server.stop()


def pull_event(subscriber, subscription: str, message_id: str) -> dict:
    for _ in range(10):
        response = subscriber.pull(subscription=subscription, max_messages=10, timeout=30)
        if response.received_messages:
            subscriber.acknowledge(subscription=subscription, ack_ids=[m.ack_id for m in response.received_messages])
        for received in response.received_messages:
            event = orjson.loads(received.message.data)
            if event["message_id"] == message_id:
                return event
    raise AssertionError(f"no completion event for message {message_id}")


@pytest.mark.emulator
@pytest.mark.parametrize("structured, day, signal", [(False, "2026-03-04", "favorable"), (True, "2026-03-03", "challenging")])
def test_a_cloud_event_publishes_files_heartbeat_and_completion_event(cloud, structured, day, signal):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore, storage

    server, bucket_name, subscriber, subscription, _ = cloud
    message_id = f"e2e-{uuid.uuid4().hex[:8]}"
    payload = {"export_types": ["daily-signals"], "target_date": day, "correlation_id": message_id}
    assert post_cloud_event(server.url, json.dumps(payload).encode(), message_id, structured=structured) == 200

    blob = storage.Client(project=PROJECT, credentials=AnonymousCredentials()).bucket(bucket_name).get_blob(
        f"v1/signals/{day}.json")
    assert blob is not None, server.log.read_text()
    assert (blob.cache_control, blob.content_type) == ("public, max-age=300", "application/json")
    assert json.loads(blob.download_as_bytes())["signal"] == signal

    event = pull_event(subscriber, subscription, message_id)
    assert (event["status"], event["correlation_id"], event["target_date"]) == ("success", message_id, day)
    assert event["exports"]["daily-signals"]["files"] == 1

    heartbeat = firestore.Client(project=PROJECT).collection("phase6_heartbeats").document(event["run_id"]).get()
    assert heartbeat.exists
    document = heartbeat.to_dict()
    assert document["status"] == "success" and document["exports"]["daily-signals"]["status"] == "ok"
    assert document["expires_at"] > document["last_beat"]


def download(storage_url: str, bucket_name: str, name: str, accept_encoding: str | None) -> tuple[str | None, bytes]:
    """A plain HTTP reader of the object's media: its Content-Encoding and the bytes it received."""
    url = f"{storage_url}/download/storage/v1/b/{bucket_name}/o/{urllib.parse.quote(name, safe='')}?alt=media"
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
        return response.headers.get("Content-Encoding"), response.read()


@pytest.mark.emulator
def test_a_compressed_object_reads_the_same_for_readers_that_accept_gzip_and_those_that_do_not(cloud):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    server, bucket_name, _, _, storage_url = cloud
    message_id = f"e2e-{uuid.uuid4().hex[:8]}"
    payload = {"export_types": ["daily-signals"], "target_date": "2026-03-04", "correlation_id": message_id}
    assert post_cloud_event(server.url, json.dumps(payload).encode(), message_id) == 200

    blob = storage.Client(project=PROJECT, credentials=AnonymousCredentials()).bucket(bucket_name).get_blob(
        "v1/status.json")
    assert blob is not None and blob.content_encoding == "gzip", server.log.read_text()
    encoding, compressed = download(storage_url, bucket_name, "v1/status.json", "gzip")
    assert encoding == "gzip" and len(compressed) == blob.size
    plain_encoding, plain = download(storage_url, bucket_name, "v1/status.json", None)
    assert plain_encoding is None and len(plain) >= 1024
    assert json.loads(gzip.decompress(compressed)) == json.loads(plain) == json.loads(blob.download_as_bytes())
    assert json.loads(plain)["overall_status"]
    small_encoding, small = download(storage_url, bucket_name, "v1/signals/2026-03-04.json", "gzip")
    assert small_encoding is None and json.loads(small)["signal"] == "favorable"  # under 1 KiB: stored as it is
