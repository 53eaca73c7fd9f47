"""The one EventBridge pattern of ``reap`` and the forwarders, and what it is made of.

It does not list event names type by type: it forwards every successful create-style
call (an ``eventName`` prefix from :data:`CREATE_PREFIXES`) made outside the allowed
regions by any service but the global ones, plus, in any region, the calls of
:data:`CROSS_REGION_CALLS`, which place data in another region while being logged in
the region they were sent to. Its size depends on the settings (the allowed regions),
never on the number of registered types.

Every filter used here is in AWS's own documentation of event patterns
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):
``prefix`` and ``exists`` in an array of values match when any of them does;
``anything-but`` takes a list of strings; ``exists: false`` matches a missing leaf;
``$or`` takes two or more sub-patterns, each ANDed with the fields beside it.
"""
from __future__ import annotations

import functools
import json
import os
import re

from chalicelib import events
from chalicelib.registry import CLOUDTRAIL_DETAIL_TYPE

# EventBridge's quota for one pattern lives with AWS's other limits.
from chalicelib.limits import EVENT_PATTERN_MAX_CHARS  # noqa: E402,F401

# eventName prefixes that make something new, chosen from the operation names in
# botocore's models (counts of operations across all services, botocore 1.40).
CREATE_PREFIXES = (
    "Create",     # 2,227 operations: the common verb (CreateUserPool, CreateLogGroup, ...)
    "Run",        # 7: EC2 RunInstances, ECS RunTask, EMR RunJobFlow: compute on data
    "Copy",       # 33: snapshot, image and backup copies, logged where the copy lands
    "Restore",    # 47: a database, table or volume restored from a backup is new data
    "Replicate",  # 3: KMS ReplicateKey, ReplicateSecretToRegions, Connect instances
    "Register",   # 84: RegisterImage (an AMI), task and job definitions, targets
    "Request",    # 9: ACM RequestCertificate, EC2 RequestSpotInstances/RequestSpotFleet
    "Import",     # 57: ImportImage, ImportSnapshot, ImportCertificate, ImportTable
    "Launch",     # 1: Auto Scaling LaunchInstances starts machines
    "Allocate",   # 9: AllocateAddress, AllocateHosts, Lightsail AllocateStaticIp
    "Publish",    # 18: Lambda PublishLayerVersion, CodeArtifact PublishPackageVersion
    "Clone",      # 2: Amplify CloneBackend, SES CloneReceiptRuleSet: a second resource
    "Provision",  # 7: Service Catalog ProvisionProduct (a stack), BYOIP address pools
)
# Left out on purpose: Start/Put/Enable/Associate (mostly act on what exists; the
# ones that place data elsewhere are CROSS_REGION_CALLS), Purchase (a commitment,
# no data), Duplicate (no operation in botocore has it).

# Services whose calls all log in us-east-1 and whose resources are never in a region
# (design: "never resources of this system"), beyond what botocore marks as global.
# STS needs no entry: none of its operations is create-style.
_GLOBAL_EXTRA = {
    "route53domains": "one endpoint (us-east-1); a registered domain has no region",
    "support": "cases are global (botocore's only endpoint is aws-global)",
}
# botocore marks S3 as having a partition endpoint, but its buckets live in regions.
_NOT_GLOBAL = frozenset({"s3", "sts"})

# (eventSource, eventName) of the calls that place data in another region while
# being logged in an allowed one: forwarded from every region. Calls logged where
# their copy lands (EC2 CopyImage/CopySnapshot, RDS CopyDBSnapshot,
# CopyDBClusterSnapshot, CreateDBInstanceReadReplica, FSx CopyBackup) need no entry:
# the create-style branch sees them in the destination region.
CROSS_REGION_CALLS = (
    ("kms.amazonaws.com", "ReplicateKey"),  # replicaRegion: a key copy elsewhere
    ("secretsmanager.amazonaws.com", "ReplicateSecretToRegions"),  # addReplicaRegions
    # Only with AddReplicaRegions, but that sits in an array of objects, which moto's
    # matcher cannot filter on: every CreateSecret is forwarded, the reaper decides.
    ("secretsmanager.amazonaws.com", "CreateSecret"),
    ("dynamodb.amazonaws.com", "UpdateTable"),  # replicaUpdates[].create.regionName
    ("dynamodb.amazonaws.com", "CreateGlobalTable"),  # 2017 version: replicationGroup
    ("dynamodb.amazonaws.com", "UpdateGlobalTable"),  # 2017 version: replicaUpdates
    ("backup.amazonaws.com", "StartCopyJob"),  # destinationBackupVaultArn's region
    ("backup.amazonaws.com", "CreateBackupPlan"),  # rules[].copyActions[]
    ("backup.amazonaws.com", "UpdateBackupPlan"),  # rules[].copyActions[]
    ("s3.amazonaws.com", "PutBucketReplication"),  # a destination bucket anywhere
    ("ecr.amazonaws.com", "PutReplicationConfiguration"),  # rules[].destinations[].region
    ("elasticfilesystem.amazonaws.com", "CreateReplicationConfiguration"),  # destinations
    ("redshift.amazonaws.com", "EnableSnapshotCopy"),  # destinationRegion
    ("redshift-serverless.amazonaws.com", "CreateSnapshotCopyConfiguration"),
    # Logged in the source backup's region; its copy lands in destinationRegion.
    ("cloudhsm.amazonaws.com", "CopyBackupToRegion"),
    # Called in the destination region, but not create-style by name.
    ("rds.amazonaws.com", "StartDBInstanceAutomatedBackupsReplication"),
    # Logged in the primary's region; the other regions are in the request.
    ("cassandra.amazonaws.com", "CreateKeyspace"),  # replicationSpecification.regionList
    ("cassandra.amazonaws.com", "UpdateKeyspace"),  # regions added to the keyspace
    # Keyspaces has an UpdateTable too (DynamoDB's name is listed): forwarded, and
    # exempt in chalicelib.uncovered (it adds no region).
    ("cassandra.amazonaws.com", "UpdateTable"),
    # Table buckets and tables replicated to other table buckets (ARNs with regions).
    ("s3tables.amazonaws.com", "PutTableBucketReplication"),
    ("s3tables.amazonaws.com", "PutTableReplication"),
)


