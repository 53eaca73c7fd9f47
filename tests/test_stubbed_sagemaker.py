"""SageMaker notebook instances: stopping takes minutes in AWS (moto stops at once),
so botocore's Stubber plays the states a real kill goes through: InService -> stop ->
Stopping (deferred) -> on a later run Stopped -> deleted."""
from __future__ import annotations

import datetime

import boto3
from botocore.stub import Stubber

from chalicelib import reaper
from chalicelib.config import Settings
from conftest import OneClient, load_event

NAME = "Churn-Exploration"
REGION = "ap-southeast-1"
WHEN = datetime.datetime(2026, 11, 29, 11, 44, 18, tzinfo=datetime.timezone.utc)


def _listed(status: str) -> dict:
    return {"NotebookInstances": [{
        "NotebookInstanceName": NAME, "NotebookInstanceStatus": status,
        "NotebookInstanceArn": f"arn:aws:sagemaker:{REGION}:123456789012:notebook-instance/"
                               "churn-exploration",
        "InstanceType": "ml.t3.medium", "CreationTime": WHEN, "LastModifiedTime": WHEN}]}


def _reap(sagemaker):
    return reaper.reap(load_event("sagemaker.CreateNotebookInstance"), Settings(dry_run=False),
                       OneClient(sagemaker))


def test_a_running_notebook_is_stopped_deferred_and_deleted_on_the_next_run():
    sagemaker = boto3.client("sagemaker", REGION)
    with Stubber(sagemaker) as stub:
        stub.add_response("list_notebook_instances", _listed("InService"), {"NameContains": NAME})
        stub.add_response("stop_notebook_instance", {}, {"NotebookInstanceName": NAME})
        stub.add_response("list_notebook_instances", _listed("Stopping"), {"NameContains": NAME})
        [first] = _reap(sagemaker)
        stub.add_response("list_notebook_instances", _listed("Stopped"), {"NameContains": NAME})
        stub.add_response("delete_notebook_instance", {}, {"NotebookInstanceName": NAME})
        [again] = _reap(sagemaker)
        stub.assert_no_pending_responses()
    assert first.action == reaper.DEFERRED and "stop requested" in first.reason
    assert again.action == reaper.KILLED


def test_a_notebook_still_pending_is_deferred_without_a_change():
    sagemaker = boto3.client("sagemaker", REGION)
    with Stubber(sagemaker) as stub:
        stub.add_response("list_notebook_instances", _listed("Pending"), {"NameContains": NAME})
        [outcome] = _reap(sagemaker)
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.DEFERRED and "Pending" in outcome.reason


def test_a_notebook_being_deleted_is_gone():
    sagemaker = boto3.client("sagemaker", REGION)
    with Stubber(sagemaker) as stub:
        stub.add_response("list_notebook_instances", _listed("Deleting"), {"NameContains": NAME})
        [outcome] = _reap(sagemaker)
    assert outcome.action == reaper.GONE


def test_a_failed_notebook_is_deleted_at_once():
    sagemaker = boto3.client("sagemaker", REGION)
    with Stubber(sagemaker) as stub:
        stub.add_response("list_notebook_instances", _listed("Failed"), {"NameContains": NAME})
        stub.add_response("delete_notebook_instance", {}, {"NotebookInstanceName": NAME})
        [outcome] = _reap(sagemaker)
        stub.assert_no_pending_responses()
    assert (outcome.action, outcome.notes) == (reaper.KILLED, [])
