"""Load balancers: the v2 and classic APIs share one CreateLoadBalancer event name, so
each recorded record must name only its own type; and ELBv2's deletion protection,
an attribute, is disabled only with force (in moto)."""
from __future__ import annotations

import pytest

from chalicelib import reaper
from chalicelib.config import Settings
from conftest import load_event
from kinds import KINDS

V2 = "AWS::ElasticLoadBalancingV2::LoadBalancer"
CLASSIC = "AWS::ElasticLoadBalancing::LoadBalancer"
ARN = ("arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/checkout-alb/"
       "ffcddace1759e1d0")


@pytest.mark.parametrize("sample, expected", [
    ("elasticloadbalancing.CreateLoadBalancer.v2", (V2, ARN)),
    ("elasticloadbalancing.CreateLoadBalancer.classic", (CLASSIC, "legacy-web")),
])
def test_each_record_names_only_its_own_type(sample, expected):
    targets = reaper.explain(load_event(sample), Settings())["targets"]
    assert [(t["type"], t["id"]) for t in targets] == [expected]


@pytest.mark.parametrize("sample, api_version", [
    ("elasticloadbalancing.CreateLoadBalancer.v2", "2012-06-01"),
    ("elasticloadbalancing.CreateLoadBalancer.classic", "2015-12-01"),
])
def test_a_record_of_the_other_api_version_names_nothing(sample, api_version):
    event = load_event(sample)
    event["detail"]["apiVersion"] = api_version
    assert reaper.explain(event, Settings())["targets"] == []


def test_a_protected_load_balancer_is_unprotected_then_deleted(aws, trail, kill_settings,
                                                               clients):
    create, exists = KINDS[V2]
    arn = create(trail, "us-east-1", protect=True)
    [outcome] = reaper.reap(trail.events[-1], kill_settings, clients)
    assert (outcome.action, outcome.notes) == (reaper.KILLED, ["deletion protection disabled"])
    assert not exists("us-east-1", arn)


def test_without_force_a_protected_load_balancer_is_spared(aws, trail, clients):
    create, exists = KINDS[V2]
    arn = create(trail, "us-east-1", protect=True)
    [outcome] = reaper.reap(trail.events[-1], Settings(dry_run=False, force=False), clients)
    assert outcome.action == reaper.SPARED
    assert "MONOCYTE_FORCE is off" in outcome.reason
    assert exists("us-east-1", arn)
