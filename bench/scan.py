"""Scan benchmark: ``monocyte scan --kill`` against Cloud Custodian on the same data,
and the number of list calls a scan makes.

Run with ``.venv/bin/python bench/scan.py``. Everything runs on this machine against
moto's server, started here on a free 127.0.0.1 port and stopped at the end; no AWS
account, no network besides installing the peer once (``bench/.venv-c7n``).

What it measures:

1. Kill time, side by side. Before every run moto is reset and seeded with the same
   data: 20 EC2 instances and 10 S3 buckets (half of them versioned, with object
   versions and a delete marker), over four regions outside the EU and one inside
   (eu-central-1, which must survive). Then ONE side runs as a subprocess and is
   timed, wall clock, interpreter start-up included:
   ``monocyte scan --kill --types AWS::EC2::Instance,AWS::S3::Bucket --regions ...``,
   or ``custodian run --cache-period 0 -r ... policy.yml`` with the policy below.
   After the run boto3 checks the outcome: every instance outside the EU terminated,
   every bucket outside the EU gone, the EU ones untouched. A run that did not do
   that work is reported as invalid and not timed. The sides are interleaved and
   the side that goes first alternates. Median of ``--runs`` runs (5) of each.
   Scenarios: (A) the seeded regions only; (B) every enabled commercial region
   (Monocyte without ``--regions``; c7n with ``-r`` for each of the same regions);
   (E) A's commands on an empty account, the fixed cost of each tool.
2. List calls: ``chalicelib.scan.scan`` in this process, report only, every listed
   type moto implements (tests/kinds) over every enabled region, with
   ``chalicelib.sandbox.CallLog`` counting every AWS call; ``report.list_calls``
   against the minimum (one call per page per type per region, plus one call per
   account for the per-account types). Then scenario A's kill
   in this process, every call counted by operation.

Figures go to stdout as tables and to bench/results/scan.json.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

# Shared with the other benchmarks; importing it also puts the project on sys.path.
from _common import (BENCH, C7N_VENV, FAKE_ENV, ROOT, child_env, ensure_peer, machine,
                     median, moto_server, table)

RESULTS = BENCH / "results" / "scan.json"
TARGET_RATIO = 5.0        # c7n / Monocyte, at least
TARGET_LIST_RATIO = 1.10  # list calls / minimum, at most

NON_EU = ("us-east-1", "us-west-2", "ap-southeast-1", "sa-east-1")
EU = "eu-central-1"
SEEDED = (*NON_EU, EU)
INSTANCES_PER_REGION = 4  # 20 instances
BUCKETS_PER_REGION = 2    # 10 buckets; the first of each region is versioned
TYPES = ("AWS::EC2::Instance", "AWS::S3::Bucket")
GONE_STATES = {"shutting-down", "terminated"}


def c7n_policy() -> str:
    """The peer's policy: the same kills as ``monocyte scan --kill`` on these types.
    The EU list is Monocyte's own default allowed set."""
    from chalicelib.config import EU_REGIONS

    return f"""\
policies:
  # Every live instance in each region given with -r; only regions outside the EU
  # are given. force: lift termination protection, as MONOCYTE_FORCE does.
  - name: bench-ec2
    resource: aws.ec2
    actions:
      - type: terminate
        force: true
  # ListBuckets answers with every bucket of the account, whatever the region, so
  # the policy runs once (in us-east-1) and keeps the buckets located outside the
  # EU. A null LocationConstraint (us-east-1) is not in the list, so it is kept.
  - name: bench-s3
    resource: aws.s3
    conditions:
      - type: value
        key: region
        value: us-east-1
    query:
      # The delete needs Versioning; the 8 other Get* calls per bucket are skipped.
      - augment-keys: [Versioning]
    filters:
      - not:
          - type: value
            key: Location.LocationConstraint
            op: in
            value: [{", ".join(sorted(EU_REGIONS))}]
    actions:
      - type: delete
        remove-contents: true
"""


# --- the data -----------------------------------------------------------------------

