"""`monocyte doctor --drill`, through the real handlers: the test plays CloudTrail
(the trail emulator turns the drill's CreateQueue into its event) and EventBridge
(moto's: the member's forwarder, deployed from the template, matches the event and
sends it to the central bus, where a rule with reap's pattern hands it on), and
`app.reap` kills the queue. A region without a forwarder never sees its event: the
drill reports the hole and removes the queue itself. Time is a fake clock: nothing
sleeps, nothing is timed."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from chalice.test import Client

from app import app
from chalicelib import audit, cli, drill, registry, runtime, templates
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.sandbox import Trail, cloudtrail_event
from test_doctor import HOME, MEMBER, deploy_forwarder, member_session

MEMBER_ROLE = f"arn:aws:sts::{MEMBER}:assumed-role/monocyte-member/monocyte"


class MemberTrail(Trail):
    """The trail of the member account: the drill's calls are the member role's."""

    def call(self, client, method, **params):
        response = getattr(client, method)(**params)
        operation = client.meta.method_to_api_mapping[method]
        self.events.append(cloudtrail_event(client, operation, params, response,
                                            account=MEMBER, user_arn=MEMBER_ROLE))
        return response


class World:
    """CloudTrail, EventBridge and the reaper between two looks of the drill."""

    def __init__(self, reaper):
        self.trail = MemberTrail()
        self.delivered = 0
        self.now = 0.0
        self.waits = []
        self.reaper = reaper
        central = boto3.client("sqs", HOME)
        self.observed = central.create_queue(QueueName="central-bus")["QueueUrl"]
        arn = central.get_queue_attributes(QueueUrl=self.observed, AttributeNames=[
            "QueueArn"])["Attributes"]["QueueArn"]
        bus = boto3.client("events", HOME)  # the central account's home bus
        bus.put_rule(Name="reap", EventPattern=json.dumps(registry.event_pattern()))
        bus.put_targets(Rule="reap", Targets=[{"Id": "reap", "Arn": arn}])

    def create(self, sqs, name):
        return self.trail.call(sqs, "create_queue", QueueName=name)["QueueUrl"]

    def clock(self):
        return self.now

    def wait(self, seconds):
        """CloudTrail puts each new call on its region's bus (moto's forwarder takes
        it to the central bus, or nothing does); the reaper gets what arrived."""
        self.waits.append(seconds)
        for event in self.trail.events[self.delivered:]:
            events = member_session().client("events", event["region"])
            events.put_events(Entries=[{"Source": event["source"],
                                        "DetailType": event["detail-type"],
                                        "Detail": json.dumps(event["detail"])}])
        self.delivered = len(self.trail.events)
        sqs = boto3.client("sqs", HOME)
        for message in sqs.receive_message(QueueUrl=self.observed,
                                           MaxNumberOfMessages=10).get("Messages", []):
            self.reaper(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=self.observed, ReceiptHandle=message["ReceiptHandle"])
        self.now += seconds


@pytest.fixture
def reap(aws, monkeypatch):
    """app.reap as Lambda runs it (stage prod: kills), in the central account."""
    audit.create_table(boto3.client("dynamodb", HOME), "monocyte-verdicts-prod")
    for name in ("monocyte-scan-dlq", "monocyte-scan"):
        boto3.client("sqs", HOME).create_queue(QueueName=name)
    monkeypatch.setenv("MONOCYTE_ACCOUNTS", MEMBER)
    runtime.reset()
    with Client(app, stage_name="prod") as client:
        yield lambda event: client.lambda_.invoke("reap", event)
    runtime.reset()


SETTINGS = Settings(member_role="monocyte-member", accounts=(MEMBER,))


def _queues(region):
    return member_session().client("sqs", region).list_queues().get("QueueUrls", [])


def test_a_drill_reports_the_time_to_kill_and_a_region_without_forwarder_as_a_hole(reap):
    deploy_forwarder("us-east-1")  # ap-southeast-1 has none
    world = World(reap)
    drills = drill.run(SETTINGS, Clients(SETTINGS),
                       regions=["us-east-1", "ap-southeast-1", "eu-west-1"],
                       timeout=60, poll=5, create=world.create, wait=world.wait,
                       clock=world.clock)
    by_region = {d.region: d for d in drills}
    assert set(by_region) == {"us-east-1", "ap-southeast-1"}  # never in an allowed region
    killed, missed = by_region["us-east-1"], by_region["ap-southeast-1"]
    assert (killed.status, killed.seconds, killed.detail) == (drill.OK, 5.0,
                                                              "killed by the reaper")
    assert killed.queue.split("/")[-1].startswith("monocyte-drill-")
    assert missed.status == drill.HOLE and missed.seconds is None
    assert "still alive after 60 s" in missed.detail
    assert "the doctor deleted the queue" in missed.detail
    # Both queues are gone: one by the reaper, one by the doctor; none was in the EU.
    assert _queues("us-east-1") == _queues("ap-southeast-1") == _queues("eu-west-1") == []
    # It waited only as long as the timeout, in steps of the poll.
    assert sum(world.waits) == 60 and max(world.waits) == 5


def test_a_drill_queue_that_cannot_be_made_is_a_hole(aws):
    def refused(sqs, name):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not this name"}},
                          "CreateQueue")

    [found] = drill.run(SETTINGS, Clients(SETTINGS), regions=["us-west-2"], timeout=10,
                        create=refused, wait=lambda s: pytest.fail("nothing to wait for"))
    assert found.status == drill.HOLE and "could not create the drill queue" in found.detail


def test_the_member_role_may_create_only_drill_queues():
    statement = templates.DRILL_STATEMENT
    assert statement["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:sqs:*:"
                                                "${AWS::AccountId}:monocyte-drill-*"}
    assert "sqs:CreateQueue" in statement["Action"]
    assert drill.queue_name().startswith(templates.DRILL_QUEUE_PREFIX)
    assert drill.queue_name() != drill.queue_name()


def test_doctor_drill_on_the_command_line(reap, monkeypatch, capsys):
    deploy_forwarder("us-east-1")
    boto3.client("sqs", HOME).create_queue(QueueName=templates.REAP_DLQ)
    world = World(reap)
    real_run = drill.run
    monkeypatch.setattr(drill, "run", lambda *a, **k: real_run(
        *a, **{**k, "create": world.create, "wait": world.wait, "clock": world.clock}))
    monkeypatch.setenv("MONOCYTE_MEMBER_ROLE", "monocyte-member")
    assert cli.main(["doctor", "--drill", "--regions", "us-east-1", "--timeout", "30",
                     "--poll", "3"]) == 0
    out = capsys.readouterr().out
    assert "1 drill, 0 holes." in out and "3 s" in out and "killed by the reaper" in out
