"""KMS keys, multi-Region replicas included.

A key is named by its key id, the same for a multi-Region primary and all its
replicas (``mrk-...``): the region of the target says which copy. CreateKey makes a
key where it is called; ReplicateKey, called in the primary's region, makes a replica
in ``ReplicaRegion``. (AWS says it also logs a CreateKey there: when that record
names the key, it is the same copy, found pending deletion the second time.)

A key is never deleted at once: it is disabled (that takes effect immediately, even
if the schedule below were refused), then scheduled for deletion after 7 days, the
shortest wait KMS allows. A key pending deletion is on its way out.

Each copy is deleted in its own region and only there. A replica's deletion leaves
its primary alone; a primary's leaves its replicas alone: KMS keeps the primary in
``PendingReplicaDeletion`` (unusable) until the last replica is gone, so a replica in
an allowed region keeps working and is never touched from here.

AWS managed keys (``KeyManager: AWS``, the ``aws/...`` aliases) belong to AWS, which
creates them on a service's first use in a region and never lets anyone delete them:
the live check treats them as not ours (None), like a key pending deletion.

ListKeys names every key, AWS's own and those pending deletion (for 7 days) too, and
nothing on its page tells them apart. Listed as they are, they would be counted as
kills in the breaker's plan and reported every night. So the listing keeps only the
keys a scan may act on (``keep_key``), at one DescribeKey per key listed; a key it
cannot describe is kept, for the live check to report.
"""
from __future__ import annotations

import jmespath
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

SOURCE = "kms.amazonaws.com"
_GONE = {"PendingDeletion", "PendingReplicaDeletion"}
PENDING_WINDOW_DAYS = 7  # the shortest KMS accepts
_REPLICA = jmespath.compile("detail.responseElements.replicaKeyMetadata.keyId"
                            " || detail.requestParameters.keyId")
_REPLICA_REGION = jmespath.compile("detail.requestParameters.replicaRegion")


def key_id(value: str) -> str:
    """A key id from a key id or a key ARN (ReplicateKey takes both; the ARN names
    the primary's region, not the replica's)."""
    return value.split(":key/", 1)[1] if value.startswith("arn:") and ":key/" in value else value


def replica_created(event: dict) -> list[tuple[str, str]] | None:
    """The replica, in its region; None when the record does not say which or where."""
    found, region = _REPLICA.search(event), _REPLICA_REGION.search(event)
    if not (isinstance(found, str) and found and isinstance(region, str) and region):
        return None
    return [(key_id(found), region)]


def keep_key(client, item: dict) -> bool:
    """Whether a ListKeys item is a key a scan may act on: False for a key AWS
    manages or one on its way out; True when unsure (the live check then says why)."""
    try:
        meta = client.describe_key(KeyId=item["KeyId"])["KeyMetadata"]
    except (ClientError, BotoCoreError):
        return True
    return meta.get("KeyManager") != "AWS" and meta.get("KeyState") not in _GONE


def inspect_key(client, key: str) -> Live | None:
    meta = client.describe_key(KeyId=key)["KeyMetadata"]
    if meta.get("KeyManager") == "AWS" or meta.get("KeyState") in _GONE:
        return None
    here = client.meta.region_name
    config = meta.get("MultiRegionConfiguration") or {}
    primary = (config.get("PrimaryKey") or {}).get("Region")
    replicas = [r["Region"] for r in config.get("ReplicaKeys", [])
                if r.get("Region") != here] if primary == here else []
    return Live(created=utc_iso(meta.get("CreationDate")),
                facts={"state": meta.get("KeyState"), "replicas": sorted(replicas)})


def delete_key(client, key: str, live: Live, force: bool) -> list[str]:
    notes = []
    # Only an enabled key can be disabled (a replica still Creating, a key waiting
    # for imported material cannot): the schedule alone makes those unusable.
    if live.facts.get("state") == "Enabled":
        client.disable_key(KeyId=key)
        notes.append("disabled")
    client.schedule_key_deletion(KeyId=key, PendingWindowInDays=PENDING_WINDOW_DAYS)
    notes.append(f"deletion scheduled in {PENDING_WINDOW_DAYS} days (the shortest wait)")
    if live.facts.get("replicas"):
        notes.append(f"its replicas in {', '.join(live.facts['replicas'])} are not touched: "
                     "KMS deletes the primary after the last of them")
    return notes


TYPES = (
    ResourceType(
        cfn_type="AWS::KMS::Key",
        service="kms",
        events=(
            CreateEvent(SOURCE, "CreateKey", "detail.responseElements.keyMetadata.keyId"),
            CreateEvent(SOURCE, "ReplicateKey", _REPLICA.expression, place=replica_created),
        ),
        inspect=inspect_key,
        delete=delete_key,
        listing=Listing("list_keys", "Keys[]", "KeyId", keep=keep_key),
        actions=("kms:ListKeys", "kms:DescribeKey", "kms:DisableKey",
                 "kms:ScheduleKeyDeletion"),
        not_found=("NotFoundException",),
        # A replica still Creating, or a key being updated (UpdatePrimaryRegion).
        not_ready=("KMSInvalidStateException",),
    ),
)
