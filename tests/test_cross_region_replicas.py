"""Calls that create copies in regions other than the one they are logged in:
Secrets Manager replicas, KMS multi-Region replicas, DynamoDB global-table replicas.

What must hold every time: a copy outside the EU is killed, and nothing in an
allowed region is ever deleted, not even to get at a forbidden primary. A primary
that cannot go without its EU copy is kept and reported (deferred), not killed.
The edges of these types' live checks (AWS's own keys, keys and streams still being
created, secrets owned by another service) are here too.
"""
from __future__ import annotations

import datetime

import boto3
from botocore.stub import Stubber

from chalicelib import reaper, scan
from chalicelib.config import Settings
from chalicelib.events import Target
from conftest import load_event
from kinds.secrets_and_keys import (create_key, create_secret, key_exists, replicate_secret,
                                    secret_exists)

SECRET, KEY = "AWS::SecretsManager::Secret", "AWS::KMS::Key"
EU, EU_2, US, US_2 = "eu-central-1", "eu-west-1", "us-east-1", "us-west-2"
ACCOUNT = "123456789012"
WHEN = datetime.datetime(2026, 11, 29, 11, 20, 45, tzinfo=datetime.timezone.utc)


def _reap_last(trail, clients):
    return reaper.reap(trail.events[-1], Settings(dry_run=False), clients)


def _replica_regions(region, name):
    secret = boto3.client("secretsmanager", region).describe_secret(SecretId=name)
    return sorted(r["Region"] for r in secret.get("ReplicationStatus", []))


class RegionClients:
    """Hands the engine the stubbed client of the region it asks for."""

    def __init__(self, **by_region):
        self._by_region = {r.replace("_", "-"): c for r, c in by_region.items()}

    def client(self, service, region, account=None):
        return self._by_region[region]


# --- Secrets Manager --------------------------------------------------------------

def test_an_eu_secret_loses_its_us_replica_and_keeps_itself(aws, trail, clients):
    name = create_secret(trail, EU, replicas=(US,))
    outcomes = _reap_last(trail, clients)
    assert [(o.action, o.id, o.region) for o in outcomes] == [
        (reaper.KILLED, name, US), (reaper.SPARED, name, EU)]
    assert outcomes[0].notes == [f"replica removed through its primary in {EU}"]
    assert not secret_exists(US, name)
    assert secret_exists(EU, name) and _replica_regions(EU, name) == []


def test_in_dry_run_the_us_replica_is_reported_and_kept(aws, trail, clients):
    name = create_secret(trail, EU, replicas=(US,))
    outcomes = reaper.reap(trail.events[-1], Settings(dry_run=True), clients)
    assert [(o.action, o.region) for o in outcomes] == [
        (reaper.WOULD_KILL, US), (reaper.SPARED, EU)]
    assert secret_exists(US, name) and _replica_regions(EU, name) == [US]


def test_replicating_an_eu_secret_kills_only_the_forbidden_replica(aws, trail, clients):
    name = create_secret(trail, EU)
    replicate_secret(trail, EU, name, [US_2, EU_2])
    outcomes = _reap_last(trail, clients)
    assert [(o.action, o.region) for o in outcomes] == [
        (reaper.KILLED, US_2), (reaper.SPARED, EU_2)]
    assert not secret_exists(US_2, name)
    assert secret_exists(EU, name) and secret_exists(EU_2, name)
    assert _replica_regions(EU, name) == [EU_2]


def test_a_us_secret_with_an_eu_replica_is_spared_and_both_survive(aws, trail, clients):
    # Deleting the primary needs its replicas gone first; its EU replica must stay,
    # so the primary is spared and reported, every time it is looked at.
    name = create_secret(trail, US, replicas=(EU_2,))
    outcomes = _reap_last(trail, clients)
    assert [(o.action, o.region) for o in outcomes] == [
        (reaper.SPARED, EU_2), (reaper.SPARED, US)]
    assert f"it has copies in {EU_2}, an allowed region" in outcomes[1].reason
    settings = Settings(dry_run=False)
    report = scan.scan(settings, clients, regions=[US], types=[SECRET])
    assert [(o.action, o.id) for o in report.outcomes] == [(reaper.SPARED, name)]
    assert secret_exists(US, name) and secret_exists(EU_2, name)


