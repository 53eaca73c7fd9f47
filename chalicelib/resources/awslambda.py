"""Lambda functions, named by function name (what DeleteFunction takes).

CloudTrail names Lambda's events after the API version they were called with:
creating a function is logged as ``CreateFunction20150331`` (the operation botocore
calls CreateFunction). A function replicated by CloudFront (Lambda@Edge) refuses
deletion until CloudFront drops its replicas; that refusal is reported as a failure.
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType


def inspect_function(client, name: str) -> Live | None:
    client.get_function_configuration(FunctionName=name)
    return Live()


def delete_function(client, name: str, live: Live, force: bool) -> list[str]:
    # Every version and alias goes with it.
    client.delete_function(FunctionName=name)
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::Lambda::Function",
        service="lambda",
        events=(CreateEvent("lambda.amazonaws.com", "CreateFunction20150331",
                            "detail.responseElements.functionName"
                            " || detail.requestParameters.functionName"),),
        inspect=inspect_function,
        delete=delete_function,
        # ListFunctions says when a function last changed, not when it was created.
        listing=Listing("list_functions", "Functions[]", "FunctionName"),
        actions=("lambda:GetFunctionConfiguration", "lambda:DeleteFunction",
                 "lambda:ListFunctions"),
        not_found=("ResourceNotFoundException",),
        # Another change to the function is under way: retried later.
        not_ready=("ResourceConflictException",),
    ),
)
