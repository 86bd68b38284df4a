"""The bundled sample capture (tests/data/sample.pcap, what scripts/sample.sh
analyses) is the generator's output for the arguments in its truth file,
and a default run over it finds exactly the planted secrets, redacted."""
import json
import os
import subprocess
import sys

import check_alerts as planted
from harness import GEN, ROOT, WORK, eq, of_type, read_eve, run_ps, test, validate_schema

SAMPLE = os.path.join(ROOT, "tests", "data", "sample.pcap")
TRUTH = os.path.join(ROOT, "tests", "data", "sample.truth.json")


def _truth():
    with open(TRUTH) as f:
        return json.load(f)


@test
def sample_capture_is_the_generators_output():
    """The truth only vouches for the capture it was written with."""
    args = _truth()["args"]
    cmd = [sys.executable, GEN, "--quiet", "--out", os.path.join(WORK, "sample-again.pcap")]
    for key, value in sorted(args.items()):
        if value is not None:
            cmd += ["--" + key.replace("_", "-"), str(value)]
    subprocess.run(cmd, check=True, capture_output=True)
    with open(SAMPLE, "rb") as a, open(os.path.join(WORK, "sample-again.pcap"), "rb") as b:
        assert a.read() == b.read(), "tests/data/sample.pcap differs from the generator's output"


@test
def sample_capture_default_run_finds_the_planted_secrets_redacted():
    truth = _truth()
    assert len(truth["secrets"]) >= 10, "the sample should show the engine finding secrets"
    # As scripts/sample.sh runs it: defaults, into a log directory.
    logdir = os.path.join(WORK, "sample-out")
    os.makedirs(logdir, exist_ok=True)
    run_ps(["-r", SAMPLE, "-l", logdir])
    with open(os.path.join(logdir, "eve.json")) as f:
        text = f.read()
    events = [json.loads(line) for line in text.splitlines()]
    validate_schema(events)
    alerts = of_type(events, "alert")
    eq(len(alerts), len(truth["secrets"]), "alerts in a default run")
    assert all(a["alert"]["context"].get("redacted") is True
               for a in alerts if "secret" in a["alert"].get("context", {})), "unredacted alert"
    leaked = [s["secret"] for s in truth["secrets"] if s["secret"] and s["secret"] in text]
    assert not leaked, f"{len(leaked)} planted secrets in clear in the default output"
    eq(len(of_type(events, "http")), sum(len(fl.get("http", [])) for fl in truth["flows"]),
       "http transactions")
    eq(len(of_type(events, "flow")), len(truth["flows"]), "flows")

    # Unmasked, each alert is one planted secret on its flow and transaction.
    out = os.path.join(WORK, "sample-unmasked.eve.json")
    run_ps(["-r", SAMPLE, "-o", out, "--eve-types", "alert", "--unmask-secrets"])
    _, _, extra, missing = planted.compare(read_eve(out), truth)
    assert not extra and not missing, (f"{sum(extra.values())} unexpected alerts, "
                                       f"{sum(missing.values())} planted secrets missed")
