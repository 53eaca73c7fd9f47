"""A Cloud Control stand-in over moto, for tests and the sandbox (never in Lambda).

moto has no Cloud Control API.  This speaks its wire protocol (JSON 1.0, ``X-Amz-Target:
CloudApiService.<Operation>``) on 127.0.0.1 and answers ListResources, GetResource,
DeleteResource and GetResourceRequestStatus by calling moto's own service APIs for a
handful of types, so the generic engine runs unchanged against it: boto3 reaches it
through ``AWS_ENDPOINT_URL_CLOUDCONTROL``.  The caller's access key and region (from the
signature) pick moto's account and region, as they would in AWS.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import boto3
from botocore.exceptions import ClientError

_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/")


class _NotFound(Exception):
    pass


class Kind:
    """How one CloudFormation type maps onto moto: list its models, delete one by id."""

    def __init__(self, service: str, key: str,
                 models: Callable[[Any], list[dict]], remove: Callable[[Any, str], None]):
        self.service, self.key, self.models, self.remove = service, key, models, remove

    def find(self, client: Any, identifier: str) -> dict:
        for model in self.models(client):
            if model[self.key] == identifier:
                return model
        raise _NotFound(identifier)


KINDS: dict[str, Kind] = {
    "AWS::Logs::LogGroup": Kind(
        "logs", "LogGroupName",
        lambda c: [{"LogGroupName": g["logGroupName"], "Arn": g["arn"]}
                   for g in c.describe_log_groups()["logGroups"]],
        lambda c, i: c.delete_log_group(logGroupName=i)),
    "AWS::Athena::WorkGroup": Kind(
        "athena", "Name",
        lambda c: [{"Name": w["Name"], "State": w.get("State", "ENABLED")}
                   for w in c.list_work_groups()["WorkGroups"]],
        lambda c, i: c.delete_work_group(WorkGroup=i, RecursiveDeleteOption=True)),
    "AWS::Glacier::Vault": Kind(
        "glacier", "VaultName",
        lambda c: [{"VaultName": v["VaultName"], "Arn": v["VaultARN"]}
                   for v in c.list_vaults()["VaultList"]],
        lambda c, i: c.delete_vault(vaultName=i)),
    "AWS::Backup::BackupVault": Kind(
        "backup", "BackupVaultName",
        lambda c: [{"BackupVaultName": v["BackupVaultName"], "BackupVaultArn": v["BackupVaultArn"]}
                   for v in c.list_backup_vaults()["BackupVaultList"]],
        lambda c, i: c.delete_backup_vault(BackupVaultName=i)),
    "AWS::Timestream::Database": Kind(
        "timestream-write", "DatabaseName",
        lambda c: [{"DatabaseName": d["DatabaseName"], "Arn": d["Arn"]}
                   for d in c.list_databases()["Databases"]],
        lambda c, i: c.delete_database(DatabaseName=i)),
    "AWS::Cognito::UserPool": Kind(
        "cognito-idp", "UserPoolId",
        lambda c: [{"UserPoolId": p["Id"], "UserPoolName": p["Name"]}
                   for p in c.list_user_pools(MaxResults=60)["UserPools"]],
        lambda c, i: c.delete_user_pool(UserPoolId=i)),
    "AWS::Cognito::IdentityPool": Kind(
        "cognito-identity", "Id",
        lambda c: [{"Id": p["IdentityPoolId"], "IdentityPoolName": p["IdentityPoolName"]}
                   for p in c.list_identity_pools(MaxResults=60)["IdentityPools"]],
        lambda c, i: c.delete_identity_pool(IdentityPoolId=i)),
    "AWS::Glue::Job": Kind(
        "glue", "Name",
        lambda c: [{"Name": j["Name"], "Role": j.get("Role")} for j in c.get_jobs()["Jobs"]],
        lambda c, i: c.delete_job(JobName=i)),
    "AWS::Backup::BackupPlan": Kind(
        "backup", "BackupPlanId",
        lambda c: [{"BackupPlanId": p["BackupPlanId"], "BackupPlanArn": p["BackupPlanArn"]}
                   for p in c.list_backup_plans()["BackupPlansList"]],
        lambda c, i: c.delete_backup_plan(BackupPlanId=i)),
}


class StandIn:
    """The operations, independent of HTTP (the server below only decodes and encodes)."""

    def __init__(self, endpoint: str | None = None):
        self.endpoint = endpoint  # moto's server in the sandbox; None: in-process moto
        self.requests: dict[str, dict] = {}
        self._lock = threading.Lock()

    def _client(self, service: str, access_key: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint,
                            aws_access_key_id=access_key, aws_secret_access_key="stand-in")

    def call(self, operation: str, body: dict, access_key: str, region: str) -> dict:
        if operation == "GetResourceRequestStatus":
            with self._lock:
                event = self.requests.get(body.get("RequestToken", ""))
            if event is None:
                raise _Error("RequestTokenNotFoundException", "Request token not found")
            return {"ProgressEvent": event}
        type_name = body.get("TypeName", "")
        kind = KINDS.get(type_name)
        if kind is None:
            raise _Error("TypeNotFoundException", f"Type {type_name} is not in the stand-in")
        client = self._client(kind.service, access_key, region)
        if operation == "ListResources":
            return {"TypeName": type_name, "ResourceDescriptions": [
                {"Identifier": m[kind.key], "Properties": json.dumps(m)}
                for m in kind.models(client)]}
        identifier = body.get("Identifier", "")
        try:
            model = kind.find(client, identifier)
        except _NotFound:
            raise _Error("ResourceNotFoundException", f"Resource of type '{type_name}' with "
                         f"identifier '{identifier}' was not found.") from None
        if operation == "GetResource":
            return {"TypeName": type_name, "ResourceDescription": {
                "Identifier": identifier, "Properties": json.dumps(model)}}
        if operation == "DeleteResource":
            return {"ProgressEvent": self._delete(kind, client, type_name, identifier)}
        raise _Error("UnsupportedActionException", f"{operation} is not in the stand-in")

    def _delete(self, kind: Kind, client: Any, type_name: str, identifier: str) -> dict:
        # The delete happens at once; the first answer says IN_PROGRESS, as AWS's does,
        # and the status request then tells how it ended, so the engine's poll runs.
        token = str(uuid.uuid4())
        event: dict = {"TypeName": type_name, "Identifier": identifier,
                       "RequestToken": token, "Operation": "DELETE",
                       "OperationStatus": "IN_PROGRESS", "EventTime": time.time()}
        try:
            kind.remove(client, identifier)
            final = {"OperationStatus": "SUCCESS"}
        except ClientError as error:
            info = error.response.get("Error", {})
            final = {"OperationStatus": "FAILED", "ErrorCode": "GeneralServiceException",
                     "StatusMessage": f"{info.get('Code')}: {info.get('Message')}"}
        with self._lock:
            self.requests[token] = dict(event, **final)
        return event


class _Error(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _handler(standin: StandIn) -> type:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's spelling)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            operation = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
            scope = _SCOPE.search(self.headers.get("Authorization") or "")
            access_key, region = scope.groups() if scope else ("testing", "us-east-1")
            try:
                status, answer = 200, standin.call(operation, body, access_key, region)
            except _Error as error:
                status, answer = 400, {"__type": error.code, "Message": error.message}
            except Exception as error:  # moto lacking a call: say so, as AWS's 500 would
                status, answer = 500, {"__type": "ServiceInternalErrorException",
                                       "Message": f"{type(error).__name__}: {error}"}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextlib.contextmanager
def serving(endpoint: str | None = None) -> Iterator[str]:
    """Run the stand-in on a free 127.0.0.1 port; boto3's cloudcontrol clients go there."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(StandIn(endpoint)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    saved = os.environ.get("AWS_ENDPOINT_URL_CLOUDCONTROL")
    os.environ["AWS_ENDPOINT_URL_CLOUDCONTROL"] = url
    try:
        yield url
    finally:
        if saved is None:
            os.environ.pop("AWS_ENDPOINT_URL_CLOUDCONTROL", None)
        else:
            os.environ["AWS_ENDPOINT_URL_CLOUDCONTROL"] = saved
        server.shutdown()
        server.server_close()
