"""`monocyte doctor` finds the holes: a missing, stale or cut forwarder (its target
or its role removed, its role no longer allowed to put events on the central bus), a
member role that cannot be assumed. The forwarders are deployed from the real
`forwarders` template through moto's CloudFormation, then broken the ways they break."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import aws as aws_module
from chalicelib import cli, doctor, permits, registry, templates
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.templates import FORWARD_RULE

CENTRAL = "123456789012"  # moto's default account: the doctor's own credentials
MEMBER, BLOCKED = "111111111111", "333333333333"
HOME = "eu-central-1"
BUS = f"arn:aws:events:{HOME}:{CENTRAL}:event-bus/default"


def member_session() -> boto3.Session:
    creds = boto3.client("sts", HOME).assume_role(
        RoleArn=f"arn:aws:iam::{MEMBER}:role/admin", RoleSessionName="admin")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])


def member_events(region: str):
    return member_session().client("events", region)


def deploy_forwarder(region: str) -> str:
    """The forwarders template, deployed in the member's region; the role's name."""
    cfn = member_session().client("cloudformation", region)
    cfn.create_stack(StackName="StackSet-monocyte-forwarders-1",
                     TemplateBody=json.dumps(templates.render("forwarders", Settings())),
                     Parameters=[{"ParameterKey": "CentralAccountId", "ParameterValue": CENTRAL},
                                 {"ParameterKey": "HomeRegion", "ParameterValue": HOME}],
                     Capabilities=["CAPABILITY_IAM"])
    (target,) = member_events(region).list_targets_by_rule(Rule=FORWARD_RULE)["Targets"]
    return target["RoleArn"].rsplit("/", 1)[1]


def refuse(account):
    def session():
        made = boto3.session.Session()

        def deny(params, model, **kwargs):
            if f"::{account}:" in params.get("RoleArn", ""):
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}},
                                  "AssumeRole")
        made.events.register("before-parameter-build.sts.AssumeRole", deny)
        return made
    return session


SETTINGS = Settings(member_role="monocyte-member", accounts=(MEMBER,))


def status(regions, settings=SETTINGS):
    findings = doctor.check(settings, Clients(settings), regions=regions)
    return {(f.account, f.region, f.check): (f.status, f.detail) for f in findings}


def test_a_forwarder_deployed_from_the_template_passes(aws):
    role = deploy_forwarder("us-east-1")
    found = status(["us-east-1", "eu-west-1"])
    assert found[(MEMBER, "us-east-1", "forwarder")] == (
        doctor.OK, f"current pattern, to the central bus, through role {role}")
    assert (MEMBER, "eu-west-1", "forwarder") not in found  # allowed: nothing to kill
    assert found[(MEMBER, "*", "member role")][0] == doctor.OK


def test_doctor_reports_missing_stale_and_unassumable(aws, monkeypatch):
    deploy_forwarder("us-east-1")
    stale = {**registry.event_pattern(), "source": ["aws.ec2"]}
    member_events("us-west-2").put_rule(Name=FORWARD_RULE, EventPattern=json.dumps(stale))
    monkeypatch.setattr(aws_module, "new_session", refuse(BLOCKED))
    found = status(["us-east-1", "us-west-2", "ap-southeast-1"],
                   Settings(member_role="monocyte-member", accounts=(MEMBER, BLOCKED)))
    assert found[(MEMBER, "us-east-1", "forwarder")][0] == doctor.OK
    assert "not the current one" in found[(MEMBER, "us-west-2", "forwarder")][1]
    assert "no rule" in found[(MEMBER, "ap-southeast-1", "forwarder")][1]
    assert found[(BLOCKED, "*", "member role")][0] == doctor.HOLE


def test_a_forwarder_whose_target_was_removed_is_a_hole(aws):
    deploy_forwarder("us-east-1")
    member_events("us-east-1").remove_targets(Rule=FORWARD_RULE, Ids=["monocyte-central-bus"])
    state, detail = status(["us-east-1"])[(MEMBER, "us-east-1", "forwarder")]
    assert state == doctor.HOLE and "no target: it forwards nothing" in detail


def test_a_forwarder_sending_elsewhere_is_a_hole(aws):
    role = deploy_forwarder("us-east-1")
    events = member_events("us-east-1")
    events.remove_targets(Rule=FORWARD_RULE, Ids=["monocyte-central-bus"])
    elsewhere = f"arn:aws:events:us-east-1:{CENTRAL}:event-bus/default"  # not home
    events.put_targets(Rule=FORWARD_RULE, Targets=[{
        "Id": "x", "Arn": elsewhere, "RoleArn": f"arn:aws:iam::{MEMBER}:role/{role}"}])
    state, detail = status(["us-east-1"])[(MEMBER, "us-east-1", "forwarder")]
    assert state == doctor.HOLE and f"not to the central bus {BUS}" in detail


def test_a_target_without_its_role_is_a_hole(aws):
    deploy_forwarder("us-east-1")
    events = member_events("us-east-1")
    events.put_targets(Rule=FORWARD_RULE, Targets=[{"Id": "monocyte-central-bus", "Arn": BUS}])
    state, detail = status(["us-east-1"])[(MEMBER, "us-east-1", "forwarder")]
    assert state == doctor.HOLE and "has no role" in detail


def test_a_forwarder_whose_role_was_removed_is_a_hole(aws):
    role = deploy_forwarder("us-east-1")
    iam = member_session().client("iam")
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role, PolicyName=name)
    iam.delete_role(RoleName=role)
    state, detail = status(["us-east-1"])[(MEMBER, "us-east-1", "forwarder")]
    assert state == doctor.HOLE and f"role {role} does not exist" in detail


def test_a_role_that_may_no_longer_put_events_is_a_hole(aws):
    role = deploy_forwarder("us-east-1")
    iam = member_session().client("iam")
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role, PolicyName=name)
    state, detail = status(["us-east-1"])[(MEMBER, "us-east-1", "forwarder")]
    assert state == doctor.HOLE and "may not put events on the central bus" in detail
    # A managed policy that allows it again closes the hole...
    arn = iam.create_policy(PolicyName="put", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "events:Put*",
                                                "Resource": BUS}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert status(["us-east-1"])[(MEMBER, "us-east-1", "forwarder")][0] == doctor.OK
    # ...and an explicit Deny opens it again, whatever allows it.
    iam.put_role_policy(RoleName=role, PolicyName="no", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Sid": "Stop", "Effect": "Deny",
                                                "Action": "events:*", "Resource": "*"}]}))
    state, detail = status(["us-east-1"])[(MEMBER, "us-east-1", "forwarder")]
    assert state == doctor.HOLE and "Stop denies events:PutEvents" in detail


def test_a_role_eventbridge_may_not_assume_is_a_hole(aws):
    role = deploy_forwarder("us-east-1")
    member_session().client("iam").update_assume_role_policy(
        RoleName=role, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}))
    state, detail = status(["us-east-1"])[(MEMBER, "us-east-1", "forwarder")]
    assert state == doctor.HOLE and "EventBridge may not assume" in detail


def test_the_reapers_dead_letters_are_a_hole(aws):
    where = (CENTRAL, HOME, "reap dead letters")
    assert "no readable monocyte-reap-dlq" in status(["us-east-1"])[where][1]
    url = boto3.client("sqs", HOME).create_queue(QueueName=templates.REAP_DLQ)["QueueUrl"]
    assert status(["us-east-1"])[where] == (doctor.OK, "monocyte-reap-dlq is empty")
    boto3.client("sqs", HOME).send_message(QueueUrl=url, MessageBody=json.dumps({
        "requestContext": {"condition": "EventAgeExceeded"},
        "requestPayload": {"account": MEMBER, "time": "2026-12-02T10:00:00Z", "detail": {}}}))
    assert status(["us-east-1"])[where] == (
        doctor.HOLE, "1 event in monocyte-reap-dlq, the oldest from 2026-12-02T10:00:00Z")


def test_doctor_exit_status_says_there_are_holes(aws, monkeypatch, capsys):
    boto3.client("sqs", HOME).create_queue(QueueName=templates.REAP_DLQ)
    monkeypatch.setenv("MONOCYTE_ACCOUNTS", MEMBER)
    monkeypatch.setenv("MONOCYTE_MEMBER_ROLE", "monocyte-member")
    assert cli.main(["doctor", "--regions", "us-east-1"]) == 1
    assert "no rule monocyte-forward" in capsys.readouterr().out
    deploy_forwarder("us-east-1")
    assert cli.main(["doctor", "--regions", "us-east-1"]) == 0
    member_events("us-east-1").remove_targets(Rule=FORWARD_RULE, Ids=["monocyte-central-bus"])
    assert cli.main(["doctor", "--regions", "us-east-1"]) == 1
    assert "forwards nothing" in capsys.readouterr().out


# --- the policy evaluator the doctor relies on ------------------------------------

ALLOW_BUS = {"Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": BUS}]}


@pytest.mark.parametrize("documents, action, resource, expected", [
    ([ALLOW_BUS], "events:PutEvents", BUS, True),
    ([ALLOW_BUS], "EVENTS:putevents", BUS, True),  # actions ignore case
    ([ALLOW_BUS], "events:PutEvents", BUS.replace("default", "other"), False),
    ([{"Statement": {"Effect": "Allow", "Action": "events:*", "Resource": "*"}}],
     "events:PutEvents", BUS, True),
    ([{"Statement": [{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]}],
     "events:PutEvents", BUS, True),
    ([{"Statement": [{"Effect": "Allow", "NotAction": "events:*", "Resource": "*"}]}],
     "events:PutEvents", BUS, False),
    ([{"Statement": [{"Effect": "Allow", "Action": "events:PutEvents",
                      "NotResource": "arn:aws:events:*:*:event-bus/default"}]}],
     "events:PutEvents", BUS, False),
    ([{"Statement": [{"Effect": "Allow", "Action": "events:Put?vents",
                      "Resource": "arn:aws:events:eu-*:*:event-bus/*"}]}],
     "events:PutEvents", BUS, True),
    # An Allow with a condition proves nothing; a Deny wins over any Allow.
    ([{"Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": "*",
                      "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}]}],
     "events:PutEvents", BUS, False),
    ([ALLOW_BUS, {"Statement": [{"Effect": "Deny", "Action": "events:*", "Resource": "*"}]}],
     "events:PutEvents", BUS, False),
    ([], "events:PutEvents", BUS, False),
])
def test_the_evaluator_follows_iams_logic(documents, action, resource, expected):
    assert permits.allows(documents, action, resource)[0] is expected


def test_the_evaluator_reads_a_trust_policy():
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": ["events.amazonaws.com"]},
                            "Action": "sts:AssumeRole"}]}
    assert permits.trusts_service(trust, "events.amazonaws.com")
    assert not permits.trusts_service(trust, "lambda.amazonaws.com")
    assert not permits.trusts_service({"Statement": [{**trust["Statement"][0],
                                                      "Effect": "Deny"}]},
                                      "events.amazonaws.com")
