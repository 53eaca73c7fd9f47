"""Shared fixtures: every AWS call in the tests goes to moto, never to AWS."""
from __future__ import annotations

import contextlib
import json
import os
import pathlib

import pytest

EVENTS = pathlib.Path(__file__).parent / "events"

# Before anything imports boto3: no real credentials, no real endpoint, ever.
for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
    os.environ.pop(key, None)
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                  AWS_DEFAULT_REGION="eu-central-1", AWS_REGION="eu-central-1")


_AWS_HOSTS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


def _no_real_aws(getaddrinfo):
    """Name lookups of AWS's own hosts fail: moto intercepts in process before any
    socket, the moto server and the Slack stand-in are on 127.0.0.1, and the Stubber
    never sends. A test that would reach real AWS fails instead."""
    def guarded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        if name.rstrip(".").endswith(_AWS_HOSTS):
            raise OSError(f"tests must not reach real AWS: {name}")
        return getaddrinfo(host, *args, **kwargs)
    return guarded


def pytest_configure(config):
    import socket

    from chalicelib import moto_fixes

    moto_fixes.apply()
    socket.getaddrinfo = _no_real_aws(socket.getaddrinfo)


def load_event(name: str) -> dict:
    """A recorded CloudTrail event from tests/events/NAME.json."""
    return json.loads((EVENTS / f"{name}.json").read_text())


def central_session(account: str, home: str):
    """Credentials of another (central) account: moto maps assumed-role keys to it."""
    import boto3

    creds = boto3.client("sts", region_name=home).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/admin", RoleSessionName="test")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])


def observe_bus(session, home: str):
    """A rule on the session's default bus copying every CloudTrail event into a queue;
    returns a function that reads what arrived."""
    from chalicelib import registry

    sqs = session.client("sqs", region_name=home)
    url = sqs.create_queue(QueueName="observed")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    events = session.client("events", region_name=home)
    events.put_rule(Name="observe", EventPattern=json.dumps(
        {"detail-type": [registry.CLOUDTRAIL_DETAIL_TYPE]}))
    events.put_targets(Rule="observe", Targets=[{"Id": "queue", "Arn": arn}])
    return lambda: [json.loads(m["Body"]) for m in sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])]


class OneClient:
    """Hands one (stubbed) client to the engine, whatever it asks for."""

    def __init__(self, client):
        self._client = client

    def client(self, *args, **kwargs):
        return self._client


class RegionClients:
    """Hands the engine the stubbed client of the region it asks for."""

    def __init__(self, **by_region):
        self._by_region = {r.replace("_", "-"): c for r, c in by_region.items()}

    def client(self, service, region, account=None):
        return self._by_region[region]


@contextlib.contextmanager
def stubbed_us_and_eu(service: str):
    """Stubbers for ``service`` in us-east-1 and eu-central-1, the clients behind them,
    and every call the EU client gets (a kill outside the EU expects none: the source
    or the primary lives there). Every queued answer must have been used."""
    import boto3
    from botocore.stub import Stubber

    us, eu = boto3.client(service, "us-east-1"), boto3.client(service, "eu-central-1")
    eu_calls: list[str] = []
    # First: the Stubber refuses an unqueued call in this event, before later hooks see it.
    service_id = eu.meta.service_model.service_id.hyphenize()
    eu.meta.events.register_first(f"provide-client-params.{service_id}.*",
                                  lambda model, **kwargs: eu_calls.append(model.name))
    with Stubber(us) as us_stub, Stubber(eu) as eu_stub:
        yield us_stub, RegionClients(us_east_1=us, eu_central_1=eu), eu_calls
        us_stub.assert_no_pending_responses()
        eu_stub.assert_no_pending_responses()


@pytest.fixture
def aws():
    """An in-process moto account for the duration of the test."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def kill_settings():
    from chalicelib.config import Settings

    return Settings(dry_run=False)


@pytest.fixture
def clients(kill_settings):
    from chalicelib.aws import Clients

    return Clients(kill_settings)


@pytest.fixture
def trail():
    from chalicelib.sandbox import Trail

    return Trail()


@pytest.fixture
def moto_types(monkeypatch):
    """The registry narrowed to the types moto can make (tests/kinds KINDS), for tests
    that scan everything in moto: a type moto does not implement (STUBBED) would be
    a failed unit there, not a finding."""
    from chalicelib import registry
    from kinds import KINDS

    every = registry.all_types()
    caches = (registry._by_type, registry._by_event)
    for cache in caches:
        cache.cache_clear()
    monkeypatch.setattr(registry, "all_types",
                        lambda: tuple(t for t in every if t.cfn_type in KINDS))
    yield
    monkeypatch.undo()
    for cache in caches:
        cache.cache_clear()


def make_served(type_name: str, region: str, name: str) -> str:
    """Create one resource of a type the Cloud Control stand-in serves, in moto;
    return its Cloud Control identifier."""
    import boto3

    c = lambda service: boto3.client(service, region)  # noqa: E731
    if type_name == "AWS::Logs::LogGroup":
        c("logs").create_log_group(logGroupName=name)
        return name
    if type_name == "AWS::Athena::WorkGroup":
        c("athena").create_work_group(Name=name)
        return name
    if type_name == "AWS::Glacier::Vault":
        c("glacier").create_vault(vaultName=name)
        return name
    if type_name == "AWS::Backup::BackupVault":
        c("backup").create_backup_vault(BackupVaultName=name)
        return name
    if type_name == "AWS::Timestream::Database":
        c("timestream-write").create_database(DatabaseName=name)
        return name
    if type_name == "AWS::Cognito::UserPool":
        return c("cognito-idp").create_user_pool(PoolName=name)["UserPool"]["Id"]
    if type_name == "AWS::Cognito::IdentityPool":
        return c("cognito-identity").create_identity_pool(
            IdentityPoolName=name, AllowUnauthenticatedIdentities=False)["IdentityPoolId"]
    if type_name == "AWS::Glue::Job":
        c("glue").create_job(Name=name, Role=f"arn:aws:iam::123456789012:role/{name}",
                             Command={"Name": "glueetl"})
        return name
    if type_name == "AWS::Backup::BackupPlan":
        return c("backup").create_backup_plan(BackupPlan={
            "BackupPlanName": name,
            "Rules": [{"RuleName": "nightly", "TargetBackupVaultName": "vault"}]})["BackupPlanId"]
    raise AssertionError(type_name)
