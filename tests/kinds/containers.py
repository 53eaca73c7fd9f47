"""ECS clusters, EKS clusters and node groups (see kinds/__init__.py for the contract)."""
from __future__ import annotations

import uuid

import boto3
from botocore.exceptions import ClientError

EKS_ROLE = "arn:aws:iam::123456789012:role/eks-cluster"
NODE_ROLE = "arn:aws:iam::123456789012:role/eks-nodes"
SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"]




def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_ecs_cluster(trail, region, protect=False):
    # With a service in it, as a team has it: the kill must delete the service first.
    ecs = boto3.client("ecs", region)
    arn = trail.call(ecs, "create_cluster", clusterName=_name("ecs"))["cluster"]["clusterArn"]
    family = _name("web")
    ecs.register_task_definition(family=family, containerDefinitions=[
        {"name": "web", "image": "nginx", "memory": 128}])
    ecs.create_service(cluster=arn, serviceName="web", taskDefinition=family, desiredCount=1)
    return arn


def ecs_cluster_exists(region, arn):
    found = boto3.client("ecs", region).describe_clusters(clusters=[arn])["clusters"]
    return bool(found) and found[0]["status"] == "ACTIVE"


def _cluster_params(name, protect=False):
    return dict(name=name, roleArn=EKS_ROLE, resourcesVpcConfig={"subnetIds": SUBNETS},
                deletionProtection=protect)


def _nodegroup_params(cluster, name):
    return dict(clusterName=cluster, nodegroupName=name, nodeRole=NODE_ROLE, subnets=SUBNETS,
                scalingConfig={"minSize": 1, "maxSize": 1, "desiredSize": 1})


def create_eks_cluster(trail, region, protect=False):
    # With a node group, as a team has it: the kill deletes the node group first.
    eks = boto3.client("eks", region)
    name = _name("eks")
    trail.call(eks, "create_cluster", **_cluster_params(name, protect))
    eks.create_nodegroup(**_nodegroup_params(name, "workers"))
    return name


def eks_cluster_exists(region, name):
    try:
        boto3.client("eks", region).describe_cluster(name=name)
        return True
    except ClientError:
        return False


def create_nodegroup(trail, region, protect=False):
    eks = boto3.client("eks", region)
    cluster, name = _name("eks"), _name("ng")
    eks.create_cluster(**_cluster_params(cluster))
    trail.call(eks, "create_nodegroup", **_nodegroup_params(cluster, name))
    return f"{cluster}/{name}"


def nodegroup_exists(region, nodegroup_id):
    cluster, _, name = nodegroup_id.partition("/")
    try:
        boto3.client("eks", region).describe_nodegroup(clusterName=cluster, nodegroupName=name)
        return True
    except ClientError:
        return False


KINDS = {
    "AWS::ECS::Cluster": (create_ecs_cluster, ecs_cluster_exists),
    "AWS::EKS::Cluster": (create_eks_cluster, eks_cluster_exists),
    "AWS::EKS::Nodegroup": (create_nodegroup, nodegroup_exists),
}

# One item per page of each list call, in its real response shape (test_scan). The
# scan names a cluster's node groups by the cluster (chalicelib/resources/eks.py).
PAGES = {
    "AWS::ECS::Cluster": lambda n: {"clusterArns": [n]},
    "AWS::EKS::Cluster": lambda n: {"clusters": [n]},
    "AWS::EKS::Nodegroup": lambda n: {"clusters": [n]},
}
