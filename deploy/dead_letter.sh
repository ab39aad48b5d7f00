#!/usr/bin/env bash
# Give a Pub/Sub-triggered gen2 function's trigger subscription a dead-letter topic.
# Usage: dead_letter.sh --function=NAME --region=R --dead-letter-topic=T --max-delivery-attempts=N
# Creates the topic (and a subscription on it, so dead letters are kept for inspection) when missing, and grants
# the Pub/Sub service agent what dead-lettering needs: publish to the topic, subscribe to the source subscription.
set -euo pipefail

for arg in "$@"; do
  case "$arg" in
    --function=*) function="${arg#*=}" ;;
    --region=*) region="${arg#*=}" ;;
    --dead-letter-topic=*) topic="${arg#*=}" ;;
    --max-delivery-attempts=*) attempts="${arg#*=}" ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
: "${function:?--function is required}" "${region:?--region is required}" "${topic:?--dead-letter-topic is required}" "${attempts:?--max-delivery-attempts is required}"

project="$(gcloud config get-value project 2>/dev/null)"
project_number="$(gcloud projects describe "$project" --format='value(projectNumber)')"
pubsub_agent="serviceAccount:service-${project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"

trigger="$(gcloud functions describe "$function" --gen2 --region="$region" --format='value(eventTrigger.trigger)')"
subscription="$(gcloud eventarc triggers describe "${trigger##*/}" --location="$region" --format='value(transport.pubsub.subscription)')"
[ -n "$subscription" ] || { echo "no Pub/Sub subscription found for $function's trigger $trigger" >&2; exit 1; }

gcloud pubsub topics describe "$topic" >/dev/null 2>&1 || gcloud pubsub topics create "$topic"
gcloud pubsub subscriptions describe "$topic-sub" >/dev/null 2>&1 \
  || gcloud pubsub subscriptions create "$topic-sub" --topic="$topic" --message-retention-duration=7d --expiration-period=never

gcloud pubsub topics add-iam-policy-binding "$topic" --member="$pubsub_agent" --role=roles/pubsub.publisher >/dev/null
gcloud pubsub subscriptions add-iam-policy-binding "$subscription" --member="$pubsub_agent" --role=roles/pubsub.subscriber >/dev/null
gcloud pubsub subscriptions update "$subscription" --dead-letter-topic="$topic" --max-delivery-attempts="$attempts"
echo "dead-letter topic $topic on $subscription after $attempts attempts"
