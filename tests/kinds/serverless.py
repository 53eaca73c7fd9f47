"""Lambda functions, SQS queues, SNS topics and Step Functions state machines (see
kinds/__init__.py for the contract)."""
from __future__ import annotations

import io
import json
import uuid
import zipfile

import boto3
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})
MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _function_role() -> str:
    # moto, like Lambda, wants a role that exists; IAM is global, made once.
    iam = boto3.client("iam", "us-east-1")
    try:
        return iam.create_role(RoleName="team-function",
                               AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    except ClientError:
        return iam.get_role(RoleName="team-function")["Role"]["Arn"]


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 'ok'\n")
    return buffer.getvalue()


def create_function(trail, region, protect=False):
    lam = boto3.client("lambda", region)
    name = _name("fn")
    trail.call(lam, "create_function", FunctionName=name, Runtime="python3.12",
               Role=_function_role(), Handler="app.handler", Code={"ZipFile": _code()})
    # CloudTrail names the call after its API version, and logs no code.
    detail = trail.events[-1]["detail"]
    detail["eventName"] = "CreateFunction20150331"
    detail["requestParameters"]["code"] = {}
    return name


def function_exists(region, name):
    try:
        boto3.client("lambda", region).get_function_configuration(FunctionName=name)
        return True
    except ClientError:
        return False


def create_queue(trail, region, protect=False):
    sqs = boto3.client("sqs", region)
    return trail.call(sqs, "create_queue", QueueName=_name("queue"))["QueueUrl"]


def queue_exists(region, url):
    try:
        boto3.client("sqs", region).get_queue_attributes(QueueUrl=url)
        return True
    except ClientError:
        return False


def create_topic(trail, region, protect=False):
    sns = boto3.client("sns", region)
    return trail.call(sns, "create_topic", Name=_name("topic"))["TopicArn"]


def topic_exists(region, arn):
    try:
        boto3.client("sns", region).get_topic_attributes(TopicArn=arn)
        return True
    except ClientError:
        return False


def create_state_machine(trail, region, protect=False):
    sfn = boto3.client("stepfunctions", region)
    arn = trail.call(sfn, "create_state_machine", name=_name("machine"), definition=MACHINE,
                     roleArn=f"arn:aws:iam::{ACCOUNT}:role/team-machine")["stateMachineArn"]
    # CloudTrail hides the definition.
    trail.events[-1]["detail"]["requestParameters"]["definition"] = (
        "HIDDEN_DUE_TO_SECURITY_REASONS")
    return arn


def state_machine_exists(region, arn):
    try:
        found = boto3.client("stepfunctions", region).describe_state_machine(
            stateMachineArn=arn)
    except ClientError:
        return False
    return found.get("status") != "DELETING"


KINDS = {
    "AWS::Lambda::Function": (create_function, function_exists),
    "AWS::SQS::Queue": (create_queue, queue_exists),
    "AWS::SNS::Topic": (create_topic, topic_exists),
    "AWS::StepFunctions::StateMachine": (create_state_machine, state_machine_exists),
}

PAGES = {
    "AWS::Lambda::Function": lambda n: {"Functions": [{
        "FunctionName": n, "FunctionArn": f"arn:aws:lambda:us-west-2:{ACCOUNT}:function:{n}",
        "Runtime": "python3.12", "Handler": "app.handler", "State": "Active",
        "LastModified": "2026-11-29T11:14:09.512+0000"}]},
    "AWS::SQS::Queue": lambda n: {"QueueUrls": [n]},
    "AWS::SNS::Topic": lambda n: {"Topics": [{"TopicArn": n}]},
    "AWS::StepFunctions::StateMachine": lambda n: {"stateMachines": [{
        "stateMachineArn": n, "name": "nightly-export", "type": "STANDARD",
        "creationDate": "2026-11-29T11:26:08Z"}]},
}