class Seeder:
    """Resets moto, seeds the same data every time, and checks what a run left."""

    def __init__(self, url: str) -> None:
        import boto3

        self.url = url
        self.session = boto3.session.Session()
        self._clients: dict[tuple[str, str], Any] = {}
        self._images: dict[str, str] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=region)
        return self._clients[key]

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()

    def image(self, region: str) -> str:
        # moto's AMI ids survive a reset; looking one up costs moto ~0.6 s per region.
        if region not in self._images:
            images = self.client("ec2", region).describe_images(Owners=["amazon"])["Images"]
            self._images[region] = images[0]["ImageId"]
        return self._images[region]

    def seed(self, touch: tuple[str, ...] = (), empty: bool = False) -> dict:
        """Reset moto and make the data (none when ``empty``). ``touch``: regions
        whose EC2 backend moto should build now (it builds one lazily on the first
        call, about 35 ms), so that neither side pays for moto's set-up inside its
        timed run."""
        self.reset()
        seeded: dict[str, Any] = {"instances": {}, "buckets": {}, "objects": {}}
        for region in () if empty else SEEDED:
            reply = self.client("ec2", region).run_instances(
                ImageId=self.image(region), InstanceType="t3.micro",
                MinCount=INSTANCES_PER_REGION, MaxCount=INSTANCES_PER_REGION)
            seeded["instances"][region] = [i["InstanceId"] for i in reply["Instances"]]
            s3 = self.client("s3", region)
            names = []
            for n in range(BUCKETS_PER_REGION):
                name = f"bench-{region}-{n}"
                where = ({} if region == "us-east-1" else
                         {"CreateBucketConfiguration": {"LocationConstraint": region}})
                s3.create_bucket(Bucket=name, **where)
                if n == 0:  # versioned: three versions of one key, one of another.
                    # No delete marker: moto 5.2.5 answers HTTP 500 when c7n deletes one
                    # (FakeDeleteMarker has no dispose()), which would fail the peer.
                    s3.put_bucket_versioning(Bucket=name,
                                             VersioningConfiguration={"Status": "Enabled"})
                    for body in (b"one", b"two", b"three"):
                        s3.put_object(Bucket=name, Key="data.csv", Body=body)
                    s3.put_object(Bucket=name, Key="other.csv", Body=b"x")
                else:
                    for key in ("a.csv", "b.csv"):
                        s3.put_object(Bucket=name, Key=key, Body=b"x")
                names.append(name)
                seeded["objects"][name] = self._versions(s3, name)
            seeded["buckets"][region] = names
        for region in touch:
            self.client("ec2", region).describe_instances()
        return seeded

    @staticmethod
    def _versions(s3: Any, name: str) -> int:
        page = s3.list_object_versions(Bucket=name)
        return len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))

    def verify(self, seeded: dict) -> list[str]:
        """What is wrong with the outcome: [] when every resource outside the EU is
        gone and every one inside is as it was."""
        problems = []
        for region, ids in seeded["instances"].items():
            answer = self.client("ec2", region).describe_instances(InstanceIds=ids)
            states = {i["InstanceId"]: i["State"]["Name"]
                      for r in answer["Reservations"] for i in r["Instances"]}
            if region == EU:
                hit = [i for i in ids if states.get(i) != "running"]
                if hit:
                    problems.append(f"{len(hit)} EU instances in {region} not running")
            else:
                alive = [i for i in ids if states.get(i) not in GONE_STATES]
                if alive:
                    problems.append(f"{len(alive)} instances left in {region}")
        listed = {b["Name"] for b in self.client("s3", "us-east-1").list_buckets()["Buckets"]}
        for region, names in seeded["buckets"].items():
            if region == EU:
                for name in names:
                    if name not in listed:
                        problems.append(f"EU bucket {name} deleted")
                    elif self._versions(self.client("s3", region), name) != seeded["objects"][name]:
                        problems.append(f"EU bucket {name} lost objects")
            else:
                left = [n for n in names if n in listed]
                if left:
                    problems.append(f"buckets left in {region}: {', '.join(left)}")
        return problems

    def enabled_commercial(self) -> list[str]:
        """The regions moto says are enabled, within botocore's commercial partition:
        what 'all regions' means for an account (opt-in regions left out)."""
        regions = self.client("ec2", "us-east-1").describe_regions()["Regions"]
        enabled = {r["RegionName"] for r in regions
                   if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in"}
        return sorted(enabled & set(self.session.get_available_regions("ec2")))


# --- 1. kill time, side by side -----------------------------------------------------

def requests_in(log_path: pathlib.Path) -> int:
    """HTTP requests moto's server has answered so far: one access-log line each
    (Werkzeug colours the status of some lines, so the line's start is matched)."""
    with open(log_path, "rb") as log:
        return sum(1 for line in log if line.startswith(b"127.0.0.1 - - ["))


class Side:
    """One tool's command line. ``fresh``: a directory emptied before every run."""

    def __init__(self, name: str, command: list[str], cwd: pathlib.Path,
                 fresh: pathlib.Path | None = None) -> None:
        self.name, self.command, self.cwd, self.fresh = name, command, cwd, fresh


def run_one(side: Side, seeder: Seeder, env: dict, touch: tuple[str, ...],
            log_path: pathlib.Path, empty: bool = False) -> dict:
    seeded = seeder.seed(touch, empty)
    if side.fresh:
        shutil.rmtree(side.fresh, ignore_errors=True)
    time.sleep(0.1)  # moto's request log catches up
    before = requests_in(log_path)
    # CPU of waited-for children: the tool and anything it forks, not moto's server
    # (still running, so not yet in RUSAGE_CHILDREN).
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        proc = subprocess.run(side.command, env=env, cwd=side.cwd, capture_output=True,
                              text=True, timeout=300)
        returncode, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as error:
        returncode, stdout, stderr = None, str(error.stdout or ""), "timed out after 300 s"
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    time.sleep(0.1)
    requests = requests_in(log_path) - before
    problems = seeder.verify(seeded)
    if returncode != 0:
        problems.insert(0, f"exit status {returncode}: {stderr.strip()[-600:]}")
    run: dict[str, Any] = {"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
                           "valid": not problems,
                           "http_requests": requests, "exit_status": returncode}
    if problems:
        run["problems"] = problems
    said = re.search(r"Scanned (\d+) regions .*?, (\d+) units, (\d+) list calls", stdout)
    if said:
        run["regions"], run["units"], run["list_calls"] = map(int, said.groups())
    return run


def side_by_side(sides: list[Side], seeder: Seeder, env: dict, runs: int,
                 touch: tuple[str, ...], log_path: pathlib.Path, warm_up: bool,
                 empty: bool = False) -> dict:
    results: dict[str, dict[str, Any]] = {s.name: {"runs": []} for s in sides}
    if warm_up:  # untimed: bytecode caches written, files in the page cache
        for side in sides:
            run = run_one(side, seeder, env, touch, log_path, empty)
            results[side.name]["warm_up"] = run
            if not run["valid"]:
                print(f"  WARNING: {side.name} warm-up run invalid: {run['problems']}",
                      file=sys.stderr)
    for n in range(runs):
        for side in (sides if n % 2 == 0 else sides[::-1]):
            run = run_one(side, seeder, env, touch, log_path, empty)
            results[side.name]["runs"].append(run)
            state = (f"{run['seconds']:.2f} s (CPU {run['cpu_seconds']:.2f} s)"
                     if run["valid"] else "INVALID")
            print(f"  run {n + 1}/{runs} {side.name}: {state}, "
                  f"{run['http_requests']} requests", flush=True)
            if not run["valid"]:
                print(f"    {run['problems']}", file=sys.stderr)
    for name, result in results.items():
        valid = [r for r in result["runs"] if r["valid"]]
        result["valid_runs"] = len(valid)
        result["median_s"] = median([r["seconds"] for r in valid])
        result["min_s"] = min((r["seconds"] for r in valid), default=None)
        result["max_s"] = max((r["seconds"] for r in valid), default=None)
        result["median_cpu_s"] = median([r["cpu_seconds"] for r in valid])
        result["median_http_requests"] = median([r["http_requests"] for r in valid])
    out: dict[str, Any] = {"sides": results}
    if "c7n" in results and results["c7n"]["valid_runs"] and results["monocyte"]["valid_runs"]:
        out["ratio_c7n_over_monocyte"] = (results["c7n"]["median_s"]
                                          / results["monocyte"]["median_s"])
        out["target_met"] = out["ratio_c7n_over_monocyte"] >= TARGET_RATIO  # A, B
        out["cpu_ratio_c7n_over_monocyte"] = (results["c7n"]["median_cpu_s"]
                                              / results["monocyte"]["median_cpu_s"])
    return out


def monocyte_command(regions: list[str] | None) -> list[str]:
    script = pathlib.Path(sys.executable).parent / "monocyte"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "chalicelib.cli"]
    command += ["scan", "--kill", "--types", ",".join(TYPES)]
    return command + (["--regions", ",".join(regions)] if regions else [])


