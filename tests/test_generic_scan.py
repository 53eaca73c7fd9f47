"""The nightly scan lists and kills generic types as it does curated ones: moto makes
the resources, the Cloud Control stand-in speaks for them, the scan's units, breaker,
exemptions and dry run decide. Six services, each with an EU twin that must survive."""
from __future__ import annotations

import boto3
import pytest

from chalicelib import cli, reaper, scan
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.generic import scanning, standin
from conftest import make_served

OUT, EU = "us-east-1", "eu-central-1"


# Rows of the generated table the stand-in serves: logs, athena, cognito-idp,
# cognito-identity, glue, backup.
TYPES = sorted(n for n in standin.KINDS if scanning.is_generic(n))


def _ids(type_name: str, region: str) -> list[str]:
    with standin.serving():
        client = boto3.client("cloudcontrol", region)
        return sorted(d["Identifier"] for d in client.list_resources(
            TypeName=type_name)["ResourceDescriptions"])


@pytest.fixture
def cloud_control(aws):
    with standin.serving() as url:
        yield url


def test_the_sample_spans_at_least_five_services():
    assert len({scanning._rows()[n].service for n in TYPES}) >= 5


def test_scan_kill_kills_generic_types_outside_the_eu_and_their_eu_twins_survive(
        cloud_control, capsys):
    made = {n: make_served(n, OUT, "abroad") for n in TYPES}
    twins = {n: make_served(n, EU, "abroad") for n in TYPES}
    code = cli.main(["scan", "--kill", "--json", "--regions", f"{OUT},{EU}",
                     "--types", ",".join(TYPES)])
    assert code == 0, capsys.readouterr()
    with standin.serving():
        for name in TYPES:
            client = boto3.client("cloudcontrol", OUT)
            listed = [d["Identifier"] for d in client.list_resources(
                TypeName=name)["ResourceDescriptions"]]
            assert made[name] not in listed, name
            eu = boto3.client("cloudcontrol", EU).list_resources(TypeName=name)
            assert twins[name] in [d["Identifier"] for d in eu["ResourceDescriptions"]], name


def test_a_scan_reports_generic_kills_per_region_and_type_and_athenas_primary_is_no_finding(
        cloud_control):
    made = {n: make_served(n, OUT, "abroad") for n in TYPES}
    settings = Settings(dry_run=False)
    report = scan.scan(settings, Clients(settings), regions=[OUT, EU], types=TYPES)
    assert report.ok, report.failures
    assert sorted((o.type, o.id, o.action) for o in report.outcomes) == sorted(
        (n, i, reaper.KILLED) for n, i in made.items())
    assert report.regions == [OUT]  # an allowed region is never scanned
    assert report.units == len(TYPES)  # one (account, region, type) unit each
    assert report.list_calls >= len(TYPES)
    assert not any(o.id == "primary" for o in report.outcomes)
    assert boto3.client("athena", OUT).list_work_groups()["WorkGroups"][0]["Name"] == "primary"
    rows = {(r["region"], r["type"]): r for r in report.summary()}
    assert rows[(OUT, "AWS::Glue::Job")][reaper.KILLED] == 1


def test_a_dry_run_scan_reports_would_kill_and_deletes_nothing(cloud_control):
    make_served("AWS::Glue::Job", OUT, "abroad")
    settings = Settings(dry_run=True)
    report = scan.scan(settings, Clients(settings), regions=[OUT], types=["AWS::Glue::Job"])
    assert [(o.id, o.action) for o in report.outcomes] == [("abroad", reaper.WOULD_KILL)]
    assert [j["Name"] for j in boto3.client("glue", OUT).get_jobs()["Jobs"]] == ["abroad"]


def test_an_exempt_generic_resource_is_spared(cloud_control):
    import datetime
    import json

    from chalicelib.exemptions import parse

    make_served("AWS::Logs::LogGroup", OUT, "keep-me")
    until = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    settings = Settings(dry_run=False, exemptions=parse(json.dumps([{
        "type": "AWS::Logs::*", "id": "keep-*", "reason": "audit trail",
        "owner": "sec@example.com", "expires": until}])))
    report = scan.scan(settings, Clients(settings), regions=[OUT],
                       types=["AWS::Logs::LogGroup"])
    assert [o.action for o in report.outcomes] == [reaper.SPARED]
    assert boto3.client("logs", OUT).describe_log_groups()["logGroups"]


def test_the_breaker_holds_generic_kills_as_it_holds_curated_ones(cloud_control):
    from chalicelib import breaker

    for name in ("one", "two", "three"):
        make_served("AWS::Glue::Job", OUT, name)
    settings = Settings(dry_run=False, breaker_limit=10, breaker_account_limit=2)
    clients = Clients(settings)
    fuse = breaker.build(settings, clients)
    report = scan.scan(settings, clients, regions=[OUT], types=["AWS::Glue::Job"],
                       breaker=fuse)
    assert {o.action for o in report.outcomes} == {reaper.WOULD_KILL}
    assert len(boto3.client("glue", OUT).get_jobs()["Jobs"]) == 3


def test_a_full_scan_plans_the_generic_table_and_scan_types_accepts_its_names():
    names = {getattr(t, "type_name", getattr(t, "cfn_type", None))
             for t in scanning.chosen(None)}
    assert "AWS::Cognito::UserPool" in names and "AWS::DynamoDB::Table" in names
    assert scanning.is_generic("AWS::Glue::Job")
    assert not scanning.is_generic("AWS::DynamoDB::Table")  # curated wins
    assert cli.main(["scan", "--types", "AWS::Nope::Thing"]) == 2


def test_a_type_cloud_control_does_not_offer_in_a_region_is_no_failure(cloud_control):
    settings = Settings(dry_run=True)
    unit = scan.Unit("123456789012", OUT, "AWS::MSK::Cluster")  # not in the stand-in
    assert scanning.list_unit(unit, Clients(settings)) == []
