"""API Gateway REST APIs (v1) and HTTP/WebSocket APIs (v2).

Both versions log under ``apigateway.amazonaws.com`` (botocore's endpoint prefix of
``apigatewayv2`` is ``apigateway`` too), with distinct event names: ``CreateRestApi``
(v1, the new API's ``id`` in the response; its HAL links carry it again as
``restapiUpdate.restApiId``) and ``CreateApi`` (v2, ``apiId``). API Gateway's IAM
actions are HTTP verbs on resource paths, not operation names.

DeleteRestApi is throttled hard (about one call every 30 seconds per account): a
TooManyRequestsException past botocore's retries defers the kill.
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

SOURCE = "apigateway.amazonaws.com"

IAM_NAMES = {
    ("apigateway", "GetRestApi"): ("apigateway:GET",),
    ("apigateway", "GetRestApis"): ("apigateway:GET",),
    ("apigateway", "DeleteRestApi"): ("apigateway:DELETE",),
    ("apigateway", "GetApi"): ("apigateway:GET",),
    ("apigateway", "GetApis"): ("apigateway:GET",),
    ("apigateway", "DeleteApi"): ("apigateway:DELETE",),
}


def inspect_rest_api(client, api_id: str) -> Live | None:
    return Live(created=utc_iso(client.get_rest_api(restApiId=api_id).get("createdDate")))


def delete_rest_api(client, api_id: str, live: Live, force: bool) -> list[str]:
    client.delete_rest_api(restApiId=api_id)  # its stages and deployments go with it
    return []


def inspect_api(client, api_id: str) -> Live | None:
    return Live(created=utc_iso(client.get_api(ApiId=api_id).get("CreatedDate")))


def delete_api(client, api_id: str, live: Live, force: bool) -> list[str]:
    client.delete_api(ApiId=api_id)  # its routes, integrations and stages go with it
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::ApiGateway::RestApi",
        service="apigateway",
        events=(CreateEvent(SOURCE, "CreateRestApi",
                            "detail.responseElements.id"
                            " || detail.responseElements.restapiUpdate.restApiId"),),
        inspect=inspect_rest_api,
        delete=delete_rest_api,
        listing=Listing("get_rest_apis", "items[]", "id", created="createdDate"),
        actions=("apigateway:GET", "apigateway:DELETE"),
        not_found=("NotFoundException",),
        not_ready=("TooManyRequestsException", "ConflictException"),
    ),
    ResourceType(
        cfn_type="AWS::ApiGatewayV2::Api",
        service="apigatewayv2",
        events=(CreateEvent(SOURCE, "CreateApi", "detail.responseElements.apiId"),),
        inspect=inspect_api,
        delete=delete_api,
        listing=Listing("get_apis", "Items[]", "ApiId", created="CreatedDate"),
        actions=("apigateway:GET", "apigateway:DELETE"),
        not_found=("NotFoundException",),
        not_ready=("TooManyRequestsException", "ConflictException"),
    ),
)