def c7n_command(out_dir: pathlib.Path, policy: pathlib.Path, regions: list[str]) -> list[str]:
    command = [str(C7N_VENV / "bin" / "custodian"), "run", "-s", str(out_dir),
               "--cache-period", "0"]
    for region in regions:
        command += ["-r", region]
    return command + [str(policy)]


# --- 2. list calls ------------------------------------------------------------------

def list_calls(seeder: Seeder, touch: tuple[str, ...]) -> dict:
    """Monocyte's scan in this process, report only, all types, every enabled region,
    on an empty account and on the seeded one; every AWS call counted."""
    import dataclasses

    from chalicelib import config, registry, scan
    from chalicelib.aws import Clients
    from chalicelib.sandbox import CallLog

    settings = dataclasses.replace(config.Settings(), dry_run=True)
    # Every type the scan lists that moto implements (tests/kinds); Lightsail and S3
    # Express directory buckets exist only as Stubber tests.
    sys.path.insert(0, str(ROOT / "tests"))
    from kinds import KINDS

    listed = [t for t in registry.listed_types() if t.cfn_type in KINDS]
    out: dict[str, Any] = {}
    for label, seed in (("empty account", False), ("seeded account", True)):
        if seed:
            seeder.seed(touch)
        else:
            seeder.reset()
            for region in touch:
                seeder.client("ec2", region).describe_instances()
        log = CallLog()
        clients = Clients(settings, session_factory=log.session)
        started = time.perf_counter()
        report = scan.scan(settings, clients, types=[t.cfn_type for t in listed])
        seconds = time.perf_counter() - started
        # The minimum, worked out here rather than taken from scan.plan: one page per
        # regional type in each scanned region that botocore offers it in, plus one
        # ListBuckets per account. moto's answers for this data are all one page.
        minimum = 0
        per_type = {}
        for rtype in listed:
            if rtype.listing.per_account:
                units = 1
            else:
                offered = set(seeder.session.get_available_regions(rtype.service))
                units = sum(1 for r in report.regions if r in offered)
            per_type[rtype.cfn_type] = units
            minimum += units
        operations = collections.Counter(f"{s}:{op}" for s, op, _ in log.calls)
        actions = collections.Counter(o.action for o in report.outcomes)
        out[label] = {
            "regions_scanned": len(report.regions), "regions": report.regions,
            "types": len(per_type), "units": report.units,
            "minimum_list_calls": minimum, "minimum_per_type": per_type,
            "list_calls": report.list_calls,
            "ratio_to_minimum": report.list_calls / minimum if minimum else None,
            # A failed unit may have made fewer calls than it should: no verdict then.
            "valid": not report.failures,
            "target_met": (bool(minimum) and report.list_calls / minimum <= TARGET_LIST_RATIO
                           if not report.failures else None),
            "all_calls": len(log.calls),
            "non_list_calls": len(log.calls) - report.list_calls,
            "calls_by_operation": dict(sorted(operations.items())),
            "outcomes": dict(actions), "failures": [f.to_dict() for f in report.failures],
            "seconds": round(seconds, 3)}
    return out


