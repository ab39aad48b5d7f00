"""The session servers answer real client libraries, and their environment lasts only as long as the fixture."""
from __future__ import annotations

import os
import uuid

import pytest

from tests.servers import Server, unavailable



@pytest.mark.emulator
def test_firestore_emulator_serves_the_client(firestore_emulator: Server):
    from google.cloud import firestore

    assert os.environ["FIRESTORE_EMULATOR_HOST"] == firestore_emulator.address
    client = firestore.Client(project=f"test-{uuid.uuid4().hex[:8]}")
    client.collection("c").document("d").set({"x": 1})
    assert client.collection("c").document("d").get().to_dict() == {"x": 1}


@pytest.mark.emulator
def test_pubsub_emulator_delivers_a_message(pubsub_emulator: Server):
    from google.cloud import pubsub_v1

    assert os.environ["PUBSUB_EMULATOR_HOST"] == pubsub_emulator.address
    project, name = "test-project", f"t-{uuid.uuid4().hex[:8]}"
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = publisher.create_topic(name=publisher.topic_path(project, name)).name
    subscription = subscriber.create_subscription(name=subscriber.subscription_path(project, name), topic=topic).name
    publisher.publish(topic, b'{"export_types": ["results"]}').result(timeout=10)
    received = subscriber.pull(subscription=subscription, max_messages=1, timeout=10).received_messages
    assert [message.message.data for message in received] == [b'{"export_types": ["results"]}']


@pytest.mark.emulator
def test_fake_gcs_server_keeps_cache_control(fake_gcs_server: Server):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    assert os.environ["STORAGE_EMULATOR_HOST"] == fake_gcs_server.url
    client = storage.Client(project="test-project", credentials=AnonymousCredentials())
    bucket = client.create_bucket(f"b-{uuid.uuid4().hex[:8]}")
    blob = bucket.blob("v1/x.json")
    blob.cache_control = "public, max-age=300"
    blob.upload_from_string(b"{}", content_type="application/json")
    stored = bucket.get_blob("v1/x.json")
    assert (stored.cache_control, stored.content_type, stored.download_as_bytes()) == (
        "public, max-age=300", "application/json", b"{}",
    )


def test_a_server_that_cannot_run_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no emulator"):
        unavailable("no emulator")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="no emulator"):
        unavailable("no emulator")
