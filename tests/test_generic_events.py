"""The reaper's event path for generic types: a create no curated type claims is matched
to its type through the generic table, killed through Cloud Control (the moto stand-in)
outside the EU, and left alone inside; a call neither layer knows stays uncovered."""
from __future__ import annotations

import copy
import types

import boto3
import pytest

from chalicelib import reaper
from chalicelib.generic import reap as generic
from chalicelib.generic import standin
from conftest import load_event

# A hand-made slice of the generic table (the generated one has the same fields).
LOG_GROUP = types.SimpleNamespace(
    type_name="AWS::Logs::LogGroup", identifier=("LogGroupName",),
    id_paths=("requestParameters.logGroupName",), parent=None, event_only=False,
    defaults=())
# The table knows no path to a Glacier vault's name here: the engine must sweep.
VAULT = types.SimpleNamespace(type_name="AWS::Glacier::Vault", identifier=("VaultName",),
                              id_paths=(), parent=None, event_only=False, defaults=())
NAME = "some-random-log-group"  # as in the recorded sample
BY_EVENT = {("logs.amazonaws.com", "CreateLogGroup"): (LOG_GROUP,),
            ("glacier.amazonaws.com", "CreateVault"): (VAULT,)}


@pytest.fixture
def table(monkeypatch, aws):
    fake = types.SimpleNamespace(by_event=lambda s, n: BY_EVENT.get((s, n), ()),
                                 is_default=lambda g, p: False)
    monkeypatch.setattr(generic, "_table", lambda: fake)
    with standin.serving():
        yield fake


def _in(event: dict, region: str) -> dict:
    event = copy.deepcopy(event)
    event["region"] = event["detail"]["awsRegion"] = region
    return event


def test_a_generic_create_outside_the_eu_is_killed_and_its_eu_twin_survives(
        table, clients, kill_settings):
    for region in ("ap-southeast-2", "eu-central-1"):
        boto3.client("logs", region).create_log_group(logGroupName=NAME)
    event = load_event("logs.CreateLogGroup")  # in ap-southeast-2
    outcomes = reaper.reap(event, kill_settings, clients)
    assert [(o.action, o.type, o.id) for o in outcomes] == [
        ("killed", "AWS::Logs::LogGroup", NAME)]
    assert boto3.client("logs", "ap-southeast-2").describe_log_groups()["logGroups"] == []
    assert reaper.reap(_in(event, "eu-central-1"), kill_settings, clients) == []
    assert len(boto3.client("logs", "eu-central-1").describe_log_groups()["logGroups"]) == 1


def test_a_type_whose_identifier_is_not_in_the_record_is_swept(table, clients, kill_settings):
    glacier = boto3.client("glacier", "us-east-1")
    for name in ("abroad", "older"):
        glacier.create_vault(vaultName=name)
    boto3.client("glacier", "eu-central-1").create_vault(vaultName="abroad")
    outcomes = reaper.reap(load_event("glacier.CreateVault"), kill_settings, clients)
    assert sorted((o.action, o.id) for o in outcomes) == [("killed", "abroad"),
                                                          ("killed", "older")]
    assert glacier.list_vaults()["VaultList"] == []
    assert len(boto3.client("glacier", "eu-central-1").list_vaults()["VaultList"]) == 1


def test_dry_run_reports_and_deletes_nothing(table, clients):
    from chalicelib.config import Settings

    boto3.client("logs", "ap-southeast-2").create_log_group(logGroupName=NAME)
    outcomes = reaper.reap(load_event("logs.CreateLogGroup"), Settings(dry_run=True), clients)
    assert [o.action for o in outcomes] == ["would-kill"]
    assert len(boto3.client("logs", "ap-southeast-2").describe_log_groups()["logGroups"]) == 1


def test_a_create_neither_layer_knows_stays_uncovered(table, clients, kill_settings):
    event = load_event("cognito-identity.CreateIdentityPool")  # not in this table
    outcomes = reaper.reap(event, kill_settings, clients)
    assert [o.action for o in outcomes] == ["uncovered"]


def test_curated_always_wins_over_the_table(table):
    queue = types.SimpleNamespace(type_name="AWS::SQS::Queue")
    BY_EVENT[("sqs.amazonaws.com", "CreateQueue")] = (queue,)
    try:
        assert generic.types_for("sqs.amazonaws.com", "CreateQueue") == ()
    finally:
        del BY_EVENT[("sqs.amazonaws.com", "CreateQueue")]


@pytest.fixture
def real_table(aws):
    """The generated table itself, with the stand-in in front of moto."""
    with standin.serving():
        yield


def test_with_the_generated_table_a_cognito_user_pool_outside_the_eu_is_killed(
        real_table, clients, kill_settings):
    pool = boto3.client("cognito-idp", "us-east-1").create_user_pool(PoolName="abroad")
    twin = boto3.client("cognito-idp", "eu-west-1").create_user_pool(PoolName="abroad")
    event = load_event("logs.CreateLogGroup")
    event["region"] = event["detail"]["awsRegion"] = "us-east-1"
    event["source"] = "aws.cognito-idp"
    event["detail"].update(eventSource="cognito-idp.amazonaws.com", eventName="CreateUserPool",
                           requestParameters={"poolName": "abroad"},
                           responseElements={"userPool": {"id": pool["UserPool"]["Id"],
                                                          "name": "abroad"}})
    outcomes = reaper.reap(event, kill_settings, clients)
    assert [(o.action, o.type) for o in outcomes] == [("killed", "AWS::Cognito::UserPool")]
    assert boto3.client("cognito-idp", "us-east-1").list_user_pools(
        MaxResults=10)["UserPools"] == []
    assert boto3.client("cognito-idp", "eu-west-1").describe_user_pool(
        UserPoolId=twin["UserPool"]["Id"])


def test_with_the_generated_table_athenas_primary_workgroup_is_never_a_finding(
        real_table, clients, kill_settings):
    boto3.client("athena", "us-east-1").create_work_group(Name="etl")
    event = load_event("logs.CreateLogGroup")
    event["region"] = event["detail"]["awsRegion"] = "us-east-1"
    event["source"] = "aws.athena"
    # No name in the record: the engine sweeps, and the sweep leaves 'primary' alone.
    event["detail"].update(eventSource="athena.amazonaws.com", eventName="CreateWorkGroup",
                           requestParameters=None)
    outcomes = reaper.reap(event, kill_settings, clients)
    assert [(o.action, o.id) for o in outcomes] == [("killed", "etl")]
    names = [w["Name"] for w in boto3.client("athena", "us-east-1").list_work_groups()["WorkGroups"]]
    assert names == ["primary"]
