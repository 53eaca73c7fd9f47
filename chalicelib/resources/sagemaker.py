"""SageMaker notebook instances.

CloudTrail logs SageMaker as ``sagemaker.amazonaws.com``, though botocore's endpoint
prefix is ``api.sagemaker`` (its signing name is ``sagemaker``).

SageMaker deletes a notebook instance only when it is Stopped or Failed, and stops
one only when it is InService; stopping takes minutes. So a kill stops it and is
deferred, and a later run deletes it; one still Pending (creating) is deferred as is.
"""
from __future__ import annotations

from chalicelib.errors import NotFound, NotReady
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

_DELETABLE = {"Stopped", "Failed"}
_STOPPABLE = {"InService"}


def _find(client, name: str) -> dict | None:
    # ListNotebookInstances rather than Describe: a missing instance is simply absent,
    # where Describe answers a ValidationException that also means "wrong state".
    pages = client.get_paginator("list_notebook_instances").paginate(NameContains=name)
    for page in pages:
        for item in page.get("NotebookInstances", []):
            if item["NotebookInstanceName"] == name:
                return item
    return None


def inspect_notebook(client, name: str) -> Live | None:
    found = _find(client, name)
    if found is None or found["NotebookInstanceStatus"] == "Deleting":
        return None
    return Live(created=utc_iso(found.get("CreationTime")),
                facts={"status": found["NotebookInstanceStatus"]})


def delete_notebook(client, name: str, live: Live, force: bool) -> list[str]:
    status = live.facts.get("status")
    stopped = False
    if status in _STOPPABLE:
        client.stop_notebook_instance(NotebookInstanceName=name)
        stopped = True
        found = _find(client, name)
        if found is None:
            raise NotFound(f"notebook instance {name} is gone")
        status = found["NotebookInstanceStatus"]
    if status not in _DELETABLE:
        # Pending (still creating), Stopping, Updating: a later run deletes it.
        raise NotReady(f"notebook instance {name} is {status}"
                       + ("; stop requested, a later run deletes it" if stopped else ""))
    client.delete_notebook_instance(NotebookInstanceName=name)
    return ["stopped first"] if stopped else []


TYPES = (
    ResourceType(
        cfn_type="AWS::SageMaker::NotebookInstance",
        service="sagemaker",
        # The response holds only the ARN, whose name part SageMaker lowercases; the
        # request holds the name as the delete call takes it.
        events=(CreateEvent("sagemaker.amazonaws.com", "CreateNotebookInstance",
                            "detail.requestParameters.notebookInstanceName"),),
        inspect=inspect_notebook,
        delete=delete_notebook,
        listing=Listing("list_notebook_instances", "NotebookInstances[]",
                        "NotebookInstanceName", created="CreationTime"),
        actions=("sagemaker:ListNotebookInstances", "sagemaker:StopNotebookInstance",
                 "sagemaker:DeleteNotebookInstance"),
        # SageMaker models no error for these calls: a refused state transition
        # answers ValidationException ("Status (InService) not in ([Stopped, Failed])").
        not_ready=("ValidationException",),
    ),
)