def test_a_us_secret_with_a_us_replica_goes_whole_in_one_event(aws, trail, clients):
    name = create_secret(trail, US, replicas=(US_2,))
    outcomes = _reap_last(trail, clients)
    # The replica is placed first: once it is gone the primary can go too.
    assert [(o.action, o.region) for o in outcomes] == [
        (reaper.KILLED, US_2), (reaper.KILLED, US)]
    assert outcomes[1].notes == ["deleted without a recovery window"]
    assert not secret_exists(US_2, name) and not secret_exists(US, name)


def test_the_scan_removes_a_replica_through_its_eu_primary(aws, clients):
    boto3.client("secretsmanager", EU).create_secret(
        Name="payments/api-token", SecretString="x", AddReplicaRegions=[{"Region": US}])
    settings = Settings(dry_run=False)
    report = scan.scan(settings, clients, regions=[US], types=[SECRET])
    assert [(o.action, o.id, o.region) for o in report.outcomes] == [
        (reaper.KILLED, "payments/api-token", US)]
    assert report.ok
    assert not secret_exists(US, "payments/api-token")
    assert secret_exists(EU, "payments/api-token")


def test_a_failed_replication_made_no_copy_and_does_not_hold_the_primary(aws, trail, clients):
    # A secret of that name already in us-west-2: the replication fails there. It is
    # a forbidden secret of its own and goes; the primary, holding no copy, goes too.
    boto3.client("secretsmanager", US_2).create_secret(Name="team/reports", SecretString="x")
    secrets = boto3.client("secretsmanager", US)
    trail.call(secrets, "create_secret", Name="team/reports", SecretString="y",
               AddReplicaRegions=[{"Region": US_2}])
    outcomes = _reap_last(trail, clients)
    assert [(o.action, o.region) for o in outcomes] == [
        (reaper.KILLED, US_2), (reaper.KILLED, US)]
    assert outcomes[1].notes == [f"failed replications to {US_2} dropped",
                                 "deleted without a recovery window"]
    assert not secret_exists(US, "team/reports") and not secret_exists(US_2, "team/reports")


def test_a_secret_owned_by_another_service_is_left_to_its_owner():
    # An RDS master password: the RDS type kills the instance, the secret goes with it.
    secrets = boto3.client("secretsmanager", US)
    name = "rds!db-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    with Stubber(secrets) as stub:
        stub.add_response("list_secrets", {"SecretList": [
            {"ARN": f"arn:aws:secretsmanager:{US}:{ACCOUNT}:secret:{name}-Ab12Cd", "Name": name,
             "OwningService": "rds", "CreatedDate": WHEN},
            {"ARN": f"arn:aws:secretsmanager:{US}:{ACCOUNT}:secret:team/api-Xy34Zw",
             "Name": "team/api", "CreatedDate": WHEN}]}, {})
        unit = scan.Unit(ACCOUNT, US, SECRET)
        found = scan.list_unit(unit, {US}, RegionClients(us_east_1=secrets), Settings(),
                               scan._Counter())
        stub.add_response("describe_secret", {
            "ARN": f"arn:aws:secretsmanager:{US}:{ACCOUNT}:secret:{name}-Ab12Cd", "Name": name,
            "OwningService": "rds", "CreatedDate": WHEN}, {"SecretId": name})
        outcome = reaper.handle(Target(SECRET, name, US, ACCOUNT), Settings(dry_run=False),
                                RegionClients(us_east_1=secrets))
        stub.assert_no_pending_responses()
    assert [t.id for t in found] == ["team/api"]
    assert outcome.action == reaper.GONE