def kill_calls(seeder: Seeder, log_path: pathlib.Path) -> dict:
    """Scenario A's kill, in this process, with every AWS call counted by operation:
    where Monocyte's HTTP requests go."""
    import dataclasses

    from chalicelib import config, scan
    from chalicelib.aws import Clients
    from chalicelib.sandbox import CallLog

    settings = dataclasses.replace(config.Settings(), dry_run=False)
    seeded = seeder.seed()
    time.sleep(0.1)
    before = requests_in(log_path)
    log = CallLog()
    report = scan.scan(settings, Clients(settings, session_factory=log.session),
                       list(SEEDED), list(TYPES))
    time.sleep(0.1)
    requests = requests_in(log_path) - before
    operations = collections.Counter(f"{s}:{op}" for s, op, _ in log.calls)
    return {"calls": len(log.calls), "http_requests": requests,
            "list_calls": report.list_calls,
            "calls_by_operation": dict(operations.most_common()),
            "outcomes": dict(collections.Counter(o.action for o in report.outcomes)),
            "problems": seeder.verify(seeded)}


# --- report -------------------------------------------------------------------------

def report(results: dict) -> None:
    m = results["machine"]
    print(f"\nMachine: {m['nproc']} CPUs, Python {m['python']}, boto3 {m['boto3']}, "
          f"moto {m['moto']}, c7n {m['c7n'] or 'not measured'}; runs={results['runs']} "
          "of each side (medians of the valid ones), interleaved; load average "
          f"{results['load_average_1_5_15']['start'][0]:.1f} at the start, "
          f"{results['load_average_1_5_15']['end'][0]:.1f} at the end")
    for key, scenario in results["scenarios"].items():
        print(f"\n{key}. {scenario['title']}")
        rows = []
        for name, side in scenario["sides"].items():
            fmt = (lambda v: "-" if v is None or v != v else f"{v:.2f}")
            rows.append([name, f"{side['valid_runs']}/{len(side['runs'])}",
                         fmt(side["median_s"]), fmt(side["min_s"]), fmt(side["max_s"]),
                         fmt(side["median_cpu_s"]),
                         f"{side['median_http_requests']:.0f}"
                         if side["valid_runs"] else "-"])
        print(table(rows, ["side", "valid runs", "median s", "min s", "max s",
                           "median CPU s", "HTTP requests"]))
        if "ratio_c7n_over_monocyte" in scenario:
            target = " (no target: nothing to kill)"
            if "target_met" in scenario:
                met = "met" if scenario["target_met"] else "NOT met"
                target = f" (target >= {TARGET_RATIO:.0f}): {met}"
            print(f"  ratio c7n / Monocyte, wall clock: "
                  f"{scenario['ratio_c7n_over_monocyte']:.1f}{target}; "
                  f"CPU: {scenario['cpu_ratio_c7n_over_monocyte']:.1f}")
        elif results["peer_status"] != "measured":
            print(f"  no ratio, the peer was not measured: {results['peer_status']}")
        else:
            print("  no ratio: a side has no valid run (see the problems above and in "
                  "the JSON)")
    print("\nC. List calls of a report-only scan, all types, every enabled region")
    rows = []
    for label, lc in results["list_calls"].items():
        rows.append([label, lc["regions_scanned"], lc["types"], lc["units"],
                     lc["minimum_list_calls"], lc["list_calls"],
                     f"{lc['ratio_to_minimum']:.2f}", lc["non_list_calls"],
                     f"{lc['seconds']:.2f}"])
    print(table(rows, ["account", "regions", "types", "units", "minimum", "list calls",
                       "ratio", "other calls", "seconds"]))
    for label, lc in results["list_calls"].items():
        print(f"  {label}, every call: " + ", ".join(
            f"{op} {n}" for op, n in lc["calls_by_operation"].items()))
        if lc["failures"]:
            print(f"  WARNING, {label}: {len(lc['failures'])} units failed: "
                  f"{lc['failures'][:3]}")
    worst = max(lc["ratio_to_minimum"] for lc in results["list_calls"].values())
    valid = all(lc["valid"] for lc in results["list_calls"].values())
    print(f"  list calls / minimum: at most {worst:.2f} (target <= {TARGET_LIST_RATIO:.2f}): "
          + ("INVALID, units failed" if not valid else
             "met" if worst <= TARGET_LIST_RATIO else "NOT met"))

    kc = results["kill_calls"]
    print(f"\nD. Monocyte's AWS calls in scenario A's kill (in process): {kc['calls']} calls "
          f"({kc['list_calls']} list calls), {kc['http_requests']} HTTP requests; outcomes "
          + ", ".join(f"{a} {n}" for a, n in kc["outcomes"].items())
          + ("" if not kc["problems"] else f"; PROBLEMS: {kc['problems']}"))
    print("  " + ", ".join(f"{op} {n}" for op, n in kc["calls_by_operation"].items()))


