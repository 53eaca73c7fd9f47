"""EC2 imports (ImportImage, ImportSnapshot), AMIs restored from S3
(CreateRestoreImageTask) and FPGA images (CopyFpgaImage, CreateFpgaImage): copies of
data that land where the call is made (issue 13).

moto implements none of the import, restore or FPGA calls: botocore's Stubber plays
EC2 with the real response shapes, through the reaper's own decision. The AMI
restored from S3 is an ordinary AMI, killed in moto. The S3 object an import or a
restore reads from, and the AFI a copy comes from, are never targets: the stubbed
client answers EC2 only, so any other call would fail the test.
"""
from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import reaper, scan
from chalicelib.config import Settings
from chalicelib.events import Target
from conftest import OneClient, load_event
from kinds import KINDS, PAGES

US, EU = "us-east-1", "eu-central-1"
ACCOUNT = "123456789012"
KILL = Settings(dry_run=False)
IMAGE_TASK, SNAPSHOT_TASK = "import-ami-0b6c2d4e8f1a3c5e7", "import-snap-0e3f5a7c9b1d2e4f6"
AMI, SNAPSHOT = "ami-0c1d2e3f4a5b69788", "snap-0a1b2c3d4e5f60718"
BUCKET = "orders-vm-export-eu"
_, image_exists = KINDS["AWS::EC2::Image"]
create_image, _ = KINDS["AWS::EC2::Image"]


def _in(name: str, region: str) -> dict:
    """A recorded event, logged in ``region`` instead."""
    event = load_event(name)
    event["region"] = event["detail"]["awsRegion"] = region
    return event


def _image_task(status: str, image: str | None = None, message: str = "") -> dict:
    task = {"ImportTaskId": IMAGE_TASK, "Description": "orders-db server from the EU export",
            "Progress": "28", "Status": status, "StatusMessage": message,
            "LicenseType": "BYOL", "Tags": [{"Key": "team", "Value": "orders"}],
            "SnapshotDetails": [{"DiskImageSize": 705638400.0, "Format": "VMDK",
                                 "UserBucket": {"S3Bucket": BUCKET,
                                                "S3Key": "exports/orders-db.vmdk"}}]}
    if image:
        task.update(ImageId=image, Progress="100")
    return {"ImportImageTasks": [task]}


def _snapshot_task(status: str, snapshot: str | None = None) -> dict:
    detail = {"DiskImageSize": 1073741824.0, "Format": "VHD", "Progress": "41",
              "Status": status, "StatusMessage": "downloading/converting",
              "UserBucket": {"S3Bucket": BUCKET, "S3Key": "exports/orders-data.vhd"}}
    if snapshot:
        detail.update(SnapshotId=snapshot, Progress="100", StatusMessage="")
    return {"ImportSnapshotTasks": [{"ImportTaskId": SNAPSHOT_TASK,
                                     "Description": "orders data disk",
                                     "SnapshotTaskDetail": detail}]}


def _image(protection: str = "disabled") -> dict:
    return {"Images": [{
        "ImageId": AMI, "Name": "import-ami-0b6c2d4e8f1a3c5e7", "State": "available",
        "OwnerId": ACCOUNT, "CreationDate": "2026-12-01T09:02:11.000Z",
        "DeregistrationProtection": protection,
        "BlockDeviceMappings": [{"DeviceName": "/dev/sda1",
                                 "Ebs": {"SnapshotId": SNAPSHOT, "VolumeSize": 8}}]}]}


def _cancelled(task: str) -> dict:
    return {"ImportTaskId": task, "PreviousState": "active", "State": "deleting"}


CANCEL = "Monocyte: import outside the allowed regions"


def _reap(event: dict, answers: list[tuple[str, dict, dict | None]],
          settings: Settings = KILL, region: str = US):
    ec2 = boto3.client("ec2", region)
    with Stubber(ec2) as stub:
        for method, response, params in answers:
            stub.add_response(method, response, params)
        outcomes = reaper.reap(event, settings, OneClient(ec2))
        stub.assert_no_pending_responses()
    return outcomes


