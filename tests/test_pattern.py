"""The event pattern of `reap` and the forwarders, judged by moto's own EventBridge
matcher (moto.events.models.EventPattern) and measured against EventBridge's quota."""
from __future__ import annotations

import copy
import json
import pathlib

import boto3
import pytest
from moto.events.models import EventPattern

from chalicelib import config, pattern, registry, templates
from chalicelib.config import EU_REGIONS, Settings
from conftest import central_session, load_event, observe_bus

CONFIG = pathlib.Path(__file__).parent.parent / ".chalice" / "config.json"
EU = pattern.build(EU_REGIONS)


def call(source: str, name: str, region: str, envelope: str | None = None, **detail) -> dict:
    """A CloudTrail call as EventBridge delivers it. Only the envelope and the fields
    the pattern reads are set (see docs/cloudtrail-shapes.md, "Pattern samples");
    request shapes are the services' own where a test reads them."""
    body = {"eventVersion": "1.09", "eventTime": "2026-12-01T09:00:00Z",
            "eventSource": source, "eventName": name, "awsRegion": region,
            "userIdentity": {"type": "IAMUser", "accountId": "123456789012",
                             "arn": "arn:aws:iam::123456789012:user/dev"},
            "requestParameters": {}, "responseElements": {}, "readOnly": False,
            "eventID": f"evt-{name}-{region}", "eventType": "AwsApiCall",
            "managementEvent": True, "recipientAccountId": "123456789012"}
    body.update(detail)
    return {"version": "0", "id": f"id-{name}-{region}",
            "detail-type": "AWS API Call via CloudTrail",
            "source": envelope or "aws." + source.split(".")[0],
            "account": "123456789012", "time": body["eventTime"], "region": region,
            "resources": [], "detail": body}


def forwards(event: dict, rule: dict = EU) -> bool:
    return EventPattern(json.dumps(rule), rule).matches_event(event)


# Services Monocyte has no type for (issue 10): their creates outside the EU must
# still reach the reaper.
UNCOVERED = [
    ("cognito-idp.amazonaws.com", "CreateUserPool"),
    ("cognito-identity.amazonaws.com", "CreateIdentityPool"),
    ("logs.amazonaws.com", "CreateLogGroup"),
    ("kafka.amazonaws.com", "CreateClusterV2"),
    ("backup.amazonaws.com", "CreateBackupVault"),
    ("memorydb.amazonaws.com", "CreateCluster"),
    ("fsx.amazonaws.com", "CreateFileSystem"),
    ("bedrock.amazonaws.com", "CreateKnowledgeBase"),
    ("timestream.amazonaws.com", "CreateDatabase"),
    ("acm.amazonaws.com", "RequestCertificate"),
    ("acm.amazonaws.com", "ImportCertificate"),
    ("athena.amazonaws.com", "CreateWorkGroup"),
    ("qldb.amazonaws.com", "CreateLedger"),
    ("elasticmapreduce.amazonaws.com", "RunJobFlow"),
    ("lambda.amazonaws.com", "PublishLayerVersion20181031"),
    ("servicecatalog.amazonaws.com", "ProvisionProduct"),
    ("ec2.amazonaws.com", "AllocateAddress"),
]
RESTORES = [
    ("rds.amazonaws.com", "RestoreDBInstanceFromDBSnapshot"),
    ("rds.amazonaws.com", "RestoreDBClusterToPointInTime"),
    ("rds.amazonaws.com", "CreateDBInstanceReadReplica"),
    ("rds.amazonaws.com", "CopyDBSnapshot"),
    ("dynamodb.amazonaws.com", "RestoreTableFromBackup"),
    ("ec2.amazonaws.com", "CopyImage"),
]


@pytest.mark.parametrize("source, name", UNCOVERED + RESTORES)
@pytest.mark.parametrize("region", ["us-east-1", "ap-southeast-2", "eu-west-2"])
def test_create_calls_outside_the_eu_are_forwarded(source, name, region):
    assert forwards(call(source, name, region))


@pytest.mark.parametrize("source, name", UNCOVERED + RESTORES)
def test_the_same_calls_inside_the_eu_are_not(source, name):
    assert not forwards(call(source, name, "eu-central-1"))


@pytest.mark.parametrize("source, name", pattern.CROSS_REGION_CALLS)
@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1"])
def test_calls_that_place_data_elsewhere_are_forwarded_from_any_region(source, name, region):
    assert forwards(call(source, name, region))