def _shown(path: pathlib.Path) -> pathlib.Path:
    path = path.resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5,
                        help="timed runs of each side per scenario (default 5)")
    parser.add_argument("--no-peer", action="store_true", help="skip Cloud Custodian")
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    # A plain kill (SIGTERM) unwinds too, so moto's server is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    started = time.perf_counter()
    load_before = os.getloadavg()
    if args.no_peer:
        peer, peer_status = None, "skipped (--no-peer)"
    else:
        peer, peer_status = ensure_peer()
        if peer is None:
            print(f"WARNING: the peer is not measured, Monocyte's figures are alone: "
                  f"{peer_status}", file=sys.stderr)
    peer_version = peer_status if peer else None
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    server_log = args.output.parent / "moto_server_scan.log"
    policy_text = c7n_policy()
    with tempfile.TemporaryDirectory(prefix="monocyte-bench-") as tmp, \
            moto_server(server_log) as url:
        os.environ.update(FAKE_ENV, AWS_ENDPOINT_URL=url)
        env = child_env(url)
        print(f"moto's server on {url} (log: {_shown(server_log)})", flush=True)
        seeder = Seeder(url)
        everywhere = seeder.enabled_commercial()
        from chalicelib.config import EU_REGIONS

        everywhere_outside = [r for r in everywhere if r not in EU_REGIONS]
        policy = pathlib.Path(tmp) / "policy.yml"
        policy.write_text(policy_text)
        out_dir = pathlib.Path(tmp) / "c7n-out"  # c7n's -s: its logs and resources.json
        scenarios: dict[str, Any] = {}
        plans = [
            ("A", f"Seeded regions: {len(NON_EU)} outside the EU + {EU} "
                  f"({len(NON_EU) * INSTANCES_PER_REGION} instances and "
                  f"{len(NON_EU) * BUCKETS_PER_REGION} buckets to kill)",
             list(SEEDED), list(NON_EU), ()),
            ("B", f"Every enabled commercial region: {len(everywhere)}, "
                  f"{len(everywhere_outside)} outside the EU (same data)",
             None, everywhere_outside, tuple(everywhere)),
            ("E", "Empty account, scenario A's commands: the fixed cost of each tool "
                  "(start-up, policy load, the list calls, nothing to kill)",
             list(SEEDED), list(NON_EU), ()),
        ]
        for n, (key, title, ours_regions, their_regions, touch) in enumerate(plans):
            print(f"{n + 1}/4 {title}, {args.runs} runs each ...", flush=True)
            sides = [Side("monocyte", monocyte_command(ours_regions), ROOT)]
            if peer:
                assert "us-east-1" in their_regions  # where the S3 policy runs
                sides.append(Side("c7n", c7n_command(out_dir, policy, their_regions),
                                  pathlib.Path(tmp), fresh=out_dir))
            scenario = side_by_side(sides, seeder, env, args.runs, touch, server_log,
                                    warm_up=(n == 0), empty=(key == "E"))
            if key == "E":  # the target is about the kill, not the fixed cost
                scenario.pop("target_met", None)
            scenario.update(title=title, monocyte_command=sides[0].command,
                            c7n_command=sides[1].command if peer else None,
                            c7n_regions=their_regions)
            said = {r.get("regions") for r in scenario["sides"]["monocyte"]["runs"]}
            if said != {len(their_regions)}:
                print(f"  WARNING: Monocyte scanned {said} regions, c7n was given "
                      f"{len(their_regions)}", file=sys.stderr)
            scenarios[key] = scenario
        print("4/4 list calls, and the calls of one kill ...", flush=True)
        calls = list_calls(seeder, tuple(everywhere))
        killing = kill_calls(seeder, server_log)
    results = {"machine": machine(peer_version), "runs": args.runs,
               "peer_status": "measured" if peer else peer_status,
               "seed": {"regions": list(SEEDED), "eu_region": EU,
                        "instances": INSTANCES_PER_REGION * len(SEEDED),
                        "buckets": BUCKETS_PER_REGION * len(SEEDED),
                        "versioned_buckets": len(SEEDED),
                        "versioned_bucket": "3 versions of one key, 1 of another",
                        "plain_bucket": "2 keys"},
               "c7n_policy": policy_text, "scenarios": scenarios, "list_calls": calls,
               "kill_calls": killing,
               "bench_seconds": round(time.perf_counter() - started, 1),
               # Other work on the machine shows here: this benchmark alone keeps
               # about 2 CPUs busy (the tool and moto's server).
               "load_average_1_5_15": {"start": [round(x, 2) for x in load_before],
                                       "end": [round(x, 2) for x in os.getloadavg()]},
               "note": "moto's server runs on 127.0.0.1: an AWS call costs ~2 ms here, "
                       "so these figures are mostly each tool's own work, not AWS latency."}
    report(results)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWritten: {_shown(args.output)} ({results['bench_seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
