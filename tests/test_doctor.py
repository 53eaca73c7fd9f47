"""`monocyte doctor` finds the holes: a missing or stale forwarder, a role that
cannot be assumed."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import aws as aws_module
from chalicelib import cli, doctor, registry
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.templates import FORWARD_RULE

MEMBER, BLOCKED = "111111111111", "333333333333"


def member_events(region: str):
    creds = boto3.client("sts", "eu-central-1").assume_role(
        RoleArn=f"arn:aws:iam::{MEMBER}:role/admin", RoleSessionName="admin")["Credentials"]
    return boto3.client("events", region, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


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


def test_doctor_reports_every_hole_and_passes_the_good_ones(aws, monkeypatch):
    current = json.dumps(registry.event_pattern())
    member_events("us-east-1").put_rule(Name=FORWARD_RULE, EventPattern=current)
    stale = {**registry.event_pattern(), "source": ["aws.ec2"]}
    member_events("us-west-2").put_rule(Name=FORWARD_RULE, EventPattern=json.dumps(stale))
    monkeypatch.setattr(aws_module, "new_session", refuse(BLOCKED))
    settings = Settings(member_role="monocyte-member", accounts=(MEMBER, BLOCKED))
    findings = doctor.check(settings, Clients(settings),
                            regions=["us-east-1", "us-west-2", "ap-southeast-1", "eu-west-1"])
    status = {(f.account, f.region, f.check): (f.status, f.detail) for f in findings}
    assert status[(MEMBER, "us-east-1", "forwarder")][0] == doctor.OK
    assert "not the current one" in status[(MEMBER, "us-west-2", "forwarder")][1]
    assert "no rule" in status[(MEMBER, "ap-southeast-1", "forwarder")][1]
    assert (MEMBER, "eu-west-1", "forwarder") not in status  # allowed: nothing to kill
    assert status[(MEMBER, "*", "member role")][0] == doctor.OK
    assert status[(BLOCKED, "*", "member role")][0] == doctor.HOLE


def test_doctor_exit_status_says_there_are_holes(aws, monkeypatch, capsys):
    monkeypatch.setenv("MONOCYTE_ACCOUNTS", MEMBER)
    monkeypatch.setenv("MONOCYTE_MEMBER_ROLE", "monocyte-member")
    assert cli.main(["doctor", "--regions", "us-east-1"]) == 1
    assert "no rule monocyte-forward" in capsys.readouterr().out
    member_events("us-east-1").put_rule(Name=FORWARD_RULE,
                                        EventPattern=json.dumps(registry.event_pattern()))
    assert cli.main(["doctor", "--regions", "us-east-1"]) == 0