# global_services() as computed from the pinned botocore, checked in: computing it parses
# every service model (~450 files, seconds), which a Lambda cold start must not do.
# tests/test_global_services.py fails when it drifts (regenerate with write_global()).
GLOBAL_PATH = os.path.join(os.path.dirname(__file__), "global_services.json")


@functools.lru_cache(maxsize=1)
def global_services() -> dict[str, str]:
    """Endpoint prefix -> why (see :func:`compute_global_services`), read from the
    checked-in file; computed when it is missing."""
    try:
        with open(GLOBAL_PATH) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return compute_global_services()


def write_global() -> None:
    with open(GLOBAL_PATH, "w") as handle:
        json.dump(compute_global_services(), handle, indent=1, sort_keys=True)
        handle.write("\n")


def compute_global_services() -> dict[str, str]:
    """Endpoint prefix -> why: botocore's services with ``isRegionalized: false`` or
    only the ``aws-global`` endpoint, that have create-style operations (the others
    cannot match the pattern anyway), plus :data:`_GLOBAL_EXTRA`."""
    import botocore.loaders

    loader = botocore.loaders.create_loader()
    services = loader.load_data("endpoints")["partitions"][0]["services"]
    with_creates = set()
    for name in loader.list_available_services("service-2"):
        model = loader.load_service_model(name, "service-2")
        if any(is_create_style(op) for op in model["operations"]):
            with_creates.add(model["metadata"].get("endpointPrefix", name))
    found = {}
    for name, data in services.items():
        endpoints = [e for e in data.get("endpoints", {}) if "fips" not in e]
        only_global = bool(endpoints) and all(e.startswith("aws-global") for e in endpoints)
        if name in _NOT_GLOBAL or name not in with_creates:
            continue
        if data.get("isRegionalized") is False:
            found[name] = "botocore: isRegionalized false"
        elif only_global:
            found[name] = "botocore: only the aws-global endpoint"
    found.update(_GLOBAL_EXTRA)
    return dict(sorted(found.items()))


_CREATE = re.compile("(?:" + "|".join(CREATE_PREFIXES) + ")(?:[A-Z0-9]|$)")


def is_create_style(event_name: str) -> bool:
    """True for an eventName the pattern forwards by prefix (CreateX, RunInstances...).

    The pattern's ``prefix`` filter is plain text, so it also forwards 'Creates...'-like
    names; the code is stricter: the prefix must end a word."""
    return bool(_CREATE.match(event_name or ""))


def is_global(event_source: str) -> bool:
    """True when the eventSource belongs to a global service (IAM, Organizations...)."""
    return (event_source or "").split(".", 1)[0] in global_services()


def cross_region_sources() -> list[str]:
    return sorted({source for source, _ in CROSS_REGION_CALLS})


def cross_region_names() -> list[str]:
    return sorted({name for _, name in CROSS_REGION_CALLS})


def build(allowed_regions) -> dict:
    """The pattern for these allowed regions (a set of region names).

    The cross-region branch lists sources and names side by side (their cross product
    is matched): tests/test_pattern.py checks against botocore's models that no source
    in it has another source's operation, so the product adds no call."""
    return {
        "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
        "detail": {
            # Failed calls carry errorCode; a missing leaf is matched by exists: false.
            # Some records carry an empty one (Cognito's own events): not a failure.
            "errorCode": [{"exists": False}, ""],
            # Read-only calls say so; a record without the field is kept.
            "readOnly": [False, {"exists": False}],
        },
        "$or": [
            {
                # The envelope's source (aws.iam) is shorter than detail.eventSource
                # (iam.amazonaws.com): it keeps the pattern small with many regions.
                "source": [{"anything-but": ["aws." + s for s in global_services()]}],
                "detail": {
                    "eventName": [{"prefix": p} for p in CREATE_PREFIXES],
                    "awsRegion": [{"anything-but": sorted(allowed_regions)}],
                },
            },
            {
                # The envelope's source again (aws.kms for kms.amazonaws.com): 10
                # characters less per service. events.py refuses an event whose
                # source and eventSource disagree, so the two name the same service.
                "source": sorted({events.expected_source(s) for s in cross_region_sources()}),
                "detail": {"eventName": cross_region_names()},
            },
        ],
    }


def size(pattern: dict) -> int:
    """Characters of the pattern as compact JSON, as EventBridge counts them."""
    return len(json.dumps(pattern, separators=(",", ":")))


def from_env() -> dict:
    """The pattern for the deploy-time settings: MONOCYTE_ALLOWED_REGIONS as
    ``chalice deploy`` sees it (Chalice loads app.py with the stage's environment
    from .chalice/config.json) and as ``monocyte template`` does. A bad value stops
    here with config's own error, as it stops start-up."""
    import os

    from chalicelib import config

    raw = os.environ.get("MONOCYTE_ALLOWED_REGIONS")
    return build(config.EU_REGIONS if raw is None else config.parse_regions(raw))
