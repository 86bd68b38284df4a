#!/usr/bin/env bash
# Set up, build, and analyse the bundled sample capture.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
scripts/build.sh >/dev/null
out=${OUT_DIR:-out}
mkdir -p "$out"
build/plainsight -r tests/data/sample.pcap -l "$out"
echo
echo "Events by type in $out/eve.json:"
python3 - "$out/eve.json" <<'PY'
import collections, json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
counts = collections.Counter(e["event_type"] for e in events)
for kind, n in sorted(counts.items()):
    print(f"  {kind:10} {n}")
alerts = collections.Counter(e["alert"]["signature"] for e in events if e["event_type"] == "alert")
if alerts:
    print("\nAlerts by signature (secrets are redacted; --unmask-secrets shows them):")
    for sig, n in alerts.most_common():
        print(f"  {n:3}  {sig}")
PY
echo "EVE output: $(cd "$out" && pwd)/eve.json"
