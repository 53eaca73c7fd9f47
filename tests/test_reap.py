"""The event path, per resource type, against moto: kill outside the EU, spare inside."""
from __future__ import annotations

import dataclasses

import pytest

from chalicelib import reaper, registry
from chalicelib.config import Settings
from kinds import KINDS, STUBBED

TYPES = sorted(KINDS)
OUTSIDE, INSIDE = "us-east-1", "eu-central-1"


def test_every_registered_type_has_a_scenario():
    # In moto (tests/kinds/), or where moto cannot make it, a Stubber test (STUBBED).
    assert sorted(t.cfn_type for t in registry.all_types()) == sorted(set(TYPES) | STUBBED)


def _reap_last(trail, settings, clients):
    return reaper.reap(trail.events[-1], settings, clients)


@pytest.mark.parametrize("cfn_type", TYPES)
def test_created_outside_the_eu_is_killed_and_its_eu_twin_survives(
        cfn_type, aws, trail, kill_settings, clients):
    create, exists = KINDS[cfn_type]
    eu_id = create(trail, INSIDE)
    eu_outcomes = _reap_last(trail, kill_settings, clients)
    us_id = create(trail, OUTSIDE)
    us_outcomes = _reap_last(trail, kill_settings, clients)

    assert [(o.action, o.id, o.region) for o in us_outcomes] == [
        (reaper.KILLED, us_id, OUTSIDE)]
    assert not exists(OUTSIDE, us_id)
    assert [(o.action, o.id) for o in eu_outcomes] == [(reaper.SPARED, eu_id)]
    assert exists(INSIDE, eu_id)


@pytest.mark.parametrize("cfn_type", TYPES)
def test_a_redelivered_event_does_nothing_twice(cfn_type, aws, trail, kill_settings, clients):
    create, exists = KINDS[cfn_type]
    create(trail, OUTSIDE)
    first = _reap_last(trail, kill_settings, clients)
    again = _reap_last(trail, kill_settings, clients)
    assert [o.action for o in first] == [reaper.KILLED]
    assert [o.action for o in again] == [reaper.GONE]


@pytest.mark.parametrize("cfn_type", TYPES)
def test_dry_run_reports_would_kill_and_deletes_nothing(cfn_type, aws, trail, clients):
    create, exists = KINDS[cfn_type]
    resource_id = create(trail, OUTSIDE)
    outcomes = _reap_last(trail, Settings(dry_run=True), clients)
    assert [o.action for o in outcomes] == [reaper.WOULD_KILL]
    assert outcomes[0].dry_run
    assert exists(OUTSIDE, resource_id)


@pytest.mark.parametrize("cfn_type", TYPES)
def test_a_failed_call_does_nothing(cfn_type, aws, trail, kill_settings, clients):
    create, exists = KINDS[cfn_type]
    resource_id = create(trail, OUTSIDE)
    event = trail.events[-1]
    event["detail"]["errorCode"] = "Client.UnauthorizedOperation"
    assert reaper.reap(event, kill_settings, clients) == []
    assert exists(OUTSIDE, resource_id)


@pytest.mark.parametrize("cfn_type", TYPES)
def test_a_read_only_call_does_nothing(cfn_type, aws, trail, kill_settings, clients):
    create, exists = KINDS[cfn_type]
    resource_id = create(trail, OUTSIDE)
    event = trail.events[-1]
    event["detail"]["readOnly"] = True
    assert reaper.reap(event, kill_settings, clients) == []
    assert exists(OUTSIDE, resource_id)


@pytest.mark.parametrize("cfn_type, note", [
    ("AWS::EC2::Instance", "termination protection disabled"),
    ("AWS::DynamoDB::Table", "deletion protection disabled"),
    ("AWS::RDS::DBInstance", "deletion protection disabled"),
])
def test_protection_is_disabled_and_said(cfn_type, note, aws, trail, kill_settings, clients):
    create, exists = KINDS[cfn_type]
    resource_id = create(trail, OUTSIDE, protect=True)
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert outcome.action == reaper.KILLED
    assert note in outcome.notes
    assert not exists(OUTSIDE, resource_id)


