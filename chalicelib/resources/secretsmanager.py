"""Secrets Manager secrets, and their replicas in other regions.

Ids. A secret is named by its name, which is also the name of each of its replicas:
(name, region) is the copy in that region, a primary or a replica. DescribeSecret,
DeleteSecret and RemoveRegionsFromReplication all take the name, and ListSecrets
shows each copy in its own region under it (a replica with ``PrimaryRegion`` set),
so the event path and the scan name a copy alike. (The ARN would say the same with
the region in it, but a replica's ARN is not in the record that creates it.)

Creates. CreateSecret makes the primary where it is called and, with
``AddReplicaRegions``, a replica in each listed region; ReplicateSecretToRegions adds
replicas to an existing secret (the primary is not new and is not a target).

Deletes. A replica is removed through its primary (RemoveRegionsFromReplication,
called in the primary's region): the primary, wherever it lives, is kept. A primary
is deleted (DeleteSecret, no recovery window) only once no replica is left: AWS
refuses it before, and removing the replicas here would delete copies that may
live in allowed regions, which this module cannot judge. Every replica is a target
of its own, judged in its own region: a forbidden one is removed by its own target
(placed before the primary in an event), an allowed one is kept, and a primary kept
by it is reported as deferred, never deleted with it.
"""
from __future__ import annotations

import re

import jmespath

from chalicelib.errors import NotReady
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

SOURCE = "secretsmanager.amazonaws.com"
_CREATED = jmespath.compile("detail.requestParameters.name || detail.responseElements.aRN")
_REPLICATED = jmespath.compile("detail.responseElements.aRN"
                               " || detail.requestParameters.secretId")
_REPLICA_REGIONS = jmespath.compile("detail.requestParameters.addReplicaRegions[].region")
_REGION = jmespath.compile("detail.awsRegion")
# arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX (six random characters)
_ARN = re.compile(r"arn:[\w-]+:secretsmanager:[\w-]*:\d*:secret:(?P<name>.+)-[A-Za-z0-9]{6}")


def secret_name(value) -> str | None:
    """The secret's name from its name or its full ARN."""
    if not isinstance(value, str) or not value:
        return None
    match = _ARN.fullmatch(value)
    return match.group("name") if match else value


def _replicas(event: dict, name: str) -> list[tuple[str, str]]:
    regions = _REPLICA_REGIONS.search(event) or []
    return [(name, r) for r in regions if isinstance(r, str) and r]


def created_by_create(event: dict) -> list[tuple[str, str]] | None:
    """The replicas first, then the primary: in the event path a forbidden replica
    is removed before its primary is looked at, so a primary left with none goes.
    None when the record names no secret."""
    name = secret_name(_CREATED.search(event))
    return _replicas(event, name) + [(name, _REGION.search(event))] if name else None


def created_by_replicate(event: dict) -> list[tuple[str, str]] | None:
    name = secret_name(_REPLICATED.search(event))
    return _replicas(event, name) if name else None


def inspect_secret(client, name: str) -> Live | None:
    secret = client.describe_secret(SecretId=name)
    if secret.get("DeletedDate"):
        return None  # scheduled for deletion already
    if secret.get("OwningService"):
        # Managed by another service (an RDS master password): it goes with the
        # resource that owns it, and Secrets Manager will not delete it alone.
        return None
    here = client.meta.region_name
    created = utc_iso(secret.get("CreatedDate"))
    primary = secret.get("PrimaryRegion")
    if primary and primary != here:
        # A replica: removed through its primary, in the primary's region.
        return Live(created=created, delete_region=primary, facts={"replica_in": here})
    replicas = {r["Region"]: r.get("Status") for r in secret.get("ReplicationStatus", [])}
    # A primary whose copy lives in an allowed region is kept (the reaper spares it).
    return Live(created=created, facts={"replicas": replicas},
                also_in=tuple(sorted(r for r, status in replicas.items() if status != "Failed")))


def delete_secret(client, name: str, live: Live, force: bool) -> list[str]:
    if "replica_in" in live.facts:
        # ``client`` is in the primary's region (Live.delete_region).
        client.remove_regions_from_replication(SecretId=name,
                                               RemoveReplicaRegions=[live.facts["replica_in"]])
        return [f"replica removed through its primary in {live.delete_region}"]
    replicas = live.facts["replicas"]
    # A replication that failed (a secret of that name was already there) made no
    # copy: it does not hold the primary, and dropping it deletes nothing.
    failed = sorted(r for r, status in replicas.items() if status == "Failed")
    kept = sorted(r for r in replicas if r not in failed)
    if kept:
        raise NotReady(f"primary secret {name} still has replicas in {', '.join(kept)}; "
                       "each is judged in its own region (a forbidden one is removed, an "
                       "allowed one kept) and the primary goes once none is left")
    notes = []
    if failed:
        client.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=failed)
        notes.append(f"failed replications to {', '.join(failed)} dropped")
    # No recovery window: a secret kept for 7 to 30 days is still in the region.
    client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    return notes + ["deleted without a recovery window"]


TYPES = (
    ResourceType(
        cfn_type="AWS::SecretsManager::Secret",
        service="secretsmanager",
        events=(
            CreateEvent(SOURCE, "CreateSecret", _CREATED.expression,
                        place=created_by_create),
            CreateEvent(SOURCE, "ReplicateSecretToRegions", _REPLICATED.expression,
                        place=created_by_replicate),
        ),
        inspect=inspect_secret,
        delete=delete_secret,
        # Replicas are listed in their own region (with PrimaryRegion); secrets owned
        # by another service go with their owner.
        listing=Listing("list_secrets", "SecretList[?!OwningService]", "Name",
                        created="CreatedDate"),
        actions=("secretsmanager:ListSecrets", "secretsmanager:DescribeSecret",
                 "secretsmanager:RemoveRegionsFromReplication",
                 "secretsmanager:DeleteSecret"),
        not_found=("ResourceNotFoundException",),
    ),
)
