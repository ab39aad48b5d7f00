#!/usr/bin/env bash
# On the python:3.11 build image (Debian): a Java runtime and Google's Firestore and Pub/Sub emulators, at the
# paths the tests use (/usr/lib/google-cloud-sdk/platform/...). CI=true makes a missing emulator a failure.
set -euo pipefail

apt-get update -qq
apt-get install -y -qq apt-transport-https ca-certificates gnupg curl default-jre-headless >/dev/null
curl -fsSL https://packages.cloud.google.com/apt/doc/apt-key.gpg | gpg --dearmor -o /usr/share/keyrings/cloud.google.gpg
echo "deb [signed-by=/usr/share/keyrings/cloud.google.gpg] https://packages.cloud.google.com/apt cloud-sdk main" \
  > /etc/apt/sources.list.d/google-cloud-sdk.list
apt-get update -qq
apt-get install -y -qq google-cloud-cli google-cloud-cli-firestore-emulator google-cloud-cli-pubsub-emulator >/dev/null
