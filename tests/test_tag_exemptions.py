"""Exemption by a tag on the resource: off by default (whoever creates a resource can
tag it), and when switched on only honoured with an expiry date not too far ahead."""
from __future__ import annotations

import dataclasses
import datetime

import boto3
import pytest

from chalicelib import config, reaper
from chalicelib.aws import Clients
from chalicelib.config import Settings
from kinds import KINDS

TAG = "monocyte-exempt-until"
_, instance_exists = KINDS["AWS::EC2::Instance"]
TODAY = datetime.datetime.now(datetime.timezone.utc).date()


def _tagged_instance(trail, region: str, value: str) -> str:
    ec2 = boto3.client("ec2", region)
    reply = trail.call(ec2, "run_instances", ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                       TagSpecifications=[{"ResourceType": "instance",
                                           "Tags": [{"Key": TAG, "Value": value}]}])
    return reply["Instances"][0]["InstanceId"]


def _reap(trail, settings: Settings) -> reaper.Outcome:
    [outcome] = reaper.reap(trail.events[-1], settings, Clients(settings))
    return outcome


def _days(n: int) -> str:
    return (TODAY + datetime.timedelta(days=n)).isoformat()


def test_off_by_default_a_tag_spares_nothing(aws, trail, kill_settings):
    instance = _tagged_instance(trail, "us-east-1", _days(10))
    assert _reap(trail, kill_settings).action == reaper.KILLED
    assert not instance_exists("us-east-1", instance)


@pytest.fixture
def tag_settings(kill_settings):
    return dataclasses.replace(kill_settings, exemption_tag=TAG)


def test_switched_on_a_dated_tag_spares_until_its_date(aws, trail, tag_settings):
    instance = _tagged_instance(trail, "us-east-1", _days(10) + " CloudFront origin test")
    outcome = _reap(trail, tag_settings)
    assert (outcome.action, outcome.reason) == (
        reaper.SPARED, f"exempt by tag {TAG} until {_days(10)}")
    assert instance_exists("us-east-1", instance)


@pytest.mark.parametrize("value, why", [
    ("forever", "needs an expiry date"),
    ("", "needs an expiry date"),
    (_days(-1), "expired on"),
    (_days(91), "more than 90 days ahead"),
])
def test_a_tag_without_a_valid_expiry_does_not_spare(aws, trail, tag_settings, value, why):
    instance = _tagged_instance(trail, "us-east-1", value)
    outcome = _reap(trail, tag_settings)
    assert outcome.action == reaper.KILLED and why in outcome.reason
    assert not instance_exists("us-east-1", instance)


def test_the_tag_and_its_horizon_are_settings():
    built = config.from_env({"MONOCYTE_EXEMPTION_TAG": TAG,
                             "MONOCYTE_EXEMPTION_TAG_MAX_DAYS": "30"})
    assert (built.exemption_tag, built.exemption_tag_max_days) == (TAG, 30)
    assert config.from_env({}).exemption_tag is None
    with pytest.raises(config.ConfigError, match="MONOCYTE_EXEMPTION_TAG_MAX_DAYS"):
        config.from_env({"MONOCYTE_EXEMPTION_TAG_MAX_DAYS": "0"})
