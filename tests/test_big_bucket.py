"""A bucket too big to empty in one run is cut off first (public access blocked, a
deny-everyone policy, lifecycle rules that expire everything), then finished by later
runs; every step is in the outcome."""
from __future__ import annotations

import json

import boto3
import pytest

from chalicelib import reaper
from chalicelib.events import Target
from chalicelib.resources import s3 as s3_type
from kinds import KINDS

create_bucket, bucket_exists = KINDS["AWS::S3::Bucket"]
OUTSIDE = "us-east-1"


@pytest.fixture
def small_runs(monkeypatch):
    # Four object versions per run stand for the real budget of 200,000.
    monkeypatch.setattr(s3_type, "VERSIONS_PER_RUN", 4)


def _versions(name: str) -> int:
    page = boto3.client("s3", OUTSIDE).list_object_versions(Bucket=name)
    return len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))


def _target(name: str) -> Target:
    return Target("AWS::S3::Bucket", name, OUTSIDE, "123456789012", "scan")


def test_a_big_bucket_is_cut_off_then_finished_by_later_runs(aws, trail, small_runs,
                                                              kill_settings, clients):
    name = create_bucket(trail, OUTSIDE)  # two versions and a delete marker...
    s3 = boto3.client("s3", OUTSIDE)
    for n in range(7):  # ...and seven more objects: ten in all
        s3.put_object(Bucket=name, Key=f"more/{n}.csv", Body=b"row")

    first = reaper.handle(_target(name), kill_settings, clients)
    assert first.action == reaper.DEFERRED
    assert "too big for one run" in first.reason and "lifecycle" in first.reason
    policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    [deny] = policy["Statement"]
    assert (deny["Effect"], deny["Principal"]) == ("Deny", "*")
    assert "s3:GetObject" not in deny["NotAction"] and "s3:DeleteObjectVersion" in deny["NotAction"]
    assert s3.get_public_access_block(Bucket=name)[
        "PublicAccessBlockConfiguration"]["RestrictPublicBuckets"]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    assert {r["ID"] for r in rules} == {"monocyte-expire-everything",
                                        "monocyte-expire-delete-markers"}
    assert _versions(name) == 6
    with pytest.raises(s3.exceptions.ClientError, match="Forbidden|AccessDenied"):
        s3.get_object(Bucket=name, Key="more/6.csv")  # the data is cut off already

    second = reaper.handle(_target(name), kill_settings, clients)
    assert second.action == reaper.DEFERRED and _versions(name) == 2
    third = reaper.handle(_target(name), kill_settings, clients)
    assert third.action == reaper.KILLED and not bucket_exists(OUTSIDE, name)


def test_a_bucket_within_the_budget_goes_in_one_run(aws, trail, small_runs, kill_settings,
                                                    clients):
    name = create_bucket(trail, OUTSIDE)  # two versions and a delete marker
    [outcome] = reaper.reap(trail.events[-1], kill_settings, clients)
    assert outcome.action == reaper.KILLED and not bucket_exists(OUTSIDE, name)
    assert outcome.notes == ["emptied 3 object versions"]


def test_an_eu_bucket_is_never_cut_off(aws, trail, small_runs, kill_settings, clients):
    name = create_bucket(trail, "eu-central-1")
    s3 = boto3.client("s3", "eu-central-1")
    for n in range(6):
        s3.put_object(Bucket=name, Key=f"more/{n}.csv", Body=b"row")
    [outcome] = reaper.reap(trail.events[-1], kill_settings, clients)
    assert outcome.action == reaper.SPARED
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_policy(Bucket=name)
