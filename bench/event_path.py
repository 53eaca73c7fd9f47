"""Event-path benchmark: cold start, warm per-event overhead, AWS calls per kill.

Run with ``make bench`` (that is ``.venv/bin/python bench/event_path.py``). Everything
runs on this machine against moto's server, started here on a free 127.0.0.1 port and
stopped at the end; no AWS account, no network besides installing the peer once.

What it measures (medians of ``--runs`` runs, 7 by default):

1. Cold start: a fresh interpreter that imports ``app`` and hands one real
   ``dynamodb:CreateTable`` event (a table made just before, so it really kills) to
   the Lambda handler ``app.reap(event, None)``. Side by side, interleaved, with the
   peer: Cloud Custodian's ``c7n.resources.load_resources(('aws.*',))`` in a fresh
   interpreter of its own venv (``bench/.venv-c7n``, made here when missing; c7n pins
   its own boto3 so it cannot share ours). Reported as ratios.
2. Warm per-event time, per resource type, in one process after a warm-up, split into
   the time inside AWS calls (request, moto's work, response parsing) and the rest.
   Plus ``reaper.explain`` (the offline steps) on the recorded events in tests/events/.
3. AWS API calls per kill, per type, counted with ``chalicelib.sandbox.CallLog``, for
   an unprotected resource and a protected one; STS GetCallerIdentity (once per
   process) is counted apart.

Figures go to stdout as tables and to bench/results/event_path.json.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
import timeit
import uuid
from typing import Any, Callable

# Shared with the other benchmarks; importing it also puts the project on sys.path.
from _common import (BENCH, FAKE_ENV, ROOT, child_env, ensure_peer, interleave, machine, median,
                     moto_server, table)

RESULTS = BENCH / "results" / "event_path.json"
EVENTS_DIR = ROOT / "tests" / "events"

ACCOUNT = "123456789012"   # moto's default account, and the trail emulator's
REGION = "us-east-1"       # outside the EU: everything made here is killed
TEMPLATE = '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}'

# The child interpreters. Nothing is imported before the clock starts but ``time``.
OURS_COLD = r"""
import time
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
import json, sys
with open(sys.argv[1]) as f:
    event = json.load(f)
t2 = time.perf_counter()
result = app.reap(event, None)
t3 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "event_ms": (t3 - t2) * 1e3,
                  "total_ms": (t3 - t2 + t1 - t0) * 1e3,
                  "actions": [o["action"] for o in result]}))
"""
PEER_COLD = r"""
import time
t0 = time.perf_counter()
from c7n.resources import load_resources
t1 = time.perf_counter()
missing = load_resources(("aws.*",))
t2 = time.perf_counter()
import json
from c7n.resources.aws import AWS
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "load_ms": (t2 - t1) * 1e3,
                  "total_ms": (t2 - t0) * 1e3, "resource_types": len(AWS.resources),
                  "missing": list(missing or [])}))
