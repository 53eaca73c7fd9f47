"""ElastiCache clusters and replication groups, load balancers (v2 and classic), EFS
file systems (see kinds/__init__.py for the contract)."""
from __future__ import annotations

import uuid

import boto3
from botocore.exceptions import ClientError

# Every ELB record names its API version; that is how the two APIs' CreateLoadBalancer
# records differ beyond their shapes.
V2_API, CLASSIC_API = "2015-12-01", "2012-06-01"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _flatten_response(trail, member: str) -> None:
    # CloudTrail logs a query-protocol result without its wrapper element
    # (responseElements.cacheClusterId, not .cacheCluster.cacheClusterId).
    detail = trail.events[-1]["detail"]
    detail["responseElements"] = detail["responseElements"][member]


def create_cache_cluster(trail, region, protect=False):
    elasticache = boto3.client("elasticache", region)
    name = _name("cache")
    trail.call(elasticache, "create_cache_cluster", CacheClusterId=name, Engine="redis",
               CacheNodeType="cache.t4g.micro", NumCacheNodes=1)
    _flatten_response(trail, "cacheCluster")
    return name


def cache_cluster_exists(region, name):
    try:
        found = boto3.client("elasticache", region).describe_cache_clusters(
            CacheClusterId=name)["CacheClusters"]
    except ClientError:
        return False
    return found[0]["CacheClusterStatus"] not in ("deleting", "deleted")


def create_replication_group(trail, region, protect=False):
    elasticache = boto3.client("elasticache", region)
    name = _name("group")
    trail.call(elasticache, "create_replication_group", ReplicationGroupId=name,
               ReplicationGroupDescription="sessions", Engine="redis",
               CacheNodeType="cache.t4g.micro", NumCacheClusters=1)
    _flatten_response(trail, "replicationGroup")
    return name


def replication_group_exists(region, name):
    try:
        found = boto3.client("elasticache", region).describe_replication_groups(
            ReplicationGroupId=name)["ReplicationGroups"]
    except ClientError:
        return False
    return found[0]["Status"] not in ("deleting", "deleted")


def _default_subnets(region) -> list[str]:
    subnets = boto3.client("ec2", region).describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    return [s["SubnetId"] for s in subnets[:2]]


def create_load_balancer(trail, region, protect=False):
    elbv2 = boto3.client("elbv2", region)
    reply = trail.call(elbv2, "create_load_balancer", Name=_name("alb"),
                       Subnets=_default_subnets(region))
    trail.events[-1]["detail"]["apiVersion"] = V2_API
    arn = reply["LoadBalancers"][0]["LoadBalancerArn"]
    if protect:
        elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
            {"Key": "deletion_protection.enabled", "Value": "true"}])
    return arn


def load_balancer_exists(region, arn):
    try:
        boto3.client("elbv2", region).describe_load_balancers(LoadBalancerArns=[arn])
        return True
    except ClientError:
        return False


def create_classic_load_balancer(trail, region, protect=False):
    elb = boto3.client("elb", region)
    name = _name("clb")
    trail.call(elb, "create_load_balancer", LoadBalancerName=name,
               AvailabilityZones=[f"{region}a"], Listeners=[
                   {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}])
    trail.events[-1]["detail"]["apiVersion"] = CLASSIC_API
    return name


def classic_load_balancer_exists(region, name):
    try:
        boto3.client("elb", region).describe_load_balancers(LoadBalancerNames=[name])
        return True
    except ClientError:
        return False


def create_file_system(trail, region, protect=False):
    # With a mount target, as a team has it: the kill deletes it first.
    efs = boto3.client("efs", region)
    fs_id = trail.call(efs, "create_file_system", CreationToken=_name("fs"))["FileSystemId"]
    efs.create_mount_target(FileSystemId=fs_id, SubnetId=_default_subnets(region)[0])
    return fs_id


def file_system_exists(region, fs_id):
    try:
        boto3.client("efs", region).describe_file_systems(FileSystemId=fs_id)
        return True
    except ClientError:
        return False


KINDS = {
    "AWS::ElastiCache::CacheCluster": (create_cache_cluster, cache_cluster_exists),
    "AWS::ElastiCache::ReplicationGroup": (create_replication_group, replication_group_exists),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": (create_load_balancer, load_balancer_exists),
    "AWS::ElasticLoadBalancing::LoadBalancer": (create_classic_load_balancer,
                                                classic_load_balancer_exists),
    "AWS::EFS::FileSystem": (create_file_system, file_system_exists),
}

# One item per page of each list call, in its real response shape (test_scan).
PAGES = {
    "AWS::ElastiCache::CacheCluster": lambda n: {"CacheClusters": [
        {"CacheClusterId": n, "CacheClusterStatus": "available"}]},
    "AWS::ElastiCache::ReplicationGroup": lambda n: {"ReplicationGroups": [
        {"ReplicationGroupId": n, "Status": "available"}]},
    "AWS::ElasticLoadBalancingV2::LoadBalancer": lambda n: {"LoadBalancers": [
        {"LoadBalancerArn": n, "LoadBalancerName": "alb", "Type": "application"}]},
    "AWS::ElasticLoadBalancing::LoadBalancer": lambda n: {"LoadBalancerDescriptions": [
        {"LoadBalancerName": n, "DNSName": f"{n}-1234567890.us-west-2.elb.amazonaws.com"}]},
    "AWS::EFS::FileSystem": lambda n: {"FileSystems": [{
        "OwnerId": "123456789012", "CreationToken": "fs", "FileSystemId": n,
        "CreationTime": "2026-01-01T00:00:00Z", "LifeCycleState": "available",
        "NumberOfMountTargets": 0, "SizeInBytes": {"Value": 6144},
        "PerformanceMode": "generalPurpose", "Tags": []}]},
}
