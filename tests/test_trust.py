"""Nobody can fool it: protection is proven by who created a stack, never by a name;
a stack holding global resources is spared; what cannot be deleted is cut off; an
event whose account or source disagrees is ignored; the webhook URL is never logged."""
from __future__ import annotations

import copy
import dataclasses
import json
import logging
import uuid

import boto3
import pytest

from chalicelib import breaker, config, reaper, scan, templates
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.errors import ConfigError
from chalicelib.events import CloudTrailEvent, triage
from kinds import TEMPLATE

OUTSIDE, HOME = "us-east-1", "eu-central-1"
EXEC_ROLE = "arn:aws:sts::123456789012:assumed-role/stacksets-exec-1a2b3c4d5e6f/1234567890"
TABLE_TEMPLATE = json.dumps({"Resources": {"Data": {"Type": "AWS::DynamoDB::Table", "Properties": {
    "BillingMode": "PAY_PER_REQUEST",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}}}})


def _stack(trail, name: str, template: str = TEMPLATE, creator: str | None = None) -> str:
    cfn = boto3.client("cloudformation", OUTSIDE)
    stack_id = trail.call(cfn, "create_stack", StackName=name, TemplateBody=template,
                          Capabilities=["CAPABILITY_IAM"])["StackId"]
    if creator:
        identity = trail.events[-1]["detail"]["userIdentity"]
        identity.update(type="AssumedRole", arn=creator)
    return stack_id


def _alive(stack_id: str) -> bool:
    stacks = boto3.client("cloudformation", OUTSIDE).describe_stacks(StackName=stack_id)
    return stacks["Stacks"][0]["StackStatus"] != "DELETE_COMPLETE"


def test_a_look_alike_stackset_stack_made_by_a_team_is_killed(aws, trail, kill_settings,
                                                               clients):
    stack_id = _stack(trail, "StackSet-monocyte-data", TABLE_TEMPLATE)
    [outcome] = reaper.reap(trail.events[-1], kill_settings, clients)
    assert outcome.action == reaper.KILLED and not _alive(stack_id)
    assert "a name protects nothing" in outcome.reason
    assert "arn:aws:iam::123456789012:user/dev-team" in outcome.reason


def test_a_stackset_instance_made_by_the_execution_role_is_spared(aws, trail, kill_settings,
                                                                  clients):
    stack_id = _stack(trail, f"StackSet-monocyte-forwarders-{uuid.uuid4()}", creator=EXEC_ROLE)
    [outcome] = reaper.reap(trail.events[-1], kill_settings, clients)
    assert outcome.action == reaper.SPARED and _alive(stack_id)
    assert "execution role stacksets-exec-1a2b3c4d5e6f" in outcome.reason


def test_the_execution_role_proves_nothing_for_a_name_that_is_not_a_stack_instance(
        aws, trail, kill_settings, clients):
    stack_id = _stack(trail, "team-stack", creator=EXEC_ROLE)
    [outcome] = reaper.reap(trail.events[-1], kill_settings, clients)
    assert outcome.action == reaper.KILLED and not _alive(stack_id)


def test_a_control_tower_look_alike_bucket_is_killed(aws, trail, kill_settings, clients):
    s3 = boto3.client("s3", OUTSIDE)
    trail.call(s3, "create_bucket", Bucket="aws-controltower-customer-pii")
    [outcome] = reaper.reap(trail.events[-1], kill_settings, clients)
    assert outcome.action == reaper.KILLED
    assert "aws-controltower-customer-pii" not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert "a name protects nothing" in outcome.reason


@pytest.fixture
def history(monkeypatch):
    """CloudTrail's history (LookupEvents) in the sandbox: the records put here."""
    from chalicelib import moto_fixes

    records: list = []
    monkeypatch.setattr(moto_fixes, "TRAIL_HISTORY", records)
    return records


@pytest.mark.parametrize("creator, action", [
    (None, reaper.KILLED), (EXEC_ROLE, reaper.SPARED)], ids=["a-team", "execution-role"])
def test_the_scan_asks_cloudtrail_who_made_a_stackset_named_stack(aws, trail, history,
                                                                  creator, action):
    stack_id = _stack(trail, "StackSet-monocyte-data", TABLE_TEMPLATE, creator=creator)
    history.append(trail.events[-1]["detail"])
    settings = Settings(dry_run=False)
    report = scan.scan(settings, Clients(settings), regions=[OUTSIDE],
                       types=["AWS::CloudFormation::Stack"])
    [outcome] = report.outcomes
    assert outcome.action == action and _alive(stack_id) == (action == reaper.SPARED)
    assert outcome.creator == trail.events[-1]["detail"]["userIdentity"]["arn"]


def test_the_scan_spares_a_stackset_named_stack_it_cannot_prove_and_says_so(aws):
    cfn = boto3.client("cloudformation", OUTSIDE)
    cfn.create_stack(StackName="StackSet-unknown-0001", TemplateBody=TEMPLATE)
    settings = Settings(dry_run=False)
    report = scan.scan(settings, Clients(settings), regions=[OUTSIDE],
                       types=["AWS::CloudFormation::Stack"])
    [outcome] = report.outcomes
    assert outcome.action == reaper.SPARED and "doubtful" in outcome.reason