"""


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- making resources the way a team would ------------------------------------------

class Maker:
    """Creates one resource of a case in moto and returns the create event that
    CloudTrail would have delivered for it (recorded by ``sandbox.Trail``)."""

    def __init__(self) -> None:
        import boto3

        from chalicelib.sandbox import Trail

        self.trail = Trail()
        self.ec2 = boto3.client("ec2", REGION)
        self.cfn = boto3.client("cloudformation", REGION)
        self.rds = boto3.client("rds", REGION)
        self.ddb = boto3.client("dynamodb", REGION)
        self.s3 = boto3.client("s3", REGION)
        self._image: str | None = None

    def _last(self) -> dict:
        return self.trail.events[-1]

    def instance(self, protect: bool = False) -> dict:
        if self._image is None:
            self._image = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        reply = self.trail.call(self.ec2, "run_instances", ImageId=self._image,
                                MinCount=1, MaxCount=1, InstanceType="t3.micro")
        if protect:
            self.ec2.modify_instance_attribute(InstanceId=reply["Instances"][0]["InstanceId"],
                                               DisableApiTermination={"Value": True})
        return self._last()

    def volume(self, protect: bool = False) -> dict:
        self.trail.call(self.ec2, "create_volume", AvailabilityZone=f"{REGION}a", Size=8)
        return self._last()

    def stack(self, protect: bool = False) -> dict:
        self.trail.call(self.cfn, "create_stack", StackName=_name("stack"),
                        TemplateBody=TEMPLATE, EnableTerminationProtection=protect)
        return self._last()

    def db_instance(self, protect: bool = False) -> dict:
        self.trail.call(self.rds, "create_db_instance", DBInstanceIdentifier=_name("db"),
                        Engine="postgres", DBInstanceClass="db.t3.micro",
                        AllocatedStorage=20, MasterUsername="app",
                        MasterUserPassword="not-a-real-password", DeletionProtection=protect)
        return self._last()

    def db_snapshot(self, protect: bool = False) -> dict:
        db = _name("snapdb")
        self.rds.create_db_instance(DBInstanceIdentifier=db, Engine="postgres",
                                    DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                                    MasterUsername="app",
                                    MasterUserPassword="not-a-real-password")
        self.trail.call(self.rds, "create_db_snapshot", DBSnapshotIdentifier=_name("snap"),
                        DBInstanceIdentifier=db)
        return self._last()

    def table(self, protect: bool = False) -> dict:
        self.trail.call(self.ddb, "create_table", TableName=_name("table"),
                        BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        DeletionProtectionEnabled=protect)
        return self._last()

    def bucket(self, protect: bool = False) -> dict:
        # us-east-1: no CreateBucketConfiguration, as CloudTrail records it there.
        self.trail.call(self.s3, "create_bucket", Bucket=_name("bucket"))
        return self._last()

    def full_bucket(self, protect: bool = False) -> dict:
        """Versioned, two versions and a delete marker of one key, one open upload:
        the kill has prerequisites (emptying the bucket)."""
        event = self.bucket()
        name = event["detail"]["requestParameters"]["bucketName"]
        self.s3.put_bucket_versioning(Bucket=name,
                                      VersioningConfiguration={"Status": "Enabled"})
        for body in (b"one", b"two"):
            self.s3.put_object(Bucket=name, Key="data.csv", Body=body)
        self.s3.delete_object(Bucket=name, Key="data.csv")
        self.s3.create_multipart_upload(Bucket=name, Key="big.bin")
        return event


# Which protection a case has, as far as the benchmark can exercise it in moto.
NO_PROTECTION = "none"            # the type has no termination/deletion protection
MOTO_PROTECTION = "moto"          # moto models it: the protected variant is measured
NOT_IN_MOTO = "not in moto"       # AWS has it, moto cannot lift it (see NOTES)

# (label, CloudFormation type, service, maker, protection, has prerequisites)
CASES: list[tuple[str, str, str, Callable[[Maker], Callable[..., dict]], str, bool]] = [
    ("AWS::EC2::Instance", "AWS::EC2::Instance", "ec2", lambda m: m.instance,
     MOTO_PROTECTION, False),
    ("AWS::EC2::Volume", "AWS::EC2::Volume", "ec2", lambda m: m.volume, NO_PROTECTION, False),
    ("AWS::CloudFormation::Stack", "AWS::CloudFormation::Stack", "cloudformation",
     lambda m: m.stack, NOT_IN_MOTO, False),
    ("AWS::RDS::DBInstance", "AWS::RDS::DBInstance", "rds", lambda m: m.db_instance,
     MOTO_PROTECTION, False),
    ("AWS::RDS::DBSnapshot", "AWS::RDS::DBSnapshot", "rds", lambda m: m.db_snapshot,
     NO_PROTECTION, False),
    ("AWS::DynamoDB::Table", "AWS::DynamoDB::Table", "dynamodb", lambda m: m.table,
     MOTO_PROTECTION, False),
    ("AWS::S3::Bucket (empty)", "AWS::S3::Bucket", "s3", lambda m: m.bucket,
     NO_PROTECTION, False),
    ("AWS::S3::Bucket (2 versions, 1 marker, 1 upload)", "AWS::S3::Bucket", "s3",
     lambda m: m.full_bucket, NO_PROTECTION, True),
]
NOTES = {
    "AWS::CloudFormation::Stack": "moto 5 stores EnableTerminationProtection but does not "
    "implement UpdateTerminationProtection (HTTP 500), so a protected stack cannot be "
    "killed against moto; its protected variant is not measured.",
}


# --- 1. cold start ------------------------------------------------------------------

def run_child(command: list[str], env: dict) -> tuple[dict, float]:
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    wall = (time.perf_counter() - started) * 1e3
    if proc.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1])
    result["process_wall_ms"] = wall
    return result, wall


def cold_start(maker: Maker, url: str, runs: int, peer: pathlib.Path | None) -> dict:
    env = child_env(url)
    ours_cmd = [sys.executable, "-c", OURS_COLD]
    peer_cmd = [str(peer), "-c", PEER_COLD] if peer else None
    ours: list[dict] = []
    theirs: list[dict] = []
    peer_failure: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        def one_of_ours(keep: bool) -> None:
            path = pathlib.Path(tmp) / "event.json"
            path.write_text(json.dumps(maker.table()))
            result, _ = run_child([*ours_cmd, str(path)], env)
            if result["actions"] != ["killed"]:
                raise RuntimeError(f"cold start did not kill its table: {result['actions']}")
            if keep:
                ours.append(result)

        def one_of_theirs(keep: bool) -> None:
            nonlocal peer_cmd
            if not peer_cmd:
                return
            try:
                result, _ = run_child(peer_cmd, env)
            except (RuntimeError, subprocess.TimeoutExpired, ValueError, IndexError) as error:
                # The peer failing must not hide our figures, nor pass unnoticed.
                print(f"WARNING: the peer failed, Monocyte's figures are alone: {error}",
                      file=sys.stderr)
                peer_failure.append(str(error)[-1000:])
                theirs.clear()
                peer_cmd = None
                return
            if keep:
                theirs.append(result)

        interleave(one_of_ours, one_of_theirs, runs)

    def summary(results: list[dict], keys: tuple[str, ...]) -> dict:
        return {key: {"median": median([r[key] for r in results]),
                      "runs": [round(r[key], 2) for r in results]} for key in keys}

    out: dict[str, Any] = {"monocyte": summary(ours, ("import_ms", "event_ms", "total_ms",
                                                      "process_wall_ms"))}
    if peer_failure:
        out["peer_failure"] = peer_failure[0]
    if theirs:
        out["c7n"] = summary(theirs, ("import_ms", "load_ms", "total_ms", "process_wall_ms"))
        out["c7n"]["resource_types"] = theirs[-1]["resource_types"]
        m, c = out["monocyte"], out["c7n"]
        out["ratio_total"] = m["total_ms"]["median"] / c["total_ms"]["median"]
        out["ratio_import"] = m["import_ms"]["median"] / c["total_ms"]["median"]
        out["ratio_process_wall"] = (m["process_wall_ms"]["median"]
                                     / c["process_wall_ms"]["median"])
    return out


# --- 2. warm per-event time ---------------------------------------------------------

class CallTimer:
    """Time spent inside AWS calls (from just before the request is signed and sent
    to the answer parsed) and their number, hooked on a client's own events."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._started: float | None = None

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call", self._before)
        client.meta.events.register("after-call", self._after)

    def _before(self, **kwargs: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, **kwargs: Any) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self.calls += 1
            self._started = None


