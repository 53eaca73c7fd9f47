"""EBS snapshots and AMIs: the EC2 resources that are nothing but stored data.

CloudFormation defines no type for either, so these two follow its naming scheme
without being CloudFormation types: ``AWS::EC2::Snapshot`` and ``AWS::EC2::Image``.

A copy lives where the copy call was made: CopySnapshot and CopyImage are sent to the
destination region's endpoint, so CloudTrail logs them there (``awsRegion``) and
names the copy in ``responseElements``; the source (``requestParameters.source*``,
in ``sourceRegion``) is never a target.

An AMI's data is in its EBS snapshots, so killing an AMI deregisters it and then
deletes the snapshots its block device mappings name. A snapshot that backs a
registered AMI refuses deletion (InvalidSnapshot.InUse): deferred, it goes with its
AMI's kill. Only what the account owns is listed, never public or shared images.
What no kill can undo: a Recycle Bin retention rule keeps deleted snapshots and
deregistered AMIs for its retention period; one restored from the bin is killed again.
"""
from __future__ import annotations

from chalicelib.errors import NotFound, NotReady, Protected, aws_errors
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

SOURCE = "ec2.amazonaws.com"
SNAPSHOT_NOT_FOUND = ("InvalidSnapshot.NotFound", "InvalidSnapshotID.Malformed")
# In use by a registered AMI; or not in a state that can be deleted yet.
SNAPSHOT_NOT_READY = ("InvalidSnapshot.InUse", "IncorrectState")
IMAGE_NOT_FOUND = ("InvalidAMIID.NotFound", "InvalidAMIID.Malformed")


def inspect_snapshot(client, snapshot_id: str) -> Live | None:
    found = client.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    if not found:
        return None
    return Live(created=utc_iso(found[0].get("StartTime")))


def delete_snapshot(client, snapshot_id: str, live: Live, force: bool) -> list[str]:
    client.delete_snapshot(SnapshotId=snapshot_id)
    return []


def _protection(image: dict) -> str:
    """DescribeImages says ``disabled``, ``enabled-with-cooldown``,
    ``enabled-without-cooldown``, or ``disabled-until-<time>`` during a cooldown."""
    return str(image.get("DeregistrationProtection") or "disabled")


def inspect_image(client, image_id: str) -> Live | None:
    # A disabled AMI still holds its snapshots; DescribeImages hides it unless asked.
    found = client.describe_images(ImageIds=[image_id], IncludeDisabled=True)["Images"]
    if not found or found[0].get("State") == "deregistered":
        return None
    image = found[0]
    snapshots = [m["Ebs"]["SnapshotId"] for m in image.get("BlockDeviceMappings", [])
                 if m.get("Ebs", {}).get("SnapshotId")]
    return Live(protected=_protection(image).startswith("enabled"),
                created=utc_iso(image.get("CreationDate")),
                facts={"snapshots": snapshots, "protection": _protection(image)})


def delete_image(client, image_id: str, live: Live, force: bool) -> list[str]:
    # A pending AMI is deregistered too: that is how AWS stops a copy in progress.
    notes = []
    if live.facts.get("protection", "").startswith("disabled-until"):
        raise NotReady(f"AMI {image_id} is in its deregistration-protection cooldown "
                       f"({live.facts['protection']})", "cooldown", "DeregisterImage")
    if live.protected:
        if not force:
            raise Protected(f"AMI {image_id} has deregistration protection")
        client.disable_image_deregistration_protection(ImageId=image_id)
        notes.append("deregistration protection disabled")
        if live.facts["protection"] == "enabled-with-cooldown":
            # Protected 24 more hours: the nightly scan deregisters it after that.
            raise NotReady(f"AMI {image_id}: protection disabled, deregistration possible "
                           "after its 24-hour cooldown", "cooldown", "DeregisterImage")
    client.deregister_image(ImageId=image_id)
    return notes + _delete_own_snapshots(client, live.facts.get("snapshots", []))


