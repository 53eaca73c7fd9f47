"""Generic-layer benchmark (issue 12): cold start with the full generic table, and what
one scan unit costs in calls and time.

Run with ``.venv/bin/python bench/generic.py``. Everything runs on this machine: moto's
server as a separate process (bench/_common.py) and the Cloud Control stand-in
(chalicelib/generic/standin.py) in front of it; no AWS account, no network besides
installing the peer once (``bench/.venv-c7n``).

1. Cold start: a fresh interpreter imports ``app`` and hands ``app.reap`` one
   ``logs:CreateLogGroup`` event for a log group made just before in us-east-1. The log
   group is a generic type (no module of ours), so the handler reads the generated
   table (chalicelib/generic/types.json, every row), finds the type, checks it live and
   deletes it through Cloud Control (the stand-in). Interleaved with the peer's
   ``from c7n.resources import load_resources; load_resources(("aws.*",))`` in a fresh
   interpreter of its own venv. Medians of ``--runs`` runs; ratio ours / c7n.
2. One scan unit: ``chalicelib.scan.scan`` for one account and one region (us-east-1),
   every type (curated listings and every listable generic row), report only, with one
   resource of each stand-in type present. Every AWS call is counted and timed at
   botocore's ``_make_api_call`` (service, operation, milliseconds); the unit's wall
   clock is taken as well. ``--runs`` repetitions, medians.

Figures go to stdout and to bench/results/generic.json.
"""
from __future__ import annotations

import argparse
import collections
import json
import pathlib
import sys
import tempfile
import threading
import time
import uuid

from _common import (BENCH, ROOT, child_env, ensure_peer, interleave, machine, median, moto_server,
                     table)

RESULTS = BENCH / "results" / "generic.json"
REGION = "us-east-1"
SAMPLE = ROOT / "tests" / "events" / "logs.CreateLogGroup.json"

OURS_COLD = r"""
import time
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
import json, sys
with open(sys.argv[1]) as f:
    event = json.load(f)
# The engine waits between polls of a delete (the stand-in, as AWS, first answers
# IN_PROGRESS): the same sleep, timed, so the wait is reported apart from the work.
from chalicelib.generic import engine
waited = []
def timed_sleep(seconds, _sleep=time.sleep):
    s0 = time.perf_counter(); _sleep(seconds); waited.append(time.perf_counter() - s0)
defaults = list(engine.delete.__defaults__)
defaults[-1] = timed_sleep
engine.delete.__defaults__ = tuple(defaults)
t2 = time.perf_counter()
result = app.reap(event, None)
t3 = time.perf_counter()
from chalicelib.generic import table
wait_ms = sum(waited) * 1e3
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "event_ms": (t3 - t2) * 1e3,
                  "total_ms": (t3 - t2 + t1 - t0) * 1e3, "poll_wait_ms": wait_ms,
                  "working_ms": (t3 - t2 + t1 - t0) * 1e3 - wait_ms,
                  "generic_rows": len(table.load()),
                  "actions": [o["action"] for o in result],
                  "types": [o["type"] for o in result]}))
"""
PEER_COLD = r"""
import time
t0 = time.perf_counter()
from c7n.resources import load_resources
t1 = time.perf_counter()
load_resources(("aws.*",))
t2 = time.perf_counter()
import json
from c7n.resources.aws import AWS
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "load_ms": (t2 - t1) * 1e3,
                  "total_ms": (t2 - t0) * 1e3, "resource_types": len(AWS.resources)}))
"""


def _run(command: list[str], env: dict) -> dict:
    import subprocess

    started = time.perf_counter()
    proc = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=180)
    if proc.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads([l for l in proc.stdout.splitlines() if l.startswith("{")][-1])
    result["process_wall_ms"] = (time.perf_counter() - started) * 1e3
    return result


def _log_group_event(tmp: pathlib.Path) -> pathlib.Path:
    """A log group made in moto now, and the record CloudTrail would deliver for it."""
    import boto3

    name = f"bench-{uuid.uuid4().hex[:8]}"
    boto3.client("logs", REGION).create_log_group(logGroupName=name)
    event = json.loads(SAMPLE.read_text())
    event["region"] = event["detail"]["awsRegion"] = REGION
    event["detail"]["requestParameters"]["logGroupName"] = name
    path = tmp / "event.json"
    path.write_text(json.dumps(event))
    return path


def cold_start(url: str, cloud_control: str, runs: int, peer: pathlib.Path | None) -> dict:
    env = dict(child_env(url), AWS_ENDPOINT_URL_CLOUDCONTROL=cloud_control)
    ours: list[dict] = []
    theirs: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        def one_of_ours(keep: bool) -> None:
            result = _run([sys.executable, "-c", OURS_COLD,
                           str(_log_group_event(pathlib.Path(tmp)))], env)
            if result["actions"] != ["killed"] or result["types"] != ["AWS::Logs::LogGroup"]:
                raise RuntimeError(f"cold start did not kill its log group: {result}")
            if keep:
                ours.append(result)

        def one_of_theirs(keep: bool) -> None:
            if peer:
                result = _run([str(peer), "-c", PEER_COLD], env)
                if keep:
                    theirs.append(result)

        interleave(one_of_ours, one_of_theirs, runs)

    def summary(results: list[dict], keys: tuple[str, ...]) -> dict:
        return {key: median([r[key] for r in results]) for key in keys}

    out = {"runs": runs, "ours": summary(ours, ("import_ms", "event_ms", "total_ms",
                                                "poll_wait_ms", "working_ms",
                                                "process_wall_ms")),
           "generic_rows": ours[0]["generic_rows"] if ours else None}
    if theirs:
        out["c7n"] = summary(theirs, ("import_ms", "load_ms", "total_ms", "process_wall_ms"))
        out["c7n"]["resource_types"] = theirs[0]["resource_types"]
        out["ratio"] = out["ours"]["total_ms"] / out["c7n"]["total_ms"]
        out["ratio_working"] = out["ours"]["working_ms"] / out["c7n"]["total_ms"]
        out["ratio_process"] = (out["ours"]["process_wall_ms"]
                                / out["c7n"]["process_wall_ms"])
    return out