# --- KMS ----------------------------------------------------------------------------

def _key_state(region, key_id):
    return boto3.client("kms", region).describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]


def test_an_eu_key_loses_its_us_replica_and_keeps_itself(aws, trail, clients):
    key_id = create_key(trail, EU, multi_region=True)
    trail.call(boto3.client("kms", EU), "replicate_key", KeyId=key_id, ReplicaRegion=US)
    [outcome] = _reap_last(trail, clients)
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, key_id, US)
    assert outcome.notes == ["disabled", "deletion scheduled in 7 days (the shortest wait)"]
    assert not key_exists(US, key_id)
    assert _key_state(EU, key_id) == "Enabled"


def test_a_us_key_is_killed_and_its_eu_replica_untouched(aws, trail, clients):
    # Scheduling a primary's deletion leaves its replicas alone: AWS keeps the primary
    # (unusable) until they are gone; the EU replica keeps working.
    key_id = create_key(trail, US, multi_region=True)
    create_event = trail.events[-1]
    trail.call(boto3.client("kms", US), "replicate_key", KeyId=key_id, ReplicaRegion=EU_2)
    [spared] = _reap_last(trail, clients)
    [killed] = reaper.reap(create_event, Settings(dry_run=False), clients)
    assert (spared.action, spared.region) == (reaper.SPARED, EU_2)
    assert (killed.action, killed.region) == (reaper.KILLED, US)
    assert killed.notes[-1] == (f"its replicas in {EU_2} are not touched: KMS deletes the "
                                "primary after the last of them")
    assert not key_exists(US, key_id)
    assert _key_state(EU_2, key_id) == "Enabled"


def _key(key_id, region, manager="CUSTOMER", state="Enabled"):
    return {"KeyMetadata": {
        "AWSAccountId": ACCOUNT, "KeyId": key_id,
        "Arn": f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}", "CreationDate": WHEN,
        "Enabled": state == "Enabled", "Description": "", "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": state, "Origin": "AWS_KMS", "KeyManager": manager,
        "KeySpec": "SYMMETRIC_DEFAULT", "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": key_id.startswith("mrk-")}}


def _list_keys(*key_ids):
    return {"Keys": [{"KeyId": k, "KeyArn": f"arn:aws:kms:{US}:{ACCOUNT}:key/{k}"}
                     for k in key_ids], "Truncated": False}


def test_the_scan_lists_neither_aws_managed_keys_nor_keys_pending_deletion():
    # aws/s3, aws/ebs...: AWS makes them on a service's first use in a region and
    # owns them; a key pending deletion is on its way out. Neither is planned as a
    # kill (the breaker counts the plan) nor reported; a customer key is killed.
    kms = boto3.client("kms", US)
    managed, pending, team = ("7a9c1e3b-5d7f-4a9c-1e3b-5d7f9a1c3e5b",
                              "8b0d2f4c-6e8a-4b0d-2f4c-6e8a0b2d4f6c",
                              "9c1e3a5d-7f9b-4c1e-3a5d-7f9b1c3e5a7d")
    with Stubber(kms) as stub:
        stub.add_response("list_keys", _list_keys(managed, pending, team), {})
        stub.add_response("describe_key", _key(managed, US, manager="AWS"), {"KeyId": managed})
        stub.add_response("describe_key", _key(pending, US, state="PendingDeletion"),
                          {"KeyId": pending})
        stub.add_response("describe_key", _key(team, US), {"KeyId": team})
        stub.add_response("describe_key", _key(team, US), {"KeyId": team})  # the live check
        stub.add_response("disable_key", {}, {"KeyId": team})
        stub.add_response("schedule_key_deletion", {
            "KeyId": f"arn:aws:kms:{US}:{ACCOUNT}:key/{team}", "DeletionDate": WHEN,
            "KeyState": "PendingDeletion", "PendingWindowInDays": 7},
            {"KeyId": team, "PendingWindowInDays": 7})
        report = scan.run_units([scan.Unit(ACCOUNT, US, KEY)], {US}, Settings(dry_run=False),
                                RegionClients(us_east_1=kms), scan.Report())
        stub.assert_no_pending_responses()
    assert [(o.action, o.id) for o in report.outcomes] == [(reaper.KILLED, team)]