# -- the recorded events name the copy (the task), never its source ------------------

RECORDED = [
    ("ec2.ImportImage", "AWS::EC2::ImportImageTask", IMAGE_TASK, BUCKET),
    ("ec2.ImportSnapshot", "AWS::EC2::ImportSnapshotTask", SNAPSHOT_TASK, BUCKET),
    ("ec2.CreateRestoreImageTask", "AWS::EC2::Image", "ami-0a9b8c7d6e5f40312",
     "ami-archive-eu"),
    ("ec2.CopyFpgaImage", "AWS::EC2::FpgaImage", "afi-0f9e8d7c6b5a43210",
     "afi-0d1e2f3a4b5c69780"),
    ("ec2.CreateFpgaImage", "AWS::EC2::FpgaImage", "afi-0a1b2c3d4e5f60789",
     "fpga-designs-us"),
]


@pytest.mark.parametrize("name, cfn_type, copy, source", RECORDED, ids=[r[0] for r in RECORDED])
def test_a_recorded_event_targets_only_the_copy_where_it_lands(name, cfn_type, copy, source):
    verdict = reaper.explain(load_event(name), Settings())
    assert [(t["type"], t["id"], t["region"], t["decision"]) for t in verdict["targets"]] == [
        (cfn_type, copy, US, "kill")]
    assert source not in str(verdict["targets"])


@pytest.mark.parametrize("name", [r[0] for r in RECORDED])
def test_the_same_copy_landing_in_the_eu_is_spared_without_a_call(name):
    # The source may be anywhere (an AFI copied from us-west-2, a bucket outside the
    # EU): only where the copy lands counts. No stubbed answer: no AWS call.
    [outcome] = _reap(_in(name, EU), [], region=EU)
    assert (outcome.action, outcome.region) == (reaper.SPARED, EU)


# -- ImportImage -----------------------------------------------------------------------

def test_an_active_image_import_outside_the_eu_is_cancelled():
    [outcome] = _reap(load_event("ec2.ImportImage"), [
        ("describe_import_image_tasks", _image_task("active", message="converting"),
         {"ImportTaskIds": [IMAGE_TASK]}),
        ("cancel_import_task", _cancelled(IMAGE_TASK),
         {"ImportTaskId": IMAGE_TASK, "CancelReason": CANCEL})])
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, IMAGE_TASK, US)
    assert outcome.notes == ["import task cancelled before it made anything"]


def test_a_completed_image_import_loses_its_ami_and_the_ami_s_snapshot():
    [outcome] = _reap(load_event("ec2.ImportImage"), [
        ("describe_import_image_tasks", _image_task("completed", image=AMI),
         {"ImportTaskIds": [IMAGE_TASK]}),
        ("describe_images", _image(), {"ImageIds": [AMI], "IncludeDisabled": True}),
        ("deregister_image", {"Return": True}, {"ImageId": AMI}),
        ("delete_snapshot", {}, {"SnapshotId": SNAPSHOT})])
    assert outcome.action == reaper.KILLED
    assert outcome.notes == [f"deregistered the imported AMI {AMI}",
                             "deleted its 1 EBS snapshot"]


def test_a_protected_imported_ami_without_force_is_spared():
    [outcome] = _reap(load_event("ec2.ImportImage"), [
        ("describe_import_image_tasks", _image_task("completed", image=AMI),
         {"ImportTaskIds": [IMAGE_TASK]}),
        ("describe_images", _image("enabled-without-cooldown"),
         {"ImageIds": [AMI], "IncludeDisabled": True})], settings=Settings(dry_run=False,
                                                                           force=False))
    assert outcome.action == reaper.SPARED
    assert "MONOCYTE_FORCE is off" in outcome.reason


