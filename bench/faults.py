"""Faults benchmark: ``monocyte scan --kill`` through a faulty network.

Run with ``.venv/bin/python bench/faults.py`` (``--rates 0,10,30,50``, ``--seed 1``,
``--per-region 2``). Everything runs on this machine: moto's server as a separate
process on a free 127.0.0.1 port, and tests/faultproxy.py in this process between
boto3 and moto. No AWS account, no network.

For each fault rate: moto is reset and seeded (through moto directly, no faults)
with ``--per-region`` EC2 instances, DynamoDB tables, versioned S3 buckets (two
versions, a delete marker, an open multipart upload) and SQS queues in each of three
regions outside the EU and one inside (eu-central-1, which must survive). Then
``cli.main(["scan", "--kill", "--json", ...])`` runs in this process with
``AWS_ENDPOINT_URL`` at the proxy, the proxy injecting faults at that rate (all five
kinds equally: throttle, 500, dropped connection, lost answer, slow answer of
``--delay`` s), seeded. A second scan follows in the same weather. After each scan
moto itself is asked what is left. Settings are the defaults (MONOCYTE_MAX_ATTEMPTS
5, 16 workers) but for the blast-radius breaker, off (MONOCYTE_BREAKER_LIMIT=0).

Figures go to stdout as a table and to bench/results/faults.json.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import io
import json
import os
import sys
import time
import urllib.request

from _common import BENCH, FAKE_ENV, ROOT, machine, moto_server, table

sys.path.insert(0, str(ROOT / "tests"))  # the fault proxy and the kinds live there

from faultproxy import KINDS as FAULTS, FaultProxy  # noqa: E402
from kinds import KINDS  # noqa: E402

RESULTS = BENCH / "results" / "faults.json"
NON_EU = ("us-east-1", "us-west-2", "ap-southeast-1")
EU = ("eu-central-1",)
TYPES = ("AWS::EC2::Instance", "AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue")


def seed(per_region: int) -> dict:
    from chalicelib import sandbox

    trail = sandbox.Trail()
    return {(t, r): [KINDS[t][0](trail, r) for _ in range(per_region)]
            for r in NON_EU + EU for t in TYPES}


def left(made: dict) -> tuple[int, int]:
    """(non-EU resources still alive, EU resources still alive), asked of moto."""
    alive = {key: sum(KINDS[key[0]][1](key[1], i) for i in ids) for key, ids in made.items()}
    return (sum(n for (_, r), n in alive.items() if r not in EU),
            sum(n for (_, r), n in alive.items() if r in EU))


def one_scan(proxy: FaultProxy, moto: str) -> dict:
    from chalicelib import cli

    proxy.reset()
    out = io.StringIO()
    os.environ["AWS_ENDPOINT_URL"] = proxy.url
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = cli.main(["scan", "--kill", "--json", "--regions", ",".join(NON_EU + EU),
                             "--types", ",".join(TYPES)])
    finally:
        seconds = time.perf_counter() - started
        os.environ["AWS_ENDPOINT_URL"] = moto
    records = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    actions = collections.Counter(r["action"] for r in records)
    by_type = collections.Counter(f"{r['type']} {r['action']}" for r in records)
    return {"exit": code, "seconds": round(seconds, 2), "actions": dict(actions),
            "by_type": dict(by_type), **proxy.figures(),
            "not_killed": [r for r in records if r["action"] != "killed"]}


def run_rate(rate: float, args, moto: str) -> dict:
    urllib.request.urlopen(urllib.request.Request(f"{moto}/moto-api/reset", method="POST"))
    made = seed(args.per_region)
    total_non_eu = sum(len(ids) for (_, r), ids in made.items() if r not in EU)
    total_eu = sum(len(ids) for (_, r), ids in made.items() if r in EU)
    result = {"rate": rate, "seed": args.seed, "non_eu": total_non_eu, "eu": total_eu,
              "scans": []}
    with FaultProxy(moto, rate=rate, seed=args.seed, delay=args.delay) as proxy:
        for _ in range(2):
            figures = one_scan(proxy, moto)
            figures["non_eu_left"], figures["eu_left"] = left(made)
            result["scans"].append(figures)
    return result


def report(results: list[dict]) -> str:
    rows = []
    for r in results:
        first, second = r["scans"]
        for n, figures in enumerate((first, second), 1):
            before = r["non_eu"] if n == 1 else first["non_eu_left"]
            deleted = before - figures["non_eu_left"]
            injected = figures["injected"]
            failed = figures["actions"].get("failed", 0) + figures["actions"].get(
                "unit-failed", 0)
            rows.append([
                f"{r['rate']:.0%}" if n == 1 else "", n, figures["requests"],
                " ".join(str(injected.get(k, 0)) for k in FAULTS), figures["retries"],
                figures["most_attempts"], f"{r['non_eu'] - figures['non_eu_left']}/{r['non_eu']}",
                f"{figures['eu_left']}/{r['eu']}", figures["non_eu_left"], failed,
                max(deleted - figures["actions"].get("killed", 0), 0), figures["exit"],
                f"{figures['seconds']:.1f}"])
    return table(rows, [
        "RATE", "SCAN", "REQUESTS", "INJECTED thr/500/drop/lost/slow", "RETRIES", "MAX ATT",
        "KILLED", "EU KEPT", "LEFT", "FAILED", "UNRECORDED", "EXIT", "SECONDS"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="0,10,30,50", help="percent, comma separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-region", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.5, help="a slow answer's delay, s")
    args = parser.parse_args()
    rates = [int(x) / 100 for x in args.rates.split(",")]
    for key in [k for k in os.environ if k.startswith("MONOCYTE_")]:
        del os.environ[key]
    os.environ.update(FAKE_ENV, MONOCYTE_BREAKER_LIMIT="0")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = []
    with moto_server(RESULTS.parent / "faults_moto_server.log") as moto:
        os.environ["AWS_ENDPOINT_URL"] = moto
        for rate in rates:
            print(f"rate {rate:.0%} ...", file=sys.stderr, flush=True)
            results.append(run_rate(rate, args, moto))
    print(report(results))
    RESULTS.write_text(json.dumps({"machine": machine(None), "args": vars(args),
                                   "results": results}, indent=2))
    print("\n  KILLED: non-EU resources gone (asked of moto) / seeded; LEFT: non-EU still there;"
          "\n  FAILED: outcomes 'failed' + failed units; UNRECORDED: deleted in that scan"
          "\n  without a 'killed' outcome; RETRIES: requests with attempt > 1 (botocore's"
          "\n  amz-sdk-request header); MAX ATT: most attempts of one call.")
    print(f"  Every scan's figures and its outcomes other than 'killed': {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
