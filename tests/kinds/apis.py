"""API Gateway REST APIs (v1), HTTP/WebSocket APIs (v2), and SageMaker notebook
instances (see kinds/__init__.py for the contract)."""
from __future__ import annotations

import uuid

import boto3
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_rest_api(trail, region, protect=False):
    apigw = boto3.client("apigateway", region)
    api_id = trail.call(apigw, "create_rest_api", name=_name("api"),
                        endpointConfiguration={"types": ["REGIONAL"]})["id"]
    # API Gateway logs the request body under createRestApiInput.
    detail = trail.events[-1]["detail"]
    detail["requestParameters"] = {"createRestApiInput": detail["requestParameters"]}
    return api_id


def rest_api_exists(region, api_id):
    try:
        boto3.client("apigateway", region).get_rest_api(restApiId=api_id)
        return True
    except ClientError:
        return False


def create_http_api(trail, region, protect=False):
    apigw = boto3.client("apigatewayv2", region)
    return trail.call(apigw, "create_api", Name=_name("http-api"), ProtocolType="HTTP")["ApiId"]


def http_api_exists(region, api_id):
    try:
        boto3.client("apigatewayv2", region).get_api(ApiId=api_id)
        return True
    except ClientError:
        return False


def create_notebook(trail, region, protect=False):
    sagemaker = boto3.client("sagemaker", region)
    name = _name("notebook")
    trail.call(sagemaker, "create_notebook_instance", NotebookInstanceName=name,
               InstanceType="ml.t2.medium", RoleArn=ROLE)
    return name


def notebook_exists(region, name):
    try:
        boto3.client("sagemaker", region).describe_notebook_instance(NotebookInstanceName=name)
        return True
    except ClientError:
        return False


KINDS = {
    "AWS::ApiGateway::RestApi": (create_rest_api, rest_api_exists),
    "AWS::ApiGatewayV2::Api": (create_http_api, http_api_exists),
    "AWS::SageMaker::NotebookInstance": (create_notebook, notebook_exists),
}

PAGES = {
    "AWS::ApiGateway::RestApi": lambda n: {"items": [{
        "id": n, "name": "api", "createdDate": "2026-01-01T00:00:00Z"}]},
    "AWS::ApiGatewayV2::Api": lambda n: {"Items": [{
        "ApiId": n, "Name": "api", "ProtocolType": "HTTP",
        "RouteSelectionExpression": "$request.method $request.path",
        "CreatedDate": "2026-01-01T00:00:00Z"}]},
    "AWS::SageMaker::NotebookInstance": lambda n: {"NotebookInstances": [{
        "NotebookInstanceName": n, "NotebookInstanceStatus": "InService",
        "NotebookInstanceArn": f"arn:aws:sagemaker:us-west-2:123456789012:notebook-instance/{n}",
        "CreationTime": "2026-01-01T00:00:00Z"}]},
}