@pytest.mark.parametrize("status", ["deleting", "deleted"])
def test_a_cancelled_or_failed_image_import_is_gone(status):
    [outcome] = _reap(load_event("ec2.ImportImage"), [
        ("describe_import_image_tasks",
         _image_task(status, message="ClientError: No valid partitions."),
         {"ImportTaskIds": [IMAGE_TASK]})])
    assert outcome.action == reaper.GONE


def test_a_completed_import_whose_ami_is_already_gone_is_gone():
    [outcome] = _reap(load_event("ec2.ImportImage"), [
        ("describe_import_image_tasks", _image_task("completed", image=AMI),
         {"ImportTaskIds": [IMAGE_TASK]}),
        ("describe_images", {"Images": []}, {"ImageIds": [AMI], "IncludeDisabled": True})])
    assert outcome.action == reaper.GONE


def test_an_unknown_import_task_is_gone_not_a_failure():
    ec2 = boto3.client("ec2", US)
    with Stubber(ec2) as stub:
        stub.add_client_error("describe_import_image_tasks", "InvalidConversionTaskId.Malformed",
                              "The conversion task ID is malformed", 400)
        outcome = reaper.handle(Target("AWS::EC2::ImportImageTask", IMAGE_TASK, US, ACCOUNT),
                                KILL, OneClient(ec2))
    assert outcome.action == reaper.GONE


def test_in_dry_run_an_active_import_would_be_cancelled_and_is_not():
    [outcome] = _reap(load_event("ec2.ImportImage"), [
        ("describe_import_image_tasks", _image_task("active"),
         {"ImportTaskIds": [IMAGE_TASK]})], settings=Settings(dry_run=True))
    assert outcome.action == reaper.WOULD_KILL


# -- ImportSnapshot --------------------------------------------------------------------

def test_an_active_snapshot_import_outside_the_eu_is_cancelled():
    [outcome] = _reap(load_event("ec2.ImportSnapshot"), [
        ("describe_import_snapshot_tasks", _snapshot_task("active"),
         {"ImportTaskIds": [SNAPSHOT_TASK]}),
        ("cancel_import_task", _cancelled(SNAPSHOT_TASK),
         {"ImportTaskId": SNAPSHOT_TASK, "CancelReason": CANCEL})])
    assert (outcome.action, outcome.id) == (reaper.KILLED, SNAPSHOT_TASK)


def test_a_completed_snapshot_import_loses_its_snapshot():
    [outcome] = _reap(load_event("ec2.ImportSnapshot"), [
        ("describe_import_snapshot_tasks", _snapshot_task("completed", SNAPSHOT),
         {"ImportTaskIds": [SNAPSHOT_TASK]}),
        ("describe_snapshots", {"Snapshots": [{
            "SnapshotId": SNAPSHOT, "VolumeId": "vol-ffffffff", "State": "completed",
            "StartTime": "2026-12-01T09:10:00Z", "Progress": "100%", "OwnerId": ACCOUNT,
            "VolumeSize": 1, "Encrypted": False}]}, {"SnapshotIds": [SNAPSHOT]}),
        ("delete_snapshot", {}, {"SnapshotId": SNAPSHOT})])
    assert outcome.action == reaper.KILLED
    assert outcome.notes == [f"deleted the imported EBS snapshot {SNAPSHOT}"]


