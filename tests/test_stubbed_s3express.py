"""S3 Express One Zone directory buckets with botocore's Stubber (moto does not make
them): the real response shapes, the event path, a scan unit, and the line between
them and general purpose buckets."""
from __future__ import annotations

import datetime

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import reaper, registry, scan
from chalicelib.config import Settings
from conftest import OneClient, load_event

TYPE = "AWS::S3Express::DirectoryBucket"
NAME = "ml-scratch--use1-az4--x-s3"
WHEN = datetime.datetime(2026, 11, 29, 11, 31, 55, tzinfo=datetime.timezone.utc)


def _listed(*names: str) -> dict:
    return {"Buckets": [{"Name": n, "CreationDate": WHEN, "BucketRegion": "us-east-1"}
                        for n in names]}


def test_a_directory_bucket_outside_the_eu_is_killed():
    s3 = boto3.client("s3", "us-east-1")
    with Stubber(s3) as stub:
        stub.add_response("list_directory_buckets", _listed("other--use1-az6--x-s3", NAME), {})
        stub.add_response("delete_bucket", {}, {"Bucket": NAME})
        [outcome] = reaper.reap(load_event("s3express.CreateBucket"), Settings(dry_run=False),
                                OneClient(s3))
        stub.assert_no_pending_responses()
    assert (outcome.action, outcome.type, outcome.id, outcome.region) == (
        reaper.KILLED, TYPE, NAME, "us-east-1")


def test_a_bucket_with_objects_is_emptied_then_deleted():
    s3 = boto3.client("s3", "us-east-1")
    with Stubber(s3) as stub:
        stub.add_response("list_directory_buckets", _listed(NAME), {})
        stub.add_client_error("delete_bucket", "BucketNotEmpty", http_status_code=409,
                              expected_params={"Bucket": NAME})
        stub.add_response("list_objects_v2", {
            "Contents": [{"Key": "features.parquet", "Size": 10}, {"Key": "labels.csv", "Size": 3}],
            "KeyCount": 2, "IsTruncated": False}, {"Bucket": NAME})
        stub.add_response("delete_objects", {
            "Deleted": [{"Key": "features.parquet"}, {"Key": "labels.csv"}]},
            {"Bucket": NAME, "Delete": {"Objects": [{"Key": "features.parquet"},
                                                    {"Key": "labels.csv"}], "Quiet": True}})
        stub.add_response("list_multipart_uploads", {"Uploads": [
            {"Key": "big.bin", "UploadId": "upload-1"}]}, {"Bucket": NAME})
        stub.add_response("abort_multipart_upload", {},
                          {"Bucket": NAME, "Key": "big.bin", "UploadId": "upload-1"})
        stub.add_response("delete_bucket", {}, {"Bucket": NAME})
        [outcome] = reaper.reap(load_event("s3express.CreateBucket"), Settings(dry_run=False),
                                OneClient(s3))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED
    assert outcome.notes == ["emptied 2 objects"]


def test_the_eu_twin_is_spared_without_a_call():
    event = load_event("s3express.CreateBucket")
    event["detail"]["awsRegion"] = "eu-central-1"
    event["detail"]["requestParameters"]["bucketName"] = "ml-scratch--euc1-az1--x-s3"
    s3 = boto3.client("s3", "eu-central-1")
    with Stubber(s3):  # no response queued: any call would fail the test
        [outcome] = reaper.reap(event, Settings(dry_run=False), OneClient(s3))
    assert (outcome.action, outcome.region) == (reaper.SPARED, "eu-central-1")


def test_a_bucket_not_listed_in_its_region_is_gone():
    s3 = boto3.client("s3", "us-east-1")
    with Stubber(s3) as stub:
        stub.add_response("list_directory_buckets", _listed("other--use1-az6--x-s3"), {})
        [outcome] = reaper.reap(load_event("s3express.CreateBucket"), Settings(dry_run=False),
                                OneClient(s3))
    assert outcome.action == reaper.GONE


def test_general_purpose_and_directory_buckets_never_claim_each_other():
    assert [t.cfn_type for t, _ in registry.claims("s3express.amazonaws.com", "CreateBucket")] \
        == [TYPE]
    assert [t.cfn_type for t, _ in registry.claims("s3.amazonaws.com", "CreateBucket")] \
        == ["AWS::S3::Bucket"]
    for sample, cfn_type in [("s3express.CreateBucket", TYPE),
                             ("s3.CreateBucket", "AWS::S3::Bucket"),
                             ("s3.CreateBucket.no-constraint", "AWS::S3::Bucket")]:
        found = reaper.explain(load_event(sample), Settings())["targets"]
        assert {t["type"] for t in found} == {cfn_type}, sample


@pytest.mark.parametrize("kill", [True, False])
def test_a_scan_unit_lists_and_kills_or_reports(kill):
    s3 = boto3.client("s3", "us-west-2")
    name = "forgotten--usw2-az1--x-s3"
    with Stubber(s3) as stub:
        stub.add_response("list_directory_buckets", _listed(name), {})
        stub.add_response("list_directory_buckets", _listed(name), {})
        if kill:
            stub.add_response("delete_bucket", {}, {"Bucket": name})
        report = scan.run_units([scan.Unit("123456789012", "us-west-2", TYPE)], {"us-west-2"},
                                Settings(dry_run=not kill), OneClient(s3), scan.Report())
        stub.assert_no_pending_responses()
    [outcome] = report.outcomes
    assert report.ok and report.list_calls == 1
    assert (outcome.id, outcome.region, outcome.created) == (name, "us-west-2",
                                                             "2026-11-29T11:31:55Z")
    assert outcome.action == (reaper.KILLED if kill else reaper.WOULD_KILL)


def test_a_general_purpose_bucket_is_never_taken_for_a_directory_bucket():
    # moto answers ListDirectoryBuckets with every bucket; AWS never would. The name
    # decides: without the --x-s3 suffix it is not this type's, and nothing is called.
    s3 = boto3.client("s3", "us-west-2")
    with Stubber(s3) as stub:
        stub.add_response("list_directory_buckets", _listed("team-data"), {})
        report = scan.run_units([scan.Unit("123456789012", "us-west-2", TYPE)], {"us-west-2"},
                                Settings(dry_run=False), OneClient(s3), scan.Report())
        stub.assert_no_pending_responses()
    assert report.ok and all(o.action == reaper.GONE for o in report.outcomes)