@pytest.mark.parametrize("cfn_type", ["AWS::EC2::Instance", "AWS::DynamoDB::Table",
                                      "AWS::RDS::DBInstance"])
def test_without_force_a_protected_resource_is_spared_and_reported(
        cfn_type, aws, trail, clients):
    create, exists = KINDS[cfn_type]
    resource_id = create(trail, OUTSIDE, protect=True)
    [outcome] = _reap_last(trail, Settings(dry_run=False, force=False), clients)
    assert outcome.action == reaper.SPARED
    assert "MONOCYTE_FORCE is off" in outcome.reason
    assert exists(OUTSIDE, resource_id)


def test_every_instance_of_a_multi_instance_launch_is_killed(aws, trail, kill_settings, clients):
    import boto3

    ec2 = boto3.client("ec2", OUTSIDE)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    reply = trail.call(ec2, "run_instances", ImageId=image, MinCount=3, MaxCount=3)
    ids = sorted(i["InstanceId"] for i in reply["Instances"])
    outcomes = _reap_last(trail, kill_settings, clients)
    assert sorted(o.id for o in outcomes) == ids
    assert {o.action for o in outcomes} == {reaper.KILLED}


def test_a_db_instance_is_deleted_without_a_final_snapshot(aws, trail, kill_settings, clients):
    import boto3

    name = KINDS["AWS::RDS::DBInstance"][0](trail, OUTSIDE)
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert "no final snapshot" in outcome.notes
    snapshots = boto3.client("rds", OUTSIDE).describe_db_snapshots()["DBSnapshots"]
    assert [s for s in snapshots if s.get("DBInstanceIdentifier") == name] == []


