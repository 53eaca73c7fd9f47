"""Lightsail instances: every instance one CreateInstances call makes."""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

SOURCE = "lightsail.amazonaws.com"
# The answer holds one operation per instance; the request names them all too.
_NAMES = ("detail.responseElements.operations[?resourceType=='Instance'].resourceName"
          " || detail.requestParameters.instanceNames")
_GONE = {"shutting-down", "terminated"}


def inspect_instance(client, name: str) -> Live | None:
    instance = client.get_instance(instanceName=name)["instance"]
    if instance.get("state", {}).get("name") in _GONE:
        return None
    return Live(created=utc_iso(instance.get("createdAt")))


def delete_instance(client, name: str, live: Live, force: bool) -> list[str]:
    # With its add-ons (automatic snapshots): nothing of it stays in the region.
    client.delete_instance(instanceName=name, forceDeleteAddOns=True)
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::Lightsail::Instance",
        service="lightsail",
        events=(CreateEvent(SOURCE, "CreateInstances", _NAMES),
                CreateEvent(SOURCE, "CreateInstancesFromSnapshot", _NAMES)),
        inspect=inspect_instance,
        delete=delete_instance,
        listing=Listing("get_instances", "instances[]", "name", created="createdAt"),
        actions=("lightsail:GetInstance", "lightsail:GetInstances",
                 "lightsail:DeleteInstance"),
        not_found=("NotFoundException",),
        # Lightsail's answer to an operation the instance's state does not allow yet
        # (still pending, another operation in progress).
        not_ready=("OperationFailureException",),
    ),
)