@pytest.mark.parametrize("source, name, envelope", [
    ("iam.amazonaws.com", "CreateRole", None),
    ("iam.amazonaws.com", "CreateUser", None),
    ("iam.amazonaws.com", "CreateServiceLinkedRole", None),
    ("sts.amazonaws.com", "AssumeRole", None),
    ("sts.amazonaws.com", "GetSessionToken", None),
    ("organizations.amazonaws.com", "CreateAccount", None),
    ("organizations.amazonaws.com", "CreatePolicy", None),
    ("cloudfront.amazonaws.com", "CreateDistribution", None),
    ("cloudfront.amazonaws.com", "CreateInvalidation", None),
    ("route53.amazonaws.com", "CreateHostedZone", None),
    ("route53domains.amazonaws.com", "RegisterDomain", None),
    ("support.amazonaws.com", "CreateCase", None),
])
def test_global_services_are_not_forwarded(source, name, envelope):
    assert not forwards(call(source, name, "us-east-1", envelope))


def test_read_only_and_failed_calls_are_not_forwarded():
    read_only = load_event("ec2.DescribeInstances.readonly")
    read_only["detail"]["eventName"] = "CreatePresignedDomainUrl"  # create-style, read-only
    failed = load_event("ec2.RunInstances.failed")
    assert failed["detail"]["awsRegion"] not in EU_REGIONS
    assert not forwards(read_only) and not forwards(failed)
    assert not forwards(call("kms.amazonaws.com", "ReplicateKey", "eu-west-1",
                             errorCode="AccessDenied"))
    succeeded = copy.deepcopy(failed)
    del succeeded["detail"]["errorCode"]
    assert forwards(succeeded)


def test_a_record_without_read_only_or_with_an_empty_error_is_kept():
    event = call("logs.amazonaws.com", "CreateLogGroup", "us-east-1", errorCode="")
    del event["detail"]["readOnly"]
    assert forwards(event)


def test_every_recorded_sample_outside_the_eu_is_forwarded():
    samples = sorted(p.stem for p in (pathlib.Path(__file__).parent / "events").glob("*.json"))
    for name in samples:
        event = load_event(name)
        if ".failed" in name or ".readonly" in name:
            continue
        if event["detail"]["awsRegion"] in EU_REGIONS:
            continue
        assert forwards(event), name


def test_create_style_names():
    for name in ("CreateUserPool", "RunInstances", "CreateFunction20150331", "Publish",
                 "RestoreTableFromBackup", "ProvisionProduct"):
        assert pattern.is_create_style(name), name
    for name in ("DescribeInstances", "StartCopyJob", "UpdateTable", "Creates", "Runtime",
                 "DeleteBucket", "", "PutObject"):
        assert not pattern.is_create_style(name), name


def test_global_services_come_from_botocore_and_s3_is_not_one():
    found = pattern.global_services()
    for name in ("iam", "organizations", "cloudfront", "route53", "support", "waf"):
        assert name in found
    assert "s3" not in found and "ec2" not in found
    assert sum(1 for why in found.values() if why.startswith("botocore")) >= 10


def test_the_cross_region_product_adds_no_other_call():
    """Sources and names of CROSS_REGION_CALLS are matched as a product: no source
    may have, in botocore's model, an operation named like another source's call."""
    import botocore.loaders

    loader = botocore.loaders.create_loader()
    operations: dict[str, set[str]] = {}
    for service in loader.list_available_services("service-2"):
        meta = loader.load_service_model(service, "service-2")["metadata"]
        ops = set(loader.load_service_model(service, "service-2")["operations"])
        for name in {meta.get("endpointPrefix"), meta.get("signingName"), service}:
            if name:
                operations.setdefault(name, set()).update(ops)
    names = set(pattern.cross_region_names())
    for source in pattern.cross_region_sources():
        own = {n for s, n in pattern.CROSS_REGION_CALLS if s == source}
        prefix = source.split(".")[0]
        assert prefix in operations, source
        assert own <= operations[prefix], (source, own - operations[prefix])
        assert operations[prefix] & names == own, (source, operations[prefix] & names - own)


def test_size_does_not_depend_on_the_registered_types(monkeypatch):
    before = pattern.size(registry.event_pattern())
    monkeypatch.setattr(registry, "all_types", lambda: ())
    assert pattern.size(registry.event_pattern()) == before


COMMERCIAL = sorted(boto3.session.Session().get_available_regions("ec2"))


