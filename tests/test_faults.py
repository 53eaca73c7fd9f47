"""The nightly scan through a faulty network (tests/faultproxy.py between boto3 and
moto's server): throttling, 500s, dropped connections, lost answers, slow answers.

What must hold whatever the network does: nothing in the EU is ever deleted; every
non-EU resource is killed or its failure is reported (non-zero exit and a FAILED
line), never missed in silence; no call retries past the configured attempts; and
a scan stopped half-way leaves nothing the next scan does not finish.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import urllib.request

import pytest
from botocore.exceptions import ClientError

from chalicelib import cli, registry, sandbox
from chalicelib import scan as scan_module
from chalicelib.aws import Clients
from chalicelib.config import Settings
from faultproxy import FaultProxy
from kinds import KINDS

NON_EU = ("us-east-1", "ap-southeast-1")
EU = ("eu-central-1",)
_WANTED = ("AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::EC2::Instance", "AWS::SQS::Queue")
_REGISTERED = {t.cfn_type for t in registry.all_types()}
TYPES = tuple(t for t in _WANTED if t in KINDS and t in _REGISTERED)
STORM_SERVICES = {"ec2", "dynamodb", "s3", "sqs"}  # the services being reaped
DEFAULT_MAX_ATTEMPTS = Settings().max_attempts


@pytest.fixture(scope="module")
def server():
    with sandbox.moto_server() as url:
        yield url


@pytest.fixture
def moto(server, monkeypatch):
    """A fresh, empty emulator; the breaker off (these tests kill more than its limit)."""
    monkeypatch.setenv("MONOCYTE_BREAKER_LIMIT", "0")
    urllib.request.urlopen(urllib.request.Request(f"{server}/moto-api/reset", method="POST"))
    return server


@pytest.fixture
def proxy(moto):
    with FaultProxy(moto, rate=0.0, seed=20, delay=0.1) as running:
        yield running


@contextlib.contextmanager
def through(proxy: FaultProxy):
    """boto3 clients made inside (Monocyte's) talk to the proxy; the test's own
    seeding and checks talk to moto directly, without faults."""
    saved = os.environ["AWS_ENDPOINT_URL"]
    os.environ["AWS_ENDPOINT_URL"] = proxy.url
    try:
        yield
    finally:
        os.environ["AWS_ENDPOINT_URL"] = saved


def seed(per_region: int = 2, regions=NON_EU + EU, types=TYPES) -> dict:
    trail = sandbox.Trail()
    return {(t, r): [KINDS[t][0](trail, r) for _ in range(per_region)]
            for r in regions for t in types}


def survivors(made: dict) -> dict:
    """(type, region) -> the ids still alive."""
    return {key: [i for i in ids if KINDS[key[0]][1](key[1], i)] for key, ids in made.items()}


def scan(proxy: FaultProxy, capsys, regions=NON_EU + EU, types=TYPES) -> tuple[int, str]:
    with through(proxy):
        code = cli.main(["scan", "--kill", *_scope(regions, types)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _scope(regions, types) -> list[str]:
    return ["--regions", ",".join(regions), "--types", ",".join(types)]


def _short(resource_id: str) -> str:
    # A queue URL names the host that answered the listing (the proxy, not moto).
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def unreported(made: dict, code: int, out: str) -> list:
    """The non-EU resources still alive that the scan did not report as failed."""
    failed = [line for line in out.splitlines() if line.startswith("FAILED ")]
    silent = []
    for (cfn_type, region), ids in survivors(made).items():
        if region in EU:
            continue
        for resource_id in ids:
            said = code != 0 and any(
                _short(resource_id) in line or line.startswith("FAILED * ")
                or (cfn_type in line and (f" {region} " in line or "(account)" in line))
                for line in failed)
            if not said:
                silent.append((cfn_type, region, resource_id))
    return silent


def assert_eu_intact(made: dict) -> None:
    for (cfn_type, region), ids in survivors(made).items():
        if region in EU:
            assert len(ids) == len(made[(cfn_type, region)]), (cfn_type, region)


def assert_bounded(proxy: FaultProxy, max_attempts: int) -> None:
    # MONOCYTE_MAX_ATTEMPTS counts every attempt, the first included.
    assert proxy.max_header <= {max_attempts}, proxy.max_header
    assert proxy.most_attempts <= max_attempts, proxy.most_attempts


def test_moderate_faults_kill_everything_outside_the_eu_or_say_so(proxy, capsys):
    # Seed 20 draws every kind of fault within the first 26 requests; a scan of
    # this world makes about 40.
    made = seed(per_region=1)
    proxy.rate = 0.2
    code, out = scan(proxy, capsys)
    assert all(proxy.injected[kind] for kind in ("throttle", "error", "drop", "lost",
                                                  "slow")), proxy.figures()
    assert_eu_intact(made)
    assert unreported(made, code, out) == [], out
    assert_bounded(proxy, DEFAULT_MAX_ATTEMPTS)
    # The next scans (same weather) finish the job; each one that cannot says so.
    for _ in range(3):
        if code == 0:
            break
        code, out = scan(proxy, capsys)
        assert unreported(made, code, out) == [], out
    assert code == 0, out
    assert_eu_intact(made)
    assert all(not ids for (_, r), ids in survivors(made).items() if r not in EU)


def test_a_fault_storm_deletes_nothing_in_the_eu_and_reports_what_it_left(proxy, capsys,
                                                                            monkeypatch):
    made = seed(per_region=1)
    monkeypatch.setenv("MONOCYTE_MAX_ATTEMPTS", "2")  # the storm is long enough as it is
    proxy.rate, proxy.services = 0.9, STORM_SERVICES
    code, out = scan(proxy, capsys)
    assert code == 1 and "FAILED " in out, out
    assert sum(proxy.injected.values()) > 10
    assert_eu_intact(made)
    assert unreported(made, code, out) == [], out
    assert_bounded(proxy, 2)


def test_a_scan_that_cannot_reach_sts_does_not_start(proxy, capsys):
    made = seed(per_region=1, types=("AWS::DynamoDB::Table",))
    proxy.rate, proxy.services, proxy.weights = 1.0, {"sts"}, {"error": 1}
    code, out = scan(proxy, capsys)
    assert code == 2 and "scan could not start" in out and "InternalFailure" in out, out
    assert all(len(ids) == 1 for ids in survivors(made).values())


# MONOCYTE_MAX_ATTEMPTS counts the first try too (botocore's total_max_attempts).
def test_no_call_makes_more_attempts_than_max_attempts(proxy):
    proxy.rate, proxy.weights = 1.0, {"error": 1}
    settings = Settings(max_attempts=2)
    with through(proxy):
        client = Clients(settings).client("dynamodb", "us-east-1")
        with pytest.raises(ClientError):
            client.list_tables()
    assert proxy.most_attempts == settings.max_attempts, proxy.figures()


def _empty_bucket(trail, region):
    import boto3

    name = f"empty-{os.urandom(4).hex()}"
    boto3.client("s3", region).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return name


# A call whose answer is lost after the service did it: botocore retries it, and the
# retry meets the consequence of the first attempt. The kill happened; it must be
# recorded as a kill (the verdict log and Slack take KILLED, never GONE), not as a
# failure, not as "gone".
LOST_ANSWERS = {
    "DeleteTable": ("AWS::DynamoDB::Table", KINDS["AWS::DynamoDB::Table"][0],
                    lambda r, name: r.operation == "DeleteTable"),
    "AbortMultipartUpload": ("AWS::S3::Bucket", KINDS["AWS::S3::Bucket"][0],
                             lambda r, name: r.operation.startswith(f"DELETE /{name}/")),
    "DeleteBucket (empty)": ("AWS::S3::Bucket", _empty_bucket,
                             lambda r, name: r.operation == f"DELETE /{name}"),
}
@pytest.mark.parametrize("step", sorted(LOST_ANSWERS))
def test_a_lost_answer_to_a_delete_is_still_a_recorded_kill(proxy, step):
    cfn_type, create, matches = LOST_ANSWERS[step]
    region = "ap-southeast-1"
    name = create(sandbox.Trail(), region)
    lost: list = []

    def lose_first(request) -> bool:
        if matches(request, name) and request.attempt == 1 and not lost:
            lost.append(request.operation)
            return True
        return False

    proxy.on_forwarded = lose_first
    settings = Settings(dry_run=False, breaker_limit=0)
    recorded: list = []
    with through(proxy):
        report = scan_module.scan(settings, Clients(settings), regions=[region],
                                  types=[cfn_type], verdicts=recorded.append)
    assert lost, "the step was never called"
    assert [(o.id, o.action) for o in recorded] == [(name, "killed")], \
        [(o.action, o.reason) for o in recorded]
    assert report.ok and not KINDS[cfn_type][1](region, name)


def _put_versions(bucket: str, count: int) -> None:
    """``count`` more object versions, straight into moto's backend (moto's server
    runs in this process; a thousand HTTP puts would take seconds)."""
    from moto.backends import get_backend

    backend = get_backend("s3")[sandbox.DEMO_ACCOUNT]["aws"]
    for n in range(count):
        backend.put_object(bucket, f"part-{n % 700:04d}.csv", b"x")


def _versions(bucket: str, region: str) -> int:
    import boto3

    s3 = boto3.client("s3", region)
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
    return sum(len(p.get("Versions", [])) + len(p.get("DeleteMarkers", [])) for p in pages)


def test_a_scan_killed_half_way_is_finished_by_the_next(proxy, capsys):
    # One worker: the scan decides in --types order, buckets first. The process is
    # killed (SIGKILL) right after moto has done the big bucket's first DeleteObjects:
    # it is half emptied (more than one page of versions), the tables untouched.
    # (No EC2 here: its model and moto's regions are the slow part of a scan.)
    regions = ("us-east-1", "eu-central-1")
    types = tuple(t for t in TYPES if t != "AWS::EC2::Instance")
    made = seed(per_region=1, regions=regions, types=types)
    big = made[("AWS::S3::Bucket", "us-east-1")][0]
    _put_versions(big, 1200)
    before = _versions(big, "us-east-1")
    child: list[subprocess.Popen] = []

    def kill_after_first_batch(request) -> bool:
        if request.operation == f"POST /{big}?delete":
            os.kill(child[0].pid, signal.SIGKILL)
            return True  # and its answer never arrives
        return False

    proxy.on_forwarded = kill_after_first_batch
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy.url, MONOCYTE_SCAN_WORKERS="1")
    child.append(subprocess.Popen(
        [sys.executable, "-c", "import sys; from chalicelib import cli; "
                               "sys.exit(cli.main(sys.argv[1:]))",
         "scan", "--kill", *_scope(regions, types)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    try:
        out, _ = child[0].communicate(timeout=60)
    finally:
        if child[0].poll() is None:
            child[0].kill()
    assert child[0].returncode == -signal.SIGKILL, out
    proxy.on_forwarded = None
    half = _versions(big, "us-east-1")
    assert 0 < half < before, (half, before)  # half done: exactly what a kill leaves
    assert survivors(made)[("AWS::DynamoDB::Table", "us-east-1")]
    code, out = scan(proxy, capsys, regions, types)
    assert code == 0, out
    assert_eu_intact(made)
    assert all(not ids for (_, r), ids in survivors(made).items() if r not in EU)