def test_an_aws_managed_key_is_never_touched_even_when_named():
    kms = boto3.client("kms", US)
    managed = "7a9c1e3b-5d7f-4a9c-1e3b-5d7f9a1c3e5b"
    with Stubber(kms) as stub:
        stub.add_response("describe_key", _key(managed, US, manager="AWS"), {"KeyId": managed})
        outcome = reaper.handle(Target(KEY, managed, US, ACCOUNT), Settings(dry_run=False),
                                RegionClients(us_east_1=kms))
        stub.assert_no_pending_responses()  # no DisableKey, no ScheduleKeyDeletion
    assert outcome.action == reaper.GONE


def test_a_key_the_scan_cannot_describe_is_listed_and_its_failure_reported():
    # A key policy that denies Monocyte's role: the live check says so.
    kms = boto3.client("kms", US)
    locked = "0d2f4b6e-8a0c-4d2f-4b6e-8a0c2d4f6b8e"
    with Stubber(kms) as stub:
        stub.add_response("list_keys", _list_keys(locked), {})
        for _ in range(2):
            stub.add_client_error("describe_key", "AccessDeniedException", http_status_code=400,
                                  expected_params={"KeyId": locked})
        report = scan.run_units([scan.Unit(ACCOUNT, US, KEY)], {US}, Settings(dry_run=False),
                                RegionClients(us_east_1=kms), scan.Report())
        stub.assert_no_pending_responses()
    [outcome] = report.outcomes
    assert outcome.action == reaper.FAILED and "AccessDeniedException" in outcome.reason


def test_a_replica_key_still_creating_is_deferred():
    kms = boto3.client("kms", US)
    key_id = "mrk-4e6a8c0e2a4c4e6a8c0e2a4c6e8a0c2e"
    with Stubber(kms) as stub:
        stub.add_response("describe_key", _key(key_id, US, state="Creating"), {"KeyId": key_id})
        stub.add_client_error("schedule_key_deletion", "KMSInvalidStateException",
                              http_status_code=400,
                              expected_params={"KeyId": key_id, "PendingWindowInDays": 7})
        [outcome] = reaper.reap(load_event("kms.ReplicateKey"), Settings(dry_run=False),
                                RegionClients(us_east_1=kms))
        stub.assert_no_pending_responses()  # no DisableKey on a key not yet Enabled
    assert (outcome.action, outcome.region) == (reaper.DEFERRED, US)


# --- Firehose -----------------------------------------------------------------------

def test_a_firehose_stream_still_creating_is_deferred():
    firehose = boto3.client("firehose", US)
    name = "clickstream-to-lake"
    with Stubber(firehose) as stub:
        stub.add_response("describe_delivery_stream", {"DeliveryStreamDescription": {
            "DeliveryStreamName": name,
            "DeliveryStreamARN": f"arn:aws:firehose:{US}:{ACCOUNT}:deliverystream/{name}",
            "DeliveryStreamStatus": "CREATING", "DeliveryStreamType": "DirectPut",
            "VersionId": "1", "CreateTimestamp": WHEN, "Destinations": [],
            "HasMoreDestinations": False}}, {"DeliveryStreamName": name})
        stub.add_client_error("delete_delivery_stream", "ResourceInUseException",
                              http_status_code=400,
                              expected_params={"DeliveryStreamName": name,
                                               "AllowForceDelete": True})
        [outcome] = reaper.reap(load_event("firehose.CreateDeliveryStream"),
                                Settings(dry_run=False), RegionClients(us_east_1=firehose))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.DEFERRED


