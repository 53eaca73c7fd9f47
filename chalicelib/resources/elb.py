"""Elastic Load Balancing: application, network and gateway load balancers (ELBv2)
and classic load balancers.

Both APIs log ``CreateLoadBalancer`` under ``elasticloadbalancing.amazonaws.com``; the
record tells them apart. ELBv2 records carry ``apiVersion`` 2015-12-01 and
``responseElements.loadBalancers[].loadBalancerArn``; classic ones carry 2012-06-01,
``requestParameters.loadBalancerName`` and a bare ``responseElements.dNSName``. Each
type's expression reads only its own shape and is ``false`` on the other's
apiVersion, so one record never names a target of the other type.

ELBv2 ids are load balancer ARNs, classic ids their names. Listeners and rules go
with their load balancer; target groups are separate resources.
"""
from __future__ import annotations

from chalicelib.errors import Protected
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

SOURCE = "elasticloadbalancing.amazonaws.com"
V2_API, CLASSIC_API = "2015-12-01", "2012-06-01"
_PROTECTION = "deletion_protection.enabled"


def inspect_v2(client, arn: str) -> Live | None:
    found = client.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    if not found:
        return None
    # Deletion protection is an attribute, not part of the description.
    attributes = client.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    protected = any(a.get("Key") == _PROTECTION and a.get("Value") == "true"
                    for a in attributes)
    return Live(protected=protected, created=utc_iso(found[0].get("CreatedTime")))


def delete_v2(client, arn: str, live: Live, force: bool) -> list[str]:
    notes = []
    if live.protected:
        if not force:
            raise Protected(f"load balancer {arn} has deletion protection")
        client.modify_load_balancer_attributes(
            LoadBalancerArn=arn, Attributes=[{"Key": _PROTECTION, "Value": "false"}])
        notes.append("deletion protection disabled")
    client.delete_load_balancer(LoadBalancerArn=arn)
    return notes


def inspect_classic(client, name: str) -> Live | None:
    found = client.describe_load_balancers(LoadBalancerNames=[name])["LoadBalancerDescriptions"]
    if not found:
        return None
    return Live(created=utc_iso(found[0].get("CreatedTime")))


def delete_classic(client, name: str, live: Live, force: bool) -> list[str]:
    client.delete_load_balancer(LoadBalancerName=name)  # succeeds for a gone one too
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::ElasticLoadBalancingV2::LoadBalancer",
        service="elbv2",
        events=(CreateEvent(SOURCE, "CreateLoadBalancer",
                            f"detail.apiVersion != '{CLASSIC_API}'"
                            " && detail.responseElements.loadBalancers[].loadBalancerArn"),),
        inspect=inspect_v2,
        delete=delete_v2,
        listing=Listing("describe_load_balancers", "LoadBalancers[]", "LoadBalancerArn",
                        created="CreatedTime"),
        actions=("elasticloadbalancing:DescribeLoadBalancers",
                 "elasticloadbalancing:DescribeLoadBalancerAttributes",
                 "elasticloadbalancing:ModifyLoadBalancerAttributes",
                 "elasticloadbalancing:DeleteLoadBalancer"),
        not_found=("LoadBalancerNotFound",),
        not_ready=("ResourceInUse",),
        protected=("OperationNotPermitted",),
    ),
    ResourceType(
        cfn_type="AWS::ElasticLoadBalancing::LoadBalancer",
        service="elb",
        events=(CreateEvent(SOURCE, "CreateLoadBalancer",
                            f"detail.apiVersion != '{V2_API}'"
                            " && detail.responseElements.dNSName"
                            " && detail.requestParameters.loadBalancerName"),),
        inspect=inspect_classic,
        delete=delete_classic,
        listing=Listing("describe_load_balancers", "LoadBalancerDescriptions[]",
                        "LoadBalancerName", created="CreatedTime"),
        actions=("elasticloadbalancing:DescribeLoadBalancers",
                 "elasticloadbalancing:DeleteLoadBalancer"),
        not_found=("LoadBalancerNotFound",),
    ),
)