def _delete_own_snapshots(client, snapshot_ids: list[str]) -> list[str]:
    """The AMI's snapshots, now that it no longer holds them. One still in use (by
    another AMI) or not deletable yet is left: the nightly scan lists it on its own."""
    deleted, kept = 0, []
    for snapshot_id in snapshot_ids:
        try:
            with aws_errors(not_found=SNAPSHOT_NOT_FOUND, not_ready=SNAPSHOT_NOT_READY):
                client.delete_snapshot(SnapshotId=snapshot_id)
            deleted += 1
        except NotFound:
            pass
        except NotReady:
            kept.append(snapshot_id)
    notes = []
    if deleted:
        notes.append(f"deleted its {deleted} EBS snapshot{'s' if deleted > 1 else ''}")
    if kept:
        notes.append(f"kept {', '.join(kept)} (in use elsewhere or not ready): "
                     "left to the scan")
    return notes


TYPES = (
    ResourceType(
        cfn_type="AWS::EC2::Snapshot",
        service="ec2",
        events=(
            CreateEvent(SOURCE, "CreateSnapshot", "detail.responseElements.snapshotId"),
            # The copy, made in awsRegion; requestParameters name the source.
            CreateEvent(SOURCE, "CopySnapshot", "detail.responseElements.snapshotId"),
            # One snapshot per volume of an instance (multi-volume, crash-consistent).
            CreateEvent(SOURCE, "CreateSnapshots",
                        "detail.responseElements.snapshotSet.items[].snapshotId"),
            # Back from the Recycle Bin (see RestoreImageFromRecycleBin).
            CreateEvent(SOURCE, "RestoreSnapshotFromRecycleBin",
                        "detail.responseElements.snapshotId"
                        " || detail.requestParameters.snapshotId"),
        ),
        inspect=inspect_snapshot,
        delete=delete_snapshot,
        # Only the account's own: public and shared snapshots are not ours to delete.
        listing=Listing("describe_snapshots", "Snapshots[]", "SnapshotId",
                        created="StartTime", params={"OwnerIds": ["self"]}),
        actions=("ec2:DescribeSnapshots", "ec2:DeleteSnapshot"),
        not_found=SNAPSHOT_NOT_FOUND,
        # Backing an AMI: deferred; the AMI's kill deletes it.
        not_ready=SNAPSHOT_NOT_READY,
    ),
    ResourceType(
        cfn_type="AWS::EC2::Image",
        service="ec2",
        events=(
            CreateEvent(SOURCE, "CreateImage", "detail.responseElements.imageId"),
            # The copy, made in awsRegion; requestParameters name the source.
            CreateEvent(SOURCE, "CopyImage", "detail.responseElements.imageId"),
            CreateEvent(SOURCE, "RegisterImage", "detail.responseElements.imageId"),
            # An AMI restored from an S3 object (CreateStoreImageTask's): pending while
            # restoring, and a pending AMI is deregistered like any; the bucket is
            # never a target.
            CreateEvent(SOURCE, "CreateRestoreImageTask", "detail.responseElements.imageId"),
            # Back from the Recycle Bin, where a kill's deregistration left it for the
            # bin's retention: the same AMI again, killed again.
            CreateEvent(SOURCE, "RestoreImageFromRecycleBin", "detail.requestParameters.imageId"),
        ),
        inspect=inspect_image,
        delete=delete_image,
        # Only the account's own: never public, shared or AWS-provided AMIs.
        listing=Listing("describe_images", "Images[]", "ImageId", created="CreationDate",
                        params={"Owners": ["self"], "IncludeDisabled": True}),
        actions=("ec2:DescribeImages", "ec2:DeregisterImage", "ec2:DeleteSnapshot",
                 "ec2:DisableImageDeregistrationProtection"),
        not_found=IMAGE_NOT_FOUND,
    ),
)
