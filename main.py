"""Cloud Function entry point (gen2, event-driven): a Pub/Sub CloudEvent in, one run, return.

Both trigger topics (phase6-export-trigger, nba-phase5-predictions-complete) reach `export_handler`; the
message contract tells their payloads apart. Backends are opened once per instance, on the first event.
"""
import functions_framework

from phase6.messages import Envelope
from phase6.runtime import Instance, configure_logging

configure_logging()
instance = Instance()


@functions_framework.cloud_event
def export_handler(cloud_event) -> None:
    instance.handle(Envelope.from_cloud_event(cloud_event.data, cloud_event["id"]))