class Calls:
    """Every AWS call made in this process: (service, operation) -> list of ms."""

    def __init__(self) -> None:
        self.times: dict[tuple[str, str], list[float]] = collections.defaultdict(list)
        self._lock = threading.Lock()

    def install(self) -> None:
        import botocore.client

        original = botocore.client.BaseClient._make_api_call
        calls = self

        def timed(client, operation, params):
            started = time.perf_counter()
            try:
                return original(client, operation, params)
            finally:
                ms = (time.perf_counter() - started) * 1e3
                with calls._lock:
                    calls.times[(client.meta.service_model.service_name, operation)].append(ms)

        botocore.client.BaseClient._make_api_call = timed

    def reset(self) -> None:
        with self._lock:
            self.times.clear()


def _seed() -> int:
    """One resource of every type the stand-in serves, in the unit's region."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_generic_scan import TYPES, _make  # the test's own makers

    for name in TYPES:
        _make(name, REGION, f"bench-{uuid.uuid4().hex[:6]}")
    return len(TYPES)


def scan_unit(runs: int) -> dict:
    from chalicelib import registry, scan
    from chalicelib.aws import Clients
    from chalicelib.config import Settings
    from chalicelib.generic import scanning

    calls = Calls()
    calls.install()
    settings = Settings(dry_run=True)
    per_run = []
    for _ in range(runs):
        seeded = _seed()
        calls.reset()
        started = time.perf_counter()
        report = scan.scan(settings, Clients(settings), regions=[REGION])
        wall = (time.perf_counter() - started) * 1e3
        times = dict(calls.times)
        cc = times.get(("cloudcontrol", "ListResources"), [])
        listing = [ms for (service, op), v in times.items()
                   if service != "cloudcontrol" and op.startswith(("List", "Describe", "Get"))
                   for ms in v]
        per_run.append({
            "wall_ms": wall, "units": report.units, "list_calls": report.list_calls,
            "failures": len(report.failures), "findings": len(report.outcomes),
            "seeded": seeded,
            "cloudcontrol_list_calls": len(cc),
            "cloudcontrol_list_ms_median": median(cc),
            "other_calls": sum(len(v) for (s, _), v in times.items() if s != "cloudcontrol"),
            "other_call_ms_median": median(listing),
            "all_calls": sum(len(v) for v in times.values()),
            "by_operation": {f"{s}:{o}": len(v) for (s, o), v in sorted(times.items())},
        })
    keys = ("wall_ms", "units", "list_calls", "failures", "findings", "cloudcontrol_list_calls",
            "cloudcontrol_list_ms_median", "other_calls", "other_call_ms_median", "all_calls")
    generic_units = len(scanning.listed())
    curated_units = sum(1 for _ in registry.listed_types())
    return {"runs": runs, "region": REGION, "workers": settings.scan_workers,
            "curated_listed_types": curated_units, "generic_listed_types": generic_units,
            **{k: median([r[k] for r in per_run]) for k in keys},
            "by_operation": per_run[-1]["by_operation"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scan-runs", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    peer, version = (None, None) if args.no_peer else ensure_peer()
    if not args.no_peer and peer is None:
        print(f"WARNING: {version}; Monocyte's figures alone", file=sys.stderr)
        version = None
    import os

    from chalicelib.generic import standin

    with tempfile.TemporaryDirectory() as tmp, moto_server(pathlib.Path(tmp) / "moto.log") as url:
        saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                                                 "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
        os.environ.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="testing",
                          AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
        try:
            with standin.serving(url) as cloud_control:
                cold = cold_start(url, cloud_control, args.runs, peer)
                unit = scan_unit(args.scan_runs)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    results = {"machine": machine(version), "cold_start": cold, "scan_unit": unit}
    rows = [["Monocyte: import app", f"{cold['ours']['import_ms']:.0f}"],
            ["Monocyte: first generic event (table read, live check, delete)",
             f"{cold['ours']['event_ms']:.0f}"],
            ["Monocyte: import + event", f"{cold['ours']['total_ms']:.0f}"],
            ["  of which waiting between delete polls", f"{cold['ours']['poll_wait_ms']:.0f}"],
            ["  working (import + event - waiting)", f"{cold['ours']['working_ms']:.0f}"]]
    if "c7n" in cold:
        rows += [["c7n: import + load_resources(('aws.*',))", f"{cold['c7n']['total_ms']:.0f}"],
                 ["ratio Monocyte / c7n", f"{cold['ratio']:.2f}"],
                 ["ratio, working time / c7n", f"{cold['ratio_working']:.2f}"],
                 ["ratio, whole processes", f"{cold['ratio_process']:.2f}"]]
    print(f"Cold start, median of {cold['runs']} runs (ms), {cold['generic_rows']} generic rows")
    print(table(rows, ["what", "ms"]))
    print(f"\nOne scan unit ({REGION}, every type), median of {unit['runs']} runs")
    print(table([[k, f"{unit[k]:.1f}" if isinstance(unit[k], float) else unit[k]]
                 for k in ("units", "curated_listed_types", "generic_listed_types",
                           "list_calls", "cloudcontrol_list_calls", "other_calls",
                           "all_calls", "cloudcontrol_list_ms_median",
                           "other_call_ms_median", "wall_ms", "workers", "findings",
                           "failures")], ["what", "value"]))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
