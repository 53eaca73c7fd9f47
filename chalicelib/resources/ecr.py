"""ECR repositories (private, in the account's own registry).

CloudTrail's source is ecr.amazonaws.com (botocore's signing name), though botocore's
endpoint prefix for the service is api.ecr.
"""
from __future__ import annotations

import json

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

# What a cut-off repository still allows: what finishing the kill takes.
FINISHING = ["ecr:DeleteRepository", "ecr:DescribeRepositories", "ecr:SetRepositoryPolicy"]


def cut_off(client, name: str) -> list[str]:
    """A repository that cannot be deleted: nobody may pull or push its images."""
    client.set_repository_policy(repositoryName=name, policyText=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "MonocyteCutOff", "Effect": "Deny", "Principal": "*",
                       "NotAction": FINISHING}]}))
    return ["denied every use but deletion in the repository policy"]


def inspect_repository(client, name: str) -> Live | None:
    found = client.describe_repositories(repositoryNames=[name])["repositories"]
    if not found:
        return None
    return Live(created=utc_iso(found[0].get("createdAt")))


def delete_repository(client, name: str, live: Live, force: bool) -> list[str]:
    # force: ECR deletes the images with the repository (they are the data).
    client.delete_repository(repositoryName=name, force=True)
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::ECR::Repository",
        service="ecr",
        events=(CreateEvent("ecr.amazonaws.com", "CreateRepository",
                            "detail.responseElements.repository.repositoryName"
                            " || detail.requestParameters.repositoryName"),),
        inspect=inspect_repository,
        delete=delete_repository,
        listing=Listing("describe_repositories", "repositories[]", "repositoryName",
                        created="createdAt"),
        actions=("ecr:DescribeRepositories", "ecr:DeleteRepository", "ecr:SetRepositoryPolicy"),
        cut_off=cut_off,
        not_found=("RepositoryNotFoundException",),
    ),
)
