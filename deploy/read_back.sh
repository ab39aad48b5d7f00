#!/usr/bin/env bash
# Save what is really deployed, for deploy/verify.py: each function's description and its trigger subscription.
# Usage: read_back.sh --region=R --out=DIR FUNCTION...
set -euo pipefail

functions=()
for arg in "$@"; do
  case "$arg" in
    --region=*) region="${arg#*=}" ;;
    --out=*) out="${arg#*=}" ;;
    --*) echo "unknown argument: $arg" >&2; exit 2 ;;
    *) functions+=("$arg") ;;
  esac
done
: "${region:?--region is required}" "${out:?--out is required}"
mkdir -p "$out"

for function in "${functions[@]}"; do
  gcloud functions describe "$function" --gen2 --region="$region" --format=json > "$out/$function.json"
  trigger="$(gcloud functions describe "$function" --gen2 --region="$region" --format='value(eventTrigger.trigger)')"
  subscription="$(gcloud eventarc triggers describe "${trigger##*/}" --location="$region" --format='value(transport.pubsub.subscription)')"
  gcloud pubsub subscriptions describe "$subscription" --format=json > "$out/$function.subscription.json"
done
echo "read back ${functions[*]} into $out"