def test_the_scan_lists_every_firehose_stream_in_one_call():
    # botocore has no paginator for ListDeliveryStreams (10 names by default): the
    # scan's one plain call asks for the most the API gives.
    firehose = boto3.client("firehose", US_2)
    with Stubber(firehose) as stub:
        stub.add_response("list_delivery_streams", {
            "DeliveryStreamNames": ["a", "b", "c"], "HasMoreDeliveryStreams": False},
            {"Limit": 10000})
        found = scan.list_unit(scan.Unit(ACCOUNT, US_2, "AWS::KinesisFirehose::DeliveryStream"),
                               {US_2}, RegionClients(us_west_2=firehose), Settings(),
                               scan._Counter())
        stub.assert_no_pending_responses()
    assert [t.id for t in found] == ["a", "b", "c"]


# --- DynamoDB global tables (moto has no replicas: Stubber) -------------------------

def _table(name, region, replicas, status="ACTIVE"):
    return {"Table": {
        "TableName": name, "TableStatus": status, "CreationDateTime": WHEN,
        "TableArn": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "GlobalTableVersion": "2019.11.21", "DeletionProtectionEnabled": False,
        "Replicas": [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in replicas]}}


def test_a_us_replica_of_an_eu_table_is_removed_through_the_eu_table():
    # dynamodb.UpdateTable: monocyte-probe-orders in Frankfurt gains a Virginia replica.
    name = "monocyte-probe-orders"
    us, eu = boto3.client("dynamodb", US), boto3.client("dynamodb", EU)
    with Stubber(us) as us_stub, Stubber(eu) as eu_stub:
        us_stub.add_response("describe_table", _table(name, US, [EU]), {"TableName": name})
        eu_stub.add_response("update_table", {"TableDescription": {"TableName": name}},
                             {"TableName": name,
                              "ReplicaUpdates": [{"Delete": {"RegionName": US}}]})
        [outcome] = reaper.reap(load_event("dynamodb.UpdateTable"), Settings(dry_run=False),
                                RegionClients(us_east_1=us, eu_central_1=eu))
        us_stub.assert_no_pending_responses()
        eu_stub.assert_no_pending_responses()  # one call there: no DeleteTable in the EU
    assert (outcome.action, outcome.region) == (reaper.KILLED, US)
    assert outcome.notes == [f"replica removed through {EU}"]


def test_a_us_table_with_an_eu_replica_loses_only_its_us_table():
    # UpdateTable in Virginia adds a Dublin replica: the replica is spared without a
    # call; the Virginia table (AWS::DynamoDB::Table, found by the scan) is deleted in
    # Virginia only, which leaves the Dublin replica.
    event = load_event("dynamodb.UpdateTable")
    event["detail"]["awsRegion"] = event["region"] = US
    event["detail"]["requestParameters"]["replicaUpdates"] = [{"create": {"regionName": EU_2}}]
    name = "monocyte-probe-orders"
    us, eu_2 = boto3.client("dynamodb", US), boto3.client("dynamodb", EU_2)
    with Stubber(us) as us_stub, Stubber(eu_2):  # nothing queued in Dublin: no call there
        [spared] = reaper.reap(event, Settings(dry_run=False),
                               RegionClients(us_east_1=us, eu_west_1=eu_2))
        us_stub.add_response("describe_table", _table(name, US, [EU_2]), {"TableName": name})
        us_stub.add_response("delete_table", {"TableDescription": {"TableName": name}},
                             {"TableName": name})
        killed = reaper.handle(Target("AWS::DynamoDB::Table", name, US, ACCOUNT),
                               Settings(dry_run=False),
                               RegionClients(us_east_1=us, eu_west_1=eu_2))
        us_stub.assert_no_pending_responses()
    assert (spared.action, spared.region) == (reaper.SPARED, EU_2)
    assert (killed.action, killed.region) == (reaper.KILLED, US)
