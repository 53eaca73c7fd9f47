"""Secrets Manager secrets and KMS keys (see kinds/__init__.py for the contract).
Their replicas in other regions are exercised in tests/test_cross_region_replicas.py."""
from __future__ import annotations

import uuid

import boto3
from botocore.exceptions import ClientError

SECRET = "AWS::SecretsManager::Secret"
KEY = "AWS::KMS::Key"
_KEY_GONE = {"PendingDeletion", "PendingReplicaDeletion"}


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def hide_secret_value(trail) -> None:
    """CloudTrail never logs a secret's value: the real record has a placeholder."""
    request = trail.events[-1]["detail"]["requestParameters"]
    if "secretString" in request:
        request["secretString"] = "HIDDEN_DUE_TO_SECURITY_REASONS"


def create_secret(trail, region, protect=False, replicas=()):
    secrets = boto3.client("secretsmanager", region)
    extra = {"AddReplicaRegions": [{"Region": r} for r in replicas]} if replicas else {}
    name = _name("team/db-password")
    trail.call(secrets, "create_secret", Name=name, SecretString="correct-horse-battery-staple",
               **extra)
    hide_secret_value(trail)
    return name


def replicate_secret(trail, region, name, replicas):
    """ReplicateSecretToRegions on the primary in ``region``. moto answers with the id
    it was given; AWS answers with the primary's ARN, as the record then has it."""
    secrets = boto3.client("secretsmanager", region)
    trail.call(secrets, "replicate_secret_to_regions", SecretId=name,
               AddReplicaRegions=[{"Region": r} for r in replicas])
    arn = secrets.describe_secret(SecretId=name)["ARN"]
    trail.events[-1]["detail"]["responseElements"]["aRN"] = arn


def secret_exists(region, name):
    try:
        secret = boto3.client("secretsmanager", region).describe_secret(SecretId=name)
    except ClientError:
        return False
    return not secret.get("DeletedDate")


def create_key(trail, region, protect=False, multi_region=False):
    kms = boto3.client("kms", region)
    reply = trail.call(kms, "create_key", Description="team data key",
                       MultiRegion=multi_region)
    return reply["KeyMetadata"]["KeyId"]


def key_exists(region, key_id):
    try:
        meta = boto3.client("kms", region).describe_key(KeyId=key_id)["KeyMetadata"]
    except ClientError:
        return False
    return meta["KeyState"] not in _KEY_GONE


KINDS = {
    SECRET: (create_secret, secret_exists),
    KEY: (create_key, key_exists),
}

PAGES = {
    SECRET: lambda n: {"SecretList": [{
        "ARN": f"arn:aws:secretsmanager:us-west-2:123456789012:secret:{n}-Ab12Cd", "Name": n,
        "PrimaryRegion": "us-west-2", "CreatedDate": "2026-11-29T10:00:00Z",
        "LastChangedDate": "2026-11-29T10:00:00Z",
        "SecretVersionsToStages": {"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d": ["AWSCURRENT"]}}]},
    KEY: lambda n: {"Keys": [{"KeyId": n,
                              "KeyArn": f"arn:aws:kms:us-west-2:123456789012:key/{n}"}],
                    # As KMS sends a page that others follow (with its NextMarker).
                    "Truncated": True},
}