def test_a_stack_holding_an_iam_role_is_spared_and_the_role_survives(aws, trail,
                                                                     kill_settings, clients):
    template = json.dumps({"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "team-global-role",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}}}}})
    stack_id = _stack(trail, "team-with-role", template)
    [outcome] = reaper.reap(trail.events[-1], kill_settings, clients)
    assert outcome.action == reaper.SPARED and _alive(stack_id)
    assert "AWS::IAM::Role Role" in outcome.reason and "reported" in outcome.reason
    assert boto3.client("iam").get_role(RoleName="team-global-role")["Role"]


@pytest.fixture
def locked_bucket(aws):
    s3 = boto3.client("s3", OUTSIDE)
    name = f"locked-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}}})
    s3.put_object(Bucket=name, Key="pii.csv", Body=b"name,iban")
    return name


def test_an_object_lock_bucket_is_cut_off_escalated_and_the_breaker_does_not_move(
        locked_bucket, trail, kill_settings, clients):
    from iam_eval import evaluate_bucket_policy

    settings = Settings(dry_run=False, breaker_limit=10, breaker_account_limit=5)
    alerts = []
    fuse = breaker.Breaker(settings, breaker.MemoryStore(), alerts.append)
    s3 = boto3.client("s3", OUTSIDE)
    target = reaper.Target("AWS::S3::Bucket", locked_bucket, OUTSIDE, "123456789012", "scan")
    outcome = reaper.handle(target, settings, clients, breaker=fuse)
    assert outcome.action == reaper.CUT_OFF, outcome.reason
    assert "AccessDenied" in outcome.reason
    assert "denied all but deletion in the bucket policy" in outcome.notes
    # No read is possible: moto does not enforce bucket policies, so the policy the
    # bucket now has is evaluated for every reading principal.
    policy = json.loads(s3.get_bucket_policy(Bucket=locked_bucket)["Policy"])
    for action in ("s3:GetObject", "s3:GetObjectVersion", "s3:PutBucketAcl",
                   "s3:GetBucketAcl", "s3:PutObject"):
        for principal in ("arn:aws:iam::123456789012:role/Admin", "*"):
            assert evaluate_bucket_policy(policy, action, principal,
                                          f"arn:aws:s3:::{locked_bucket}/pii.csv") == "Deny"
    block = s3.get_public_access_block(Bucket=locked_bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    # The breaker counts kills that deleted something: this one did not.
    assert fuse.store.count(f"123456789012#{fuse._window()}") == 0 and not alerts
    # Escalated: a Slack message of its own, and in the nightly summary.
    from chalicelib import notify

    assert "CUT OFF" in notify.kill_message(outcome)["text"] or \
        notify.kill_message(outcome)["blocks"][0]["text"]["text"].startswith("CUT OFF")
    report = scan.Report(outcomes=[outcome])
    assert "CUT OFF AWS::S3::Bucket" in json.dumps(notify.summary_message(report, False))


def test_an_account_mismatch_is_ignored(aws, trail):
    from kinds import KINDS

    KINDS["AWS::DynamoDB::Table"][0](trail, OUTSIDE)
    event = copy.deepcopy(trail.events[-1])
    event["detail"]["recipientAccountId"] = "999999999999"
    assert "differs from the envelope's account" in triage(CloudTrailEvent(event))


def test_a_source_that_does_not_match_the_event_source_is_ignored(aws, trail):
    from kinds import KINDS

    KINDS["AWS::DynamoDB::Table"][0](trail, OUTSIDE)
    event = copy.deepcopy(trail.events[-1])
    assert triage(CloudTrailEvent(event)) is None
    event["source"] = "aws.s3"
    assert "does not match eventSource" in triage(CloudTrailEvent(event))


def test_a_webhook_url_in_the_parameter_setting_is_refused_without_echoing_it(caplog):
    url = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"
    with pytest.raises(ConfigError) as raised:
        config.from_env({"MONOCYTE_SLACK_WEBHOOK_PARAMETER": url})
    assert "SECRETSECRET" not in str(raised.value)
    from chalicelib import runtime

    runtime.reset()
    with caplog.at_level(logging.DEBUG, logger="monocyte"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("MONOCYTE_SLACK_WEBHOOK_PARAMETER", url)
            with pytest.raises(ConfigError):
                runtime.settings()
    runtime.reset()
    assert "SECRETSECRET" not in caplog.text and "config-error" in caplog.text


def test_the_scp_keeps_reserved_names_to_the_execution_roles():
    document = templates.scp_document(Settings())
    reserved = {s["Sid"]: s for s in document["Statement"]}
    roles = reserved["ProtectReservedRoles"]
    assert "iam:CreateRole" in roles["Action"]
    assert set(roles["Resource"]) >= {"arn:aws:iam::*:role/monocyte-*",
                                      "arn:aws:iam::*:role/stacksets-exec-*",
                                      "arn:aws:iam::*:role/AWSControlTowerExecution",
                                      "arn:aws:iam::*:role/AWSCloudFormationStackSetExecutionRole"}
    stacks = reserved["ReservedStackNames"]
    assert stacks["Action"] == ["cloudformation:CreateStack"]
    assert "arn:aws:cloudformation:*:*:stack/StackSet-*/*" in stacks["Resource"]
    assert stacks["Condition"]["ArnNotLike"]["aws:PrincipalARN"] == list(
        templates.EXECUTION_ROLES)
    assert len(templates.minified(document).encode()) <= templates.SCP_MAX_CHARS


def test_the_forwarder_role_has_a_protected_name():
    template = templates.render("forwarders", Settings())
    name = template["Resources"]["ForwarderRole"]["Properties"]["RoleName"]
    assert name == {"Fn::Sub": "monocyte-forwarder-${AWS::Region}"}


def _refuse_deletes(monkeypatch, cfn_type):
    from chalicelib.errors import AccessDenied

    def refused(client, resource_id, live, force):
        raise AccessDenied("Delete: AccessDenied: explicit deny in a resource policy",
                           "AccessDenied")

    real = reaper.registry.get
    kind = real(cfn_type)
    monkeypatch.setattr(reaper.registry, "get", lambda t: dataclasses.replace(
        kind, delete=refused) if t == cfn_type else real(t))


def test_a_topic_and_a_repository_that_refuse_our_delete_are_cut_off(aws, monkeypatch):
    from iam_eval import evaluate_bucket_policy

    _refuse_deletes(monkeypatch, "AWS::SNS::Topic")
    sns = boto3.client("sns", OUTSIDE)
    arn = sns.create_topic(Name="kept")["TopicArn"]
    settings = Settings(dry_run=False)
    target = reaper.Target("AWS::SNS::Topic", arn, OUTSIDE, "123456789012", "scan")
    assert reaper.handle(target, settings, Clients(settings)).action == reaper.CUT_OFF
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    for action in ("sns:Publish", "sns:Subscribe"):
        assert evaluate_bucket_policy(policy, action, "*", arn) == "Deny"

    _refuse_deletes(monkeypatch, "AWS::ECR::Repository")
    ecr = boto3.client("ecr", OUTSIDE)
    ecr.create_repository(repositoryName="kept")
    target = reaper.Target("AWS::ECR::Repository", "kept", OUTSIDE, "123456789012", "scan")
    assert reaper.handle(target, settings, Clients(settings)).action == reaper.CUT_OFF
    policy = json.loads(ecr.get_repository_policy(repositoryName="kept")["policyText"])
    for statement in policy["Statement"]:
        statement.setdefault("Resource", "*")  # a repository policy names no resource
    for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:PutImage"):
        assert evaluate_bucket_policy(policy, action, "*", "kept") == "Deny"


def test_a_queue_whose_policy_refuses_our_delete_is_cut_off(aws, monkeypatch):
    from chalicelib.errors import AccessDenied
    from chalicelib.resources import sqs
    from iam_eval import evaluate_bucket_policy

    def refused(client, url, live, force):
        raise AccessDenied("DeleteQueue: AccessDenied: explicit deny in a resource policy",
                           "AccessDenied")

    real = reaper.registry.get
    monkeypatch.setattr(reaper.registry, "get", lambda t: dataclasses.replace(
        sqs.TYPES[0], delete=refused) if t == "AWS::SQS::Queue" else real(t))
    client = boto3.client("sqs", OUTSIDE)
    url = client.create_queue(QueueName="kept-by-its-policy")["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="customer data")
    settings = Settings(dry_run=False)
    target = reaper.Target("AWS::SQS::Queue", url, OUTSIDE, "123456789012", "scan")
    outcome = reaper.handle(target, settings, Clients(settings))
    assert outcome.action == reaper.CUT_OFF
    policy = json.loads(client.get_queue_attributes(
        QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    for action in ("sqs:ReceiveMessage", "sqs:SendMessage", "sqs:PurgeQueue"):
        assert evaluate_bucket_policy(policy, action, "*", arn) == "Deny"
    assert evaluate_bucket_policy(policy, "sqs:DeleteQueue", "*", arn) == "Neither"


def test_a_lasting_refusal_without_a_cut_off_fails_loudly(aws, trail, monkeypatch):
    from chalicelib.errors import AccessDenied
    from kinds import KINDS

    def refused(client, name, live, force):
        raise AccessDenied("DeleteTable: AccessDenied: no", "AccessDenied")

    real = reaper.registry.get
    table = real("AWS::DynamoDB::Table")
    monkeypatch.setattr(reaper.registry, "get", lambda t: dataclasses.replace(
        table, delete=refused) if t == table.cfn_type else real(t))
    KINDS["AWS::DynamoDB::Table"][0](trail, OUTSIDE)
    settings = Settings(dry_run=False)
    [outcome] = reaper.reap(trail.events[-1], settings, Clients(settings))
    assert outcome.action == reaper.FAILED and "a human must act" in outcome.reason
