#!/usr/bin/env bash
# Enable a Firestore TTL policy on one timestamp field of a collection group; a no-op when it is already on.
# Usage: heartbeat_ttl.sh --collection-group=G --field=F
set -euo pipefail

for arg in "$@"; do
  case "$arg" in
    --collection-group=*) group="${arg#*=}" ;;
    --field=*) field="${arg#*=}" ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
: "${group:?--collection-group is required}" "${field:?--field is required}"

state="$(gcloud firestore fields describe "$field" --collection-group="$group" --format='value(ttlConfig.state)' 2>/dev/null || true)"
if [ "$state" = ACTIVE ] || [ "$state" = CREATING ]; then
  echo "TTL on $group.$field is already $state"
else
  gcloud firestore fields ttls update "$field" --collection-group="$group" --enable-ttl --async
fi
