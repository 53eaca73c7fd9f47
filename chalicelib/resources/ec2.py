"""EC2 instances and volumes."""
from __future__ import annotations

from chalicelib.errors import Protected, aws_errors
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, tag_dict

SOURCE = "ec2.amazonaws.com"
_GONE_STATES = {"shutting-down", "terminated"}


def inspect_instance(client, instance_id: str) -> Live | None:
    reservations = client.describe_instances(InstanceIds=[instance_id])["Reservations"]
    instances = [i for r in reservations for i in r["Instances"]]
    if not instances or instances[0]["State"]["Name"] in _GONE_STATES:
        return None
    return Live(tags=tag_dict(instances[0].get("Tags")),
                unread_protection="termination protection")


def delete_instance(client, instance_id: str, live: Live, force: bool) -> list[str]:
    # Termination protection is not in DescribeInstances; asking for it costs a call
    # on every kill, so try first and only handle the refusal when it comes.
    try:
        with aws_errors(protected=("OperationNotPermitted",)):
            client.terminate_instances(InstanceIds=[instance_id])
        return []
    except Protected:
        if not force:
            raise
    client.modify_instance_attribute(InstanceId=instance_id,
                                     DisableApiTermination={"Value": False})
    client.terminate_instances(InstanceIds=[instance_id])
    return ["termination protection disabled"]


def inspect_volume(client, volume_id: str) -> Live | None:
    volumes = client.describe_volumes(VolumeIds=[volume_id])["Volumes"]
    if not volumes or volumes[0]["State"] in {"deleting", "deleted"}:
        return None
    return Live(tags=tag_dict(volumes[0].get("Tags")))


def delete_volume(client, volume_id: str, live: Live, force: bool) -> list[str]:
    client.delete_volume(VolumeId=volume_id)
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::EC2::Instance",
        service="ec2",
        events=(CreateEvent(SOURCE, "RunInstances",
                            "detail.responseElements.instancesSet.items[].instanceId"),),
        inspect=inspect_instance,
        delete=delete_instance,
        listing=Listing("describe_instances", "Reservations[].Instances[]", "InstanceId",
                        created="LaunchTime",
                        params={"Filters": [{"Name": "instance-state-name", "Values": [
                            "pending", "running", "stopping", "stopped"]}]}),
        actions=("ec2:DescribeInstances", "ec2:TerminateInstances",
                 "ec2:ModifyInstanceAttribute"),
        not_found=("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"),
        protected=("OperationNotPermitted",),
    ),
    ResourceType(
        cfn_type="AWS::EC2::Volume",
        service="ec2",
        events=(CreateEvent(SOURCE, "CreateVolume", "detail.responseElements.volumeId"),
                # Back from the Recycle Bin, where a kill's delete left it: killed again.
                CreateEvent(SOURCE, "RestoreVolumeFromRecycleBin",
                            "detail.requestParameters.volumeId")),
        inspect=inspect_volume,
        delete=delete_volume,
        # A volume that goes with its instance (DeleteOnTermination) is the instance's.
        listing=Listing("describe_volumes", "Volumes[?!(Attachments[?DeleteOnTermination])]",
                        "VolumeId", created="CreateTime"),
        actions=("ec2:DescribeVolumes", "ec2:DeleteVolume"),
        not_found=("InvalidVolume.NotFound", "InvalidVolumeID.Malformed"),
        not_ready=("VolumeInUse", "IncorrectState"),
    ),
)