def test_an_imported_snapshot_already_registered_as_an_ami_is_deferred():
    ec2 = boto3.client("ec2", US)
    with Stubber(ec2) as stub:
        stub.add_response("describe_import_snapshot_tasks", _snapshot_task("completed", SNAPSHOT),
                          {"ImportTaskIds": [SNAPSHOT_TASK]})
        stub.add_response("describe_snapshots", {"Snapshots": [{
            "SnapshotId": SNAPSHOT, "State": "completed", "OwnerId": ACCOUNT,
            "StartTime": "2026-12-01T09:10:00Z"}]}, {"SnapshotIds": [SNAPSHOT]})
        stub.add_client_error("delete_snapshot", "InvalidSnapshot.InUse",
                              f"The snapshot {SNAPSHOT} is currently in use by {AMI}", 400)
        [outcome] = reaper.reap(load_event("ec2.ImportSnapshot"), KILL, OneClient(ec2))
        stub.assert_no_pending_responses()
    # The AMI's own kill (RegisterImage) takes the snapshot with it.
    assert outcome.action == reaper.DEFERRED


# -- the nightly scan lists only active imports -----------------------------------------

@pytest.mark.parametrize("cfn_type, page, done", [
    ("AWS::EC2::ImportImageTask", "ImportImageTasks",
     lambda item: dict(item, Status="completed", ImageId=AMI)),
    ("AWS::EC2::ImportSnapshotTask", "ImportSnapshotTasks",
     lambda item: dict(item, SnapshotTaskDetail=dict(item["SnapshotTaskDetail"],
                                                     Status="completed",
                                                     SnapshotId=SNAPSHOT))),
])
def test_the_scan_lists_active_imports_and_leaves_completed_ones_to_their_result(
        cfn_type, page, done):
    active = PAGES[cfn_type]("import-active")
    completed = done(PAGES[cfn_type]("import-done")[page][0])
    cancelled = dict(completed, Status="deleted") if "Status" in completed else dict(
        completed, SnapshotTaskDetail=dict(completed["SnapshotTaskDetail"], Status="deleted"))
    ec2 = boto3.client("ec2", US)
    with Stubber(ec2) as stub:
        stub.add_response(f"describe_{'import_image' if 'Image' in cfn_type else 'import_snapshot'}"
                          "_tasks", {page: active[page] + [completed, cancelled]})
        found = scan.list_unit(scan.Unit(ACCOUNT, US, cfn_type), {US}, OneClient(ec2),
                               Settings(), scan._Counter())
    # The completed import's AMI or snapshot is listed under its own type.
    assert [t.id for t in found] == ["import-active"]


# -- CreateRestoreImageTask: an ordinary AMI, killed in moto -----------------------------

def test_an_ami_restored_from_an_eu_bucket_outside_the_eu_is_killed_the_bucket_kept(
        aws, trail, kill_settings, clients):
    s3 = boto3.client("s3", EU)
    s3.create_bucket(Bucket="ami-archive-eu", CreateBucketConfiguration={"LocationConstraint": EU})
    s3.put_object(Bucket="ami-archive-eu", Key="ami-0e1f2a3b4c5d60718.bin", Body=b"ami")
    restored = create_image(trail, US)  # moto has no CreateRestoreImageTask: the AMI it makes
    event = load_event("ec2.CreateRestoreImageTask")
    event["detail"]["responseElements"]["imageId"] = restored
    [outcome] = reaper.reap(event, kill_settings, clients)
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, restored, US)
    assert not image_exists(US, restored)
    assert s3.head_object(Bucket="ami-archive-eu", Key="ami-0e1f2a3b4c5d60718.bin")


def test_an_ami_restored_in_the_eu_is_spared(aws, trail, kill_settings, clients):
    restored = create_image(trail, EU)
    event = _in("ec2.CreateRestoreImageTask", EU)
    event["detail"]["responseElements"]["imageId"] = restored
    [outcome] = reaper.reap(event, kill_settings, clients)
    assert (outcome.action, outcome.region) == (reaper.SPARED, EU)
    assert image_exists(EU, restored)


# -- FPGA images ---------------------------------------------------------------------------