def round_trip(samples: int = 50) -> dict:
    """The floor under every call: a plain boto3 call to moto's server, no Monocyte."""
    import boto3

    out = {}
    for name, call in (("sts:GetCallerIdentity", boto3.client("sts", REGION).get_caller_identity),
                       ("dynamodb:ListTables", boto3.client("dynamodb", REGION).list_tables)):
        call()
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1e3)
        out[name] = median(times)
    return out


def warm(maker: Maker, runs: int) -> dict:
    from app import reap  # the Lambda handler, exactly as Lambda calls it
    from chalicelib import runtime

    runtime.reset()
    for _, _, _, make, _, _ in CASES:  # warm-up: settings, clients, one kill of each
        [outcome] = reap(make(maker)(), None)
        if outcome["action"] != "killed":
            raise RuntimeError(f"warm-up did not kill: {outcome}")
    timer = CallTimer()
    for service in sorted({case[2] for case in CASES}):
        timer.attach(runtime.clients().client(service, REGION, ACCOUNT))

    # Every resource is made first, so the timed loop only handles events.
    pending = [(label, make(maker)()) for _ in range(runs)
               for label, _, _, make, _, _ in CASES]
    samples: dict[str, list[tuple[float, float, int]]] = {label: [] for label, *_ in CASES}
    for label, event in pending:
        timer.seconds, timer.calls = 0.0, 0
        started = time.perf_counter()
        [outcome] = reap(event, None)
        elapsed = time.perf_counter() - started
        if outcome["action"] != "killed":
            raise RuntimeError(f"{label}: expected a kill, got {outcome}")
        samples[label].append((elapsed * 1e3, timer.seconds * 1e3, timer.calls))
    out = {}
    for label, rows in samples.items():
        total = median([r[0] for r in rows])
        in_calls = median([r[1] for r in rows])
        out[label] = {"median_ms": total, "in_calls_ms": in_calls,
                      "outside_calls_ms": median([r[0] - r[1] for r in rows]),
                      "calls": rows[0][2], "runs_ms": [round(r[0], 3) for r in rows]}
    return out


