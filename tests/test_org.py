"""Organization-wide: member accounts reached through the member role, by events
and by the fan-out scan; an account that cannot be reached never stops the others."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import aws as aws_module
from chalicelib import fleet, reaper, scan
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.sandbox import Trail, cloudtrail_event
from kinds import KINDS

MEMBERS = ("111111111111", "222222222222")
ROLE = "monocyte-member"
HOME = "eu-central-1"


def member_session(account: str) -> boto3.session.Session:
    """What a team in a member account works with (moto keeps accounts apart)."""
    creds = boto3.client("sts", HOME).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/team", RoleSessionName="team")["Credentials"]
    return boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                 aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"])


def make_table(account: str, region: str, name: str) -> dict:
    """A table in a member account, and the event CloudTrail delivers for it."""
    ddb = member_session(account).client("dynamodb", region)
    params = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                  KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                  AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    response = ddb.create_table(**params)
    return cloudtrail_event(ddb, "CreateTable", params, response, account=account)


def table_exists(account: str, region: str, name: str) -> bool:
    return name in member_session(account).client("dynamodb", region).list_tables()["TableNames"]


def refuse_role_of(account: str):
    """Sessions whose AssumeRole into ``account`` is refused, as a missing role is."""
    def session():
        made = boto3.session.Session()

        def refuse(model, params=None, **kwargs):
            if model.name == "AssumeRole" and f"::{account}:" in params.get("RoleArn", ""):
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no role"}},
                                  "AssumeRole")
        made.events.register("before-parameter-build.sts.AssumeRole",
                             lambda params, model, **kw: refuse(model, params))
        return made
    return session


@pytest.fixture
def members_settings():
    return Settings(dry_run=False, member_role=ROLE, accounts=MEMBERS, home_region=HOME)


def test_an_event_from_a_member_account_kills_there_through_the_member_role(
        aws, members_settings):
    clients = Clients(members_settings)
    for account in MEMBERS:
        outside = make_table(account, "us-east-1", "orders")
        inside = make_table(account, HOME, "orders")
        [killed] = reaper.reap(outside, members_settings, clients)
        [spared] = reaper.reap(inside, members_settings, clients)
        assert (killed.action, killed.account) == (reaper.KILLED, account)
        assert spared.action == reaper.SPARED
        assert not table_exists(account, "us-east-1", "orders")
        assert table_exists(account, HOME, "orders")


def test_the_fan_out_scan_cleans_every_member_account(aws, members_settings, moto_types):
    sqs = boto3.client("sqs", HOME)
    sqs.create_queue(QueueName="monocyte-scan-dlq")
    url = sqs.create_queue(QueueName="monocyte-scan")["QueueUrl"]
    for account in MEMBERS:
        make_table(account, "us-east-1", "orders")
        make_table(account, "ap-southeast-1", "orders")
        make_table(account, HOME, "orders")
    settings = Settings(**{**members_settings.__dict__, "scan_queue": "monocyte-scan"})
    clients = Clients(settings)
    queued = fleet.enqueue(settings, clients)
    bodies = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            break
        bodies += [m["Body"] for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert len(bodies) == queued["queued"]
    units = [json.loads(b) for b in bodies]
    assert {u["account"] for u in units} == set(MEMBERS)
    assert {"account": MEMBERS[0], "region": scan.GLOBAL} in units
    assert not any(u["region"] == HOME for u in units)  # allowed regions are not scanned
    from chalicelib.generic import standin

    with standin.serving():  # a unit lists the generic types too (moto has no Cloud Control)
        for body in bodies:
            if json.loads(body)["region"] in ("us-east-1", "ap-southeast-1", scan.GLOBAL):
                fleet.run_message(body, settings, clients)
    for account in MEMBERS:
        assert not table_exists(account, "us-east-1", "orders")
        assert not table_exists(account, "ap-southeast-1", "orders")
        assert table_exists(account, HOME, "orders")


def test_an_account_whose_role_cannot_be_assumed_is_reported_and_the_others_cleaned(
        aws, members_settings, monkeypatch):
    blocked, reachable = "333333333333", MEMBERS[0]
    make_table(blocked, "us-east-1", "orders")
    make_table(reachable, "us-east-1", "orders")
    monkeypatch.setattr(aws_module, "new_session", refuse_role_of(blocked))
    settings = Settings(**{**members_settings.__dict__, "accounts": (blocked, reachable)})
    report = scan.scan(settings, Clients(settings), regions=["us-east-1"],
                       types=["AWS::DynamoDB::Table"], accounts=settings.accounts)
    assert not report.ok
    [failure] = report.failures
    assert failure.unit.account == blocked and "AccessDenied" in failure.reason
    assert not table_exists(reachable, "us-east-1", "orders")
    assert table_exists(blocked, "us-east-1", "orders")


def test_a_failed_unit_raises_so_sqs_retries_it(aws, members_settings, monkeypatch):
    monkeypatch.setattr(aws_module, "new_session", refuse_role_of(MEMBERS[0]))
    body = json.dumps({"account": MEMBERS[0], "region": "us-east-1"})
    with pytest.raises(fleet.UnitFailed):
        fleet.run_message(body, members_settings, Clients(members_settings))


@pytest.mark.parametrize("body", ["not json", "[]", '{"account": "1", "region": "us-east-1"}',
                                  '{"account": "111111111111", "region": "mars-1"}'])
def test_a_malformed_scan_message_is_dropped_with_one_line(aws, members_settings, body,
                                                           caplog):
    class Record:
        pass

    record = Record()
    record.body = body
    with caplog.at_level("INFO", logger="monocyte"):
        fleet.handle_sqs([record], members_settings, Clients(members_settings), None)
    assert [json.loads(r.getMessage())["log"] for r in caplog.records] == ["malformed"]


def test_the_organization_lists_the_active_accounts(aws):
    org = boto3.client("organizations", "us-east-1")
    org.create_organization(FeatureSet="ALL")
    for name in ("data", "web"):
        org.create_account(AccountName=name, Email=f"{name}@example.com")
    settings = Settings(organization_role="arn:aws:iam::123456789012:role/monocyte-org-reader")
    found = fleet.accounts(settings, Clients(settings))
    assert len(found) == 3 and "123456789012" in found


def test_the_summary_of_a_queued_scan_comes_from_the_log_and_the_dead_letters():
    from chalicelib.reaper import Outcome

    killed = Outcome("killed", "AWS::DynamoDB::Table", "orders", "us-east-1", MEMBERS[0],
                     "region us-east-1 is not allowed", event="scan", missed=True).to_dict()
    from_event = dict(killed, event="dynamodb.amazonaws.com:CreateTable", id="other")
    dead = [{"id": "m1", "body": json.dumps({"account": MEMBERS[1], "region": "us-west-2"})}]
    report = fleet.summary_from_log([killed, from_event], dead)
    assert [o.id for o in report.outcomes] == ["orders"]
    assert [(f.unit.account, f.unit.region) for f in report.failures] == [
        (MEMBERS[1], "us-west-2")]