def _afi(afi: str, state: str = "available") -> dict:
    return {"FpgaImages": [{
        "FpgaImageId": afi, "FpgaImageGlobalId": "agfi-0f9e8d7c6b5a43210",
        "Name": "video-codec-afi-us", "ShellVersion": "0x04261818",
        "State": {"Code": state}, "CreateTime": "2026-12-01T08:36:57Z",
        "UpdateTime": "2026-12-01T08:36:57Z", "OwnerId": ACCOUNT, "Public": False,
        "Tags": [{"Key": "team", "Value": "video"}]}]}


@pytest.mark.parametrize("name, afi", [("ec2.CopyFpgaImage", "afi-0f9e8d7c6b5a43210"),
                                       ("ec2.CreateFpgaImage", "afi-0a1b2c3d4e5f60789")])
def test_an_fpga_image_outside_the_eu_is_deleted_its_eu_source_untouched(name, afi):
    [outcome] = _reap(load_event(name), [
        ("describe_fpga_images", _afi(afi), {"FpgaImageIds": [afi]}),
        ("delete_fpga_image", {"Return": True}, {"FpgaImageId": afi})])
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, afi, US)


def test_an_fpga_image_already_deleted_is_gone():
    afi = "afi-0f9e8d7c6b5a43210"
    ec2 = boto3.client("ec2", US)
    with Stubber(ec2) as stub:
        stub.add_client_error("describe_fpga_images", "InvalidFpgaImageID.NotFound",
                              f"Image ID '{afi}' not found.", 400)
        [outcome] = reaper.reap(load_event("ec2.CopyFpgaImage"), KILL, OneClient(ec2))
    assert outcome.action == reaper.GONE


def test_an_import_that_completes_before_its_cancel_loses_what_it_made():
    ec2 = boto3.client("ec2", US)
    with Stubber(ec2) as stub:
        stub.add_response("describe_import_image_tasks", _image_task("active"),
                          {"ImportTaskIds": [IMAGE_TASK]})
        # Between the live check and the cancel the task completed: EC2 refuses.
        stub.add_client_error("cancel_import_task", "InvalidParameterValue",
                              f"The import task {IMAGE_TASK} is not active", 400)
        stub.add_response("describe_import_image_tasks", _image_task("completed", image=AMI),
                          {"ImportTaskIds": [IMAGE_TASK]})
        stub.add_response("describe_images", _image(),
                          {"ImageIds": [AMI], "IncludeDisabled": True})
        stub.add_response("deregister_image", {"Return": True}, {"ImageId": AMI})
        stub.add_response("delete_snapshot", {}, {"SnapshotId": SNAPSHOT})
        [outcome] = reaper.reap(load_event("ec2.ImportImage"), KILL, OneClient(ec2))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED
    assert outcome.notes[0] == f"deregistered the imported AMI {AMI}"


def test_an_import_that_ends_before_its_cancel_is_gone():
    ec2 = boto3.client("ec2", US)
    with Stubber(ec2) as stub:
        stub.add_response("describe_import_snapshot_tasks", _snapshot_task("active"),
                          {"ImportTaskIds": [SNAPSHOT_TASK]})
        stub.add_client_error("cancel_import_task", "InvalidParameterValue",
                              f"The import task {SNAPSHOT_TASK} is not active", 400)
        stub.add_response("describe_import_snapshot_tasks", _snapshot_task("deleted"),
                          {"ImportTaskIds": [SNAPSHOT_TASK]})
        [outcome] = reaper.reap(load_event("ec2.ImportSnapshot"), KILL, OneClient(ec2))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.GONE


@pytest.mark.parametrize("lands, decision", [(US, "kill"), (EU, "spare")])
def test_an_fpga_copy_of_a_non_eu_source_is_judged_by_where_it_lands(lands, decision):
    event = _in("ec2.CopyFpgaImage", lands)
    event["detail"]["requestParameters"]["sourceRegion"] = "us-west-2"
    verdict = reaper.explain(event, Settings())
    assert [(t["id"], t["region"], t["decision"]) for t in verdict["targets"]] == [
        ("afi-0f9e8d7c6b5a43210", lands, decision)]
