"""How fast ``monocyte replay`` reads a trail: 100,000 generated records in gzip files
laid out as CloudTrail writes them to S3, against the floor of a plain gzip + json.load
of the same files. Median of several runs, one process (one core).

    .venv/bin/python bench/replay.py [--records 100000] [--runs 5]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import pathlib
import random
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ACCOUNT = "123456789012"
PER_FILE = 500  # CloudTrail delivers a file every ~5 minutes; hundreds of records each
REGIONS = ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2", "ap-southeast-1"]
# A trail's usual mix: mostly reads, some failures, few writes (weights).
KINDS = [("read", 70), ("failed", 8), ("write-eu", 12), ("create-non-eu", 5),
         ("global", 3), ("uncovered", 2)]


def _record(kind: str, n: int, rng: random.Random) -> dict:
    region = rng.choice(REGIONS[2:] if kind in ("create-non-eu", "uncovered") else REGIONS)
    source, name, request, response = "sqs.amazonaws.com", "CreateQueue", \
        {"queueName": f"q{n}"}, {"queueUrl": f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/q{n}"}
    if kind == "read":
        source, name, request, response = "ec2.amazonaws.com", "DescribeInstances", \
            {"instancesSet": {}, "filterSet": {}}, None
    elif kind == "global":
        source, name, request, response = "iam.amazonaws.com", "CreateRole", \
            {"roleName": f"r{n}"}, {"role": {"roleName": f"r{n}"}}
        region = "us-east-1"
    elif kind == "uncovered":
        source, name, request, response = "appmesh.amazonaws.com", "CreateMesh", \
            {"meshName": f"m{n}"}, {"mesh": {"meshName": f"m{n}"}}
    elif kind == "write-eu":
        region = rng.choice(REGIONS[:2])
    record = {"eventVersion": "1.09",
              "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:dev",
                               "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/dev/dev",
                               "accountId": ACCOUNT},
              "eventTime": "2026-12-01T10:00:00Z", "eventSource": source, "eventName": name,
              "awsRegion": region, "sourceIPAddress": "198.51.100.7",
              "userAgent": "aws-cli/2.15.0", "requestParameters": request,
              "responseElements": response, "requestID": f"req-{n}", "eventID": f"ev-{n}",
              "readOnly": kind == "read", "eventType": "AwsApiCall",
              "managementEvent": True, "recipientAccountId": ACCOUNT,
              "eventCategory": "Management"}
    if kind == "failed":
        record["errorCode"] = "AccessDenied"
        record["errorMessage"] = "not authorized"
    return record


def generate(folder: pathlib.Path, count: int) -> list[pathlib.Path]:
    rng = random.Random(14)
    kinds = [k for k, w in KINDS for _ in range(w)]
    paths = []
    for start in range(0, count, PER_FILE):
        records = [_record(rng.choice(kinds), n, rng)
                   for n in range(start, min(start + PER_FILE, count))]
        day = folder / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / "2026" / "12" / "01"
        day.mkdir(parents=True, exist_ok=True)
        path = day / f"{ACCOUNT}_CloudTrail_us-east-1_20261201T{start // PER_FILE:04d}Z_x.json.gz"
        with gzip.open(path, "wt") as handle:
            json.dump({"Records": records}, handle)
        paths.append(path)
    return paths


def floor(paths) -> int:
    total = 0
    for path in paths:
        with gzip.open(path, "rb") as handle:
            total += len(json.load(handle)["Records"])
    return total


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("MONOCYTE_ALLOWED_REGIONS", "eu-central-1,eu-west-1")
    from chalicelib import config, replay

    settings = config.from_env()
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(pathlib.Path(tmp), args.records)
        folder = str(pathlib.Path(tmp) / "AWSLogs")
        replay.run([folder], settings)  # warm: botocore models, the registry, page cache
        floors, ours = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            assert floor(paths) == args.records
            floors.append(time.perf_counter() - t)
            t = time.perf_counter()
            summary = replay.run([folder], settings)
            ours.append(time.perf_counter() - t)
            assert summary.records == args.records and summary.malformed == 0
    f, o = statistics.median(floors), statistics.median(ours)
    print(f"{args.records} records in {len(paths)} files, median of {args.runs} runs")
    print(f"  {'':<24}{'seconds':>9}{'records/s':>12}{'x floor':>9}")
    print(f"  {'json.load (floor)':<24}{f:>9.3f}{args.records / f:>12,.0f}{1:>9.2f}")
    print(f"  {'monocyte replay':<24}{o:>9.3f}{args.records / o:>12,.0f}{o / f:>9.2f}")
    print(f"  would kill {sum(summary.would_kill.values())}, uncovered "
          f"{sum(summary.uncovered.values())}, create calls {summary.create_calls}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