def test_a_bucket_is_placed_by_its_location_constraint(aws, trail, kill_settings, clients):
    # Whatever awsRegion says, the constraint places the bucket.
    import boto3

    s3 = boto3.client("s3", "ap-southeast-2")
    trail.call(s3, "create_bucket", Bucket="team-data-sydney",
               CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    trail.events[-1]["detail"]["awsRegion"] = INSIDE
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert (outcome.action, outcome.region) == (reaper.KILLED, "ap-southeast-2")


def test_a_bucket_that_really_lives_in_the_eu_is_spared_whatever_the_event_says(
        aws, trail, kill_settings, clients):
    from kinds import bucket_exists

    name = KINDS["AWS::S3::Bucket"][0](trail, INSIDE)
    lying = trail.events[-1]
    lying["detail"]["requestParameters"].pop("CreateBucketConfiguration")  # "us-east-1"
    [outcome] = reaper.reap(lying, kill_settings, clients)
    assert outcome.action == reaper.SPARED
    assert "lives in eu-central-1" in outcome.reason
    assert bucket_exists(INSIDE, name)


def test_an_event_claiming_another_region_kills_nothing_there(aws, trail, kill_settings, clients):
    # The table lives in Frankfurt; an event claiming Virginia finds nothing to kill.
    name = KINDS["AWS::DynamoDB::Table"][0](trail, INSIDE)
    event = trail.events[-1]
    event["detail"]["awsRegion"] = OUTSIDE
    [outcome] = reaper.reap(event, kill_settings, clients)
    assert outcome.action == reaper.GONE
    assert KINDS["AWS::DynamoDB::Table"][1](INSIDE, name)


def test_an_event_from_another_account_is_not_acted_on_without_a_member_role(
        aws, trail, kill_settings, clients):
    create, exists = KINDS["AWS::DynamoDB::Table"]
    name = create(trail, OUTSIDE)
    event = trail.events[-1]
    event["detail"]["recipientAccountId"] = event["account"] = "210987654321"
    [outcome] = reaper.reap(event, kill_settings, clients)
    assert outcome.action == reaper.FAILED
    assert "MONOCYTE_MEMBER_ROLE" in outcome.reason
    assert exists(OUTSIDE, name)


def test_london_is_killed_by_default_and_spared_when_allowed(aws, trail, clients):
    create, exists = KINDS["AWS::DynamoDB::Table"]
    name = create(trail, "eu-west-2")
    uk_ok = Settings(dry_run=False, allowed_regions=Settings().allowed_regions | {"eu-west-2"})
    [spared] = _reap_last(trail, uk_ok, clients)
    assert spared.action == reaper.SPARED and exists("eu-west-2", name)
    [killed] = _reap_last(trail, Settings(dry_run=False), clients)
    assert killed.action == reaper.KILLED and not exists("eu-west-2", name)


def test_the_reapers_own_stackset_instances_are_protected(aws, trail, kill_settings, clients):
    import boto3

    cfn = boto3.client("cloudformation", OUTSIDE)
    from kinds import TEMPLATE

    trail.call(cfn, "create_stack", StackName="StackSet-monocyte-forwarders-1234",
               TemplateBody=TEMPLATE)
    # Proven by who created it (tests/test_trust.py has the look-alikes).
    trail.events[-1]["detail"]["userIdentity"]["arn"] = (
        "arn:aws:sts::123456789012:assumed-role/stacksets-exec-0123456789ab/1234")
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert outcome.action == reaper.SPARED and "protected" in outcome.reason


def test_every_outcome_is_one_json_line(aws, trail, kill_settings, clients, caplog):
    import json

    KINDS["AWS::DynamoDB::Table"][0](trail, OUTSIDE)
    with caplog.at_level("INFO", logger="monocyte"):
        _reap_last(trail, kill_settings, clients)
    [line] = [r.getMessage() for r in caplog.records]
    record = json.loads(line)
    assert "\n" not in line
    assert record["log"] == "outcome" and record["action"] == reaper.KILLED
    assert record["type"] == "AWS::DynamoDB::Table"


def test_outcomes_are_plain_data():
    target = dataclasses.replace(
        __import__("chalicelib.events", fromlist=["Target"]).Target(
            "AWS::S3::Bucket", "b", "us-east-1", "123456789012"))
    outcome = reaper.Outcome.of(target, reaper.SPARED, "why")
    assert outcome.to_dict()["type"] == "AWS::S3::Bucket"


def test_a_stack_with_termination_protection_is_unprotected_then_deleted():
    # moto does not implement UpdateTerminationProtection: botocore's Stubber plays
    # CloudFormation with the real response shapes.
    import boto3
    from botocore.stub import Stubber

    from chalicelib.resources.cloudformation import delete_stack, inspect_stack

    arn = "arn:aws:cloudformation:us-east-1:123456789012:stack/team/1b2c3d4e"
    cfn = boto3.client("cloudformation", "us-east-1")
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", {"Stacks": [{
            "StackName": "team", "StackId": arn, "StackStatus": "CREATE_COMPLETE",
            "CreationTime": "2026-11-29T10:00:00Z", "EnableTerminationProtection": True}]},
            {"StackName": arn})
        stub.add_response("list_stack_resources", {"StackResourceSummaries": [{
            "LogicalResourceId": "Data", "ResourceType": "AWS::DynamoDB::Table",
            "LastUpdatedTimestamp": "2026-11-29T10:00:00Z",
            "ResourceStatus": "CREATE_COMPLETE"}]}, {"StackName": arn})
        stub.add_response("update_termination_protection", {"StackId": arn},
                          {"StackName": arn, "EnableTerminationProtection": False})
        stub.add_response("delete_stack", {}, {"StackName": arn})
        live = inspect_stack(cfn, arn)
        notes = delete_stack(cfn, arn, live, True)
        stub.assert_no_pending_responses()
    assert live.protected and notes == ["termination protection disabled"]


@pytest.mark.parametrize("force, note", [
    (True, "termination protection, if on, would be disabled"),
    (False, "termination protection, if on, would spare it (MONOCYTE_FORCE is off)"),
])
def test_report_only_says_what_the_kill_would_do_with_termination_protection(
        force, note, aws, trail, clients):
    # Reading it would take ec2:DescribeInstanceAttribute, which can also read user
    # data (chalicelib.iam forbids it): the note says "if on", it does not guess.
    create, exists = KINDS["AWS::EC2::Instance"]
    resource_id = create(trail, OUTSIDE, protect=True)
    [outcome] = _reap_last(trail, Settings(dry_run=True, force=force), clients)
    assert outcome.action == reaper.WOULD_KILL
    assert outcome.notes == [note]
    assert exists(OUTSIDE, resource_id)