def explain_offline(runs: int) -> dict:
    from chalicelib import config, reaper

    settings = config.Settings()
    out = {}
    for path in sorted(EVENTS_DIR.glob("*.json")):
        event = json.loads(path.read_text())
        reaper.explain(event, settings)  # warm-up: compiled expressions, caches
        number = 2000
        per_call = [t / number * 1e6 for t in
                    timeit.repeat(lambda: reaper.explain(event, settings),
                                  number=number, repeat=runs)]
        out[path.stem] = {"median_us": median(per_call),
                          "decision": reaper.explain(event, settings)["decision"]}
    return out


# --- 3. AWS calls per kill ----------------------------------------------------------

def calls_per_kill(maker: Maker) -> dict:
    from chalicelib import config, reaper
    from chalicelib.aws import Clients
    from chalicelib.sandbox import CallLog

    log = CallLog()
    http = {"requests": 0}

    def session():  # CallLog's sessions, also counting HTTP requests (retries show)
        made = log.session()
        made.events.register("before-send", lambda **_: http.__setitem__(
            "requests", http["requests"] + 1))
        return made

    out: dict[str, Any] = {}
    variants = [("unprotected", config.Settings(dry_run=False), False),
                ("protected", config.Settings(dry_run=False), True),
                ("protected, force off", config.Settings(dry_run=False, force=False), True)]
    sts = 0
    for name, settings, protect in variants:
        clients = Clients(settings, session_factory=session)
        for label, _, _, make, protection, _ in CASES:
            if protect and protection != MOTO_PROTECTION:
                out.setdefault(label, {})[name] = protection
                continue
            event = make(maker)(protect=protect)
            before, before_http = len(log.calls), http["requests"]
            [outcome] = reaper.reap(event, settings, clients)
            made = log.calls[before:]
            ops = [f"{service}:{op}" for service, op, _ in made]
            sts += ops.count("sts:GetCallerIdentity")
            ops = [op for op in ops if op != "sts:GetCallerIdentity"]
            out.setdefault(label, {})[name] = {
                "calls": len(ops), "operations": ops, "action": outcome.action,
                "http_requests": http["requests"] - before_http - (len(made) - len(ops))}
    return {"per_type": out, "sts_get_caller_identity": sts, "notes": NOTES,
            "sts_note": f"{sts} GetCallerIdentity in {len(variants)} Clients instances: "
                        "once per process, on the first event"}


# --- report -------------------------------------------------------------------------

def not_benchmarked() -> list[str]:
    from chalicelib import registry

    return sorted({t.cfn_type for t in registry.all_types()} - {c[1] for c in CASES})


