"""EC2 import tasks: a disk image or snapshot brought in from S3 (ImportImage,
ImportSnapshot), a copy of data that lands where the call is made.

The call answers at once with an import task id (``import-ami-…``,
``import-snap-…``); the AMI or the EBS snapshot appears only when the task
completes, minutes to hours later. So the target is the task, and its kill depends
on how far it got:

- still active: the task is cancelled (CancelImportTask); AWS discards what it
  had converted so far, so nothing of the copy stays;
- completed: what it made is killed, the AMI (deregistered, with its snapshots,
  as ``ec2_images`` kills an AMI) or the snapshot;
- cancelled, failed or on its way out: gone, nothing to do.

The S3 object it reads from (``requestParameters``' userBucket, perhaps an EU
bucket) is never read as a target.

The nightly scan lists the *active* tasks only. A completed task's AMI or snapshot
is already listed as AWS::EC2::Image or AWS::EC2::Snapshot: listing the task too
would delete it twice and count it twice in the breaker's plan. An active one is
listed because its import can run for hours, and a missed event would otherwise
let the copy land before the scan sees it. DescribeImport*Tasks shows the tasks of
the last seven days, so the listing stays one small call per region.
"""
from __future__ import annotations

from chalicelib.errors import AwsError, NotFound, aws_errors
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, tag_dict
from chalicelib.resources import ec2_images

SOURCE = "ec2.amazonaws.com"
# An unknown import task id: EC2 answers with the conversion-task codes.
TASK_NOT_FOUND = ("InvalidConversionTaskId", "InvalidConversionTaskId.Malformed")
# States of a task that made nothing and will not (cancelled, failed, going).
_ENDED = {"deleting", "deleted", "error"}
ACTIVE = "active"


def _task_state(client, status: str | None, made: str | None, kind: str,
                tags: dict) -> Live | None:
    """The Live of a task in ``status`` that made ``made`` (an AMI or snapshot id)."""
    status = (status or "").lower()
    if status == "completed":
        if not made:
            return None
        inspect = ec2_images.inspect_image if kind == "image" else ec2_images.inspect_snapshot
        result = inspect(client, made)
        if result is None:
            return None  # its AMI or snapshot is gone already
        return Live(protected=result.protected, created=result.created, tags=tags,
                    facts={**result.facts, "state": status, "made": made, "kind": kind})
    if status in _ENDED:
        return None
    return Live(tags=tags, facts={"state": status or ACTIVE, "kind": kind})


def inspect_image_task(client, task_id: str) -> Live | None:
    tasks = client.describe_import_image_tasks(ImportTaskIds=[task_id])["ImportImageTasks"]
    if not tasks:
        return None
    task = tasks[0]
    return _task_state(client, task.get("Status"), task.get("ImageId"), "image",
                       tag_dict(task.get("Tags")))


def inspect_snapshot_task(client, task_id: str) -> Live | None:
    tasks = client.describe_import_snapshot_tasks(
        ImportTaskIds=[task_id])["ImportSnapshotTasks"]
    if not tasks:
        return None
    detail = tasks[0].get("SnapshotTaskDetail") or {}
    return _task_state(client, detail.get("Status"), detail.get("SnapshotId"), "snapshot",
                       tag_dict(tasks[0].get("Tags")))


def delete_task(client, task_id: str, live: Live, force: bool) -> list[str]:
    made = live.facts.get("made")
    if not made:
        return _cancel(client, task_id, live, force)
    if live.facts["kind"] == "image":
        notes = ec2_images.delete_image(client, made, live, force)
        return [f"deregistered the imported AMI {made}"] + notes
    ec2_images.delete_snapshot(client, made, live, force)
    return [f"deleted the imported EBS snapshot {made}"]


def _cancel(client, task_id: str, live: Live, force: bool) -> list[str]:
    try:
        with aws_errors(not_found=TASK_NOT_FOUND):
            client.cancel_import_task(ImportTaskId=task_id,
                                      CancelReason="Monocyte: import outside the allowed regions")
    except NotFound:
        raise
    except AwsError:
        # EC2 refuses to cancel a task that is no longer active: it may have
        # completed since the live check. Then its result is what is killed.
        inspect = inspect_image_task if live.facts["kind"] == "image" else inspect_snapshot_task
        with aws_errors(not_found=TASK_NOT_FOUND):
            now = inspect(client, task_id)
        if now is None:
            raise NotFound(f"import task {task_id} ended before it could be cancelled") from None
        if now.facts.get("made"):
            return delete_task(client, task_id, now, force)
        raise
    return ["import task cancelled before it made anything"]


def _active(client, item: dict) -> bool:
    """A listed task still importing (the scan's only concern, see above)."""
    status = item.get("Status") or (item.get("SnapshotTaskDetail") or {}).get("Status")
    return str(status or "").lower() == ACTIVE


# What killing the result takes: an AMI's kill (ec2_images) and a snapshot's.
_IMAGE_ACTIONS = ("ec2:DescribeImages", "ec2:DeregisterImage", "ec2:DeleteSnapshot",
                  "ec2:DisableImageDeregistrationProtection")
_SNAPSHOT_ACTIONS = ("ec2:DescribeSnapshots", "ec2:DeleteSnapshot")

TYPES = (
    ResourceType(
        cfn_type="AWS::EC2::ImportImageTask",
        service="ec2",
        events=(CreateEvent(SOURCE, "ImportImage", "detail.responseElements.importTaskId"),),
        inspect=inspect_image_task,
        delete=delete_task,
        listing=Listing("describe_import_image_tasks", "ImportImageTasks[]", "ImportTaskId",
                        keep=_active),
        actions=("ec2:DescribeImportImageTasks", "ec2:CancelImportTask") + _IMAGE_ACTIONS,
        not_found=TASK_NOT_FOUND + ec2_images.IMAGE_NOT_FOUND + ec2_images.SNAPSHOT_NOT_FOUND,
        not_ready=ec2_images.SNAPSHOT_NOT_READY,
    ),
    ResourceType(
        cfn_type="AWS::EC2::ImportSnapshotTask",
        service="ec2",
        events=(CreateEvent(SOURCE, "ImportSnapshot",
                            "detail.responseElements.importTaskId"),),
        inspect=inspect_snapshot_task,
        delete=delete_task,
        listing=Listing("describe_import_snapshot_tasks", "ImportSnapshotTasks[]",
                        "ImportTaskId", keep=_active),
        actions=("ec2:DescribeImportSnapshotTasks", "ec2:CancelImportTask")
        + _SNAPSHOT_ACTIONS,
        not_found=TASK_NOT_FOUND + ec2_images.SNAPSHOT_NOT_FOUND,
        # A completed import's snapshot registered as an AMI meanwhile: deferred; the
        # AMI's own kill (RegisterImage) deletes it.
        not_ready=ec2_images.SNAPSHOT_NOT_READY,
    ),
)