@pytest.mark.parametrize("left_out", COMMERCIAL)
def test_the_pattern_fits_eventbridges_quota_with_every_region_allowed_but_one(left_out):
    allowed = [r for r in COMMERCIAL if r != left_out]
    built = pattern.build(allowed)
    assert pattern.size(built) <= pattern.EVENT_PATTERN_MAX_CHARS
    assert forwards(call("logs.amazonaws.com", "CreateLogGroup", left_out), built)
    assert not forwards(call("logs.amazonaws.com", "CreateLogGroup", allowed[0]), built)


def test_the_deployed_artefacts_fit_the_quota_and_carry_the_deploy_time_pattern(monkeypatch):
    from app import app

    stage = json.loads(CONFIG.read_text())["environment_variables"]
    allowed = config.parse_regions(stage["MONOCYTE_ALLOWED_REGIONS"])
    [handler] = [h for h in app.event_sources if h.name == "reap"]
    assert handler.event_pattern == pattern.build(allowed)
    forwarders = templates.render("forwarders", Settings(allowed_regions=allowed))
    rule = forwarders["Resources"]["ForwardRule"]["Properties"]["EventPattern"]
    assert rule == handler.event_pattern
    for artefact in (handler.event_pattern, rule):
        assert pattern.size(artefact) <= pattern.EVENT_PATTERN_MAX_CHARS
    # Settings at deploy time decide: London allowed, London's creates stay home.
    monkeypatch.setenv("MONOCYTE_ALLOWED_REGIONS", ",".join([*EU_REGIONS, "eu-west-2"]))
    assert not forwards(call("logs.amazonaws.com", "CreateLogGroup", "eu-west-2"),
                        registry.event_pattern())


# --- in moto: a rule with the forwarders' pattern delivers to the central bus ------

CENTRAL, HOME = "210987654321", "eu-central-1"


def _central_bus_observer():
    return observe_bus(central_session(CENTRAL, HOME), HOME)


def test_a_forwarder_rule_delivers_an_uncovered_create_to_the_central_bus(aws):
    rendered = templates.render("forwarders", Settings())
    rule = rendered["Resources"]["ForwardRule"]["Properties"]
    member = boto3.client("events", region_name="us-east-1")
    member.put_rule(Name=rule["Name"], EventPattern=json.dumps(rule["EventPattern"]))
    member.put_targets(Rule=rule["Name"], Targets=[{
        "Id": "central", "Arn": f"arn:aws:events:{HOME}:{CENTRAL}:event-bus/default",
        "RoleArn": "arn:aws:iam::123456789012:role/monocyte-forwarder"}])
    received = _central_bus_observer()
    # moto accepts an aws.* source from a client (real EventBridge does not: only
    # CloudTrail puts those), so the recorded detail itself is put.
    for event in (load_event("cognito-identity.CreateIdentityPool"),
                  call("iam.amazonaws.com", "CreateRole", "us-east-1")):
        answer = member.put_events(Entries=[{"Source": event["source"],
                                             "DetailType": event["detail-type"],
                                             "Detail": json.dumps(event["detail"])}])
        assert answer["FailedEntryCount"] == 0
    [forwarded] = received()
    assert forwarded["detail"]["eventName"] == "CreateIdentityPool"
    assert forwarded["detail"]["awsRegion"] == "us-east-1"


def test_every_registered_create_event_outside_the_eu_is_forwarded():
    """A type whose event the pattern would drop is a type that never fires: its
    name must be create-style or one of CROSS_REGION_CALLS."""
    for rtype in registry.all_types():
        for event in rtype.events:
            assert forwards(call(event.source, event.name, "us-east-1", event.aws_source)), (
                rtype.cfn_type, event.name)


def test_the_cross_region_branch_names_each_service_by_the_source_the_reaper_expects(
        monkeypatch):
    """The branch matches the envelope's source. CloudWatch logs as
    monitoring.amazonaws.com but publishes aws.cloudwatch: were such a call listed,
    its event (from an EU region) must still be forwarded."""
    calls = pattern.CROSS_REGION_CALLS + (("monitoring.amazonaws.com", "PutDashboard"),)
    monkeypatch.setattr(pattern, "CROSS_REGION_CALLS", calls)
    built = pattern.build({"eu-central-1"})
    event = call("monitoring.amazonaws.com", "PutDashboard", "eu-central-1",
                 envelope="aws.cloudwatch")
    assert forwards(event, built)