def report(results: dict) -> None:
    m = results["machine"]
    print(f"\nMachine: {m['nproc']} CPUs, Python {m['python']}, boto3 {m['boto3']}, "
          f"moto {m['moto']}, c7n {m['c7n'] or 'not measured'}; runs={results['runs']} "
          "(medians)")
    cold = results["cold_start"]
    print("\n1. Cold start (fresh interpreter; ms)")
    ours = cold["monocyte"]
    rows = [["Monocyte: import app", f"{ours['import_ms']['median']:.0f}"],
            ["Monocyte: first event (DynamoDB table killed)",
             f"{ours['event_ms']['median']:.0f}"],
            ["Monocyte: import + first event", f"{ours['total_ms']['median']:.0f}"],
            ["Monocyte: whole process, wall clock", f"{ours['process_wall_ms']['median']:.0f}"]]
    if "c7n" in cold:
        c = cold["c7n"]
        rows += [["c7n: import c7n.resources", f"{c['import_ms']['median']:.0f}"],
                 ["c7n: load_resources(('aws.*',))", f"{c['load_ms']['median']:.0f}"],
                 [f"c7n: import + load ({c['resource_types']} types)",
                  f"{c['total_ms']['median']:.0f}"],
                 ["c7n: whole process, wall clock", f"{c['process_wall_ms']['median']:.0f}"]]
    print(table(rows, ["what", "median ms"]))
    if "c7n" in cold:
        print(f"  ratio Monocyte cold start / c7n load_resources: {cold['ratio_total']:.2f} "
              f"(import alone: {cold['ratio_import']:.2f}; whole processes: "
              f"{cold['ratio_process_wall']:.2f}); target <= 1.00")
    else:
        print(f"  peer not measured: {results['peer_status']}")

    w = results["warm"]
    print(f"\n2. Warm per-event time (one process, after a warm-up; median of "
          f"{w['events_per_type']} events per type; ms per event)")
    rows = [[label, f"{w['median_ms']:.1f}", f"{w['in_calls_ms']:.1f}",
             f"{w['outside_calls_ms']:.1f}", w["calls"]]
            for label, w in results["warm"]["per_type"].items()]
    print(table(rows, ["type", "median", "in AWS calls", "outside calls", "calls"]))
    print("  moto round trip, plain boto3 (the floor of one call): " + ", ".join(
        f"{name} {ms:.1f} ms" for name, ms in w["moto_round_trip_ms"].items()))
    rows = [[name, f"{e['median_us']:.1f}", e["decision"]]
            for name, e in results["warm"]["explain_us"].items()]
    print("\n   reaper.explain alone (offline steps 1-3, recorded events; microseconds)")
    print(table(rows, ["tests/events/", "median us", "decision"]))

    print("\n3. AWS API calls per kill (STS GetCallerIdentity apart)")
    calls = results["calls_per_kill"]
    rows = []
    for label, variants in calls["per_type"].items():
        row = [label]
        for name in ("unprotected", "protected", "protected, force off"):
            v = variants.get(name)
            if isinstance(v, str):
                row.append("-" if v == NO_PROTECTION else v)
            else:
                row.append(f"{v['calls']} ({v['action']})")
        row.append(", ".join(op.split(":", 1)[1] for op in variants["unprotected"]["operations"]))
        rows.append(row)
    print(table(rows, ["type", "unprotected", "protected", "protected, force off",
                       "calls (unprotected)"]))
    for label, variants in calls["per_type"].items():
        v = variants.get("protected")
        if isinstance(v, dict):
            print(f"  {label} protected: " + ", ".join(o.split(':', 1)[1]
                                                      for o in v["operations"]))
    print("  - : the type has no termination or deletion protection")
    print(f"  STS GetCallerIdentity: {calls['sts_note']}")
    for label, note in NOTES.items():
        print(f"  note, {label}: {note}")
    plain = {case[0] for case in CASES if not case[5]}
    over = [label for label, v in calls["per_type"].items()
            if v["unprotected"]["calls"] > 2 and label in plain]
    if results["not_benchmarked"]:
        print("  WARNING, registered types this benchmark does not make yet: "
              + ", ".join(results["not_benchmarked"]))
    print("  types over two calls per kill with no prerequisites: "
          + (", ".join(over) if over else "none"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7,
                        help="cold-start runs of each side, per median (default 7)")
    parser.add_argument("--warm-events", type=int, default=15,
                        help="timed events per type in the warm process (default 15)")
    parser.add_argument("--no-peer", action="store_true", help="skip Cloud Custodian")
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args()
    if args.runs < 1 or args.warm_events < 1:
        parser.error("--runs and --warm-events must be at least 1")
    # A plain kill (SIGTERM) unwinds too, so moto's server is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    started = time.perf_counter()
    if args.no_peer:
        peer, peer_status = None, "skipped (--no-peer)"
    else:
        peer, peer_status = ensure_peer()
        if peer is None:
            print(f"WARNING: the peer is not measured, Monocyte's figures are alone: "
                  f"{peer_status}", file=sys.stderr)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    server_log = args.output.parent / "moto_server.log"
    with moto_server(server_log) as url:
        # Hundreds of kills in minutes: the blast-radius breaker would (rightly) stop them.
        os.environ.update(FAKE_ENV, AWS_ENDPOINT_URL=url, MONOCYTE_BREAKER_LIMIT="0")
        print(f"moto's server on {url} (log: {server_log.relative_to(ROOT)})", flush=True)
        maker = Maker()
        print(f"1/3 cold start, {args.runs} runs each, interleaved ...", flush=True)
        cold = cold_start(maker, url, args.runs, peer)
        print("2/3 warm per-event time ...", flush=True)
        warm_results = {"per_type": warm(maker, args.warm_events),
                        "events_per_type": args.warm_events,
                        "moto_round_trip_ms": round_trip(),
                        "explain_us": explain_offline(args.runs)}
        print("3/3 calls per kill ...", flush=True)
        calls = calls_per_kill(maker)
    results = {"machine": machine(peer_status if "c7n" in cold else None),
               "runs": args.runs,
               "peer_status": ("measured" if "c7n" in cold else
                               cold.get("peer_failure", peer_status)),
               "cold_start": cold, "warm": warm_results, "calls_per_kill": calls,
               "not_benchmarked": not_benchmarked(),
               "bench_seconds": round(time.perf_counter() - started, 1),
               "note": "moto's server runs on 127.0.0.1: AWS latency is near zero, so these "
                       "figures are Monocyte's (and botocore's) overhead, not AWS latency."}
    report(results)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWritten: {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}"
          f" ({results['bench_seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
