"""The nightly scan, against moto's server: every non-EU resource found and killed,
every EU one left alone, failures contained and reported."""
from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import aws, cli, reaper, registry, sandbox, scan
from chalicelib.aws import Clients
from chalicelib.config import Settings
from kinds import KINDS, PAGES
from conftest import OneClient

NON_EU = ("us-east-1", "ap-southeast-1", "eu-west-2")
EU = ("eu-central-1", "eu-west-1")


@pytest.fixture(scope="module")
def server():
    with sandbox.moto_server() as url:
        yield url


@pytest.fixture
def moto(server, moto_types, monkeypatch):
    """A fresh, empty emulator (moto builds a region's EC2 in about a second, so
    tests scan only the regions they need). The seeded kills pass the breaker's
    default limit on purpose: tests/test_breaker.py covers it."""
    monkeypatch.setenv("MONOCYTE_BREAKER_LIMIT", "0")
    urllib.request.urlopen(urllib.request.Request(f"{server}/moto-api/reset", method="POST"))
    return server


def seed(per_region: int = 2, regions=NON_EU + EU) -> dict[tuple[str, str], list[str]]:
    """Several of every type in EU and non-EU regions, buckets with versions."""
    trail = sandbox.Trail()
    made: dict[tuple[str, str], list[str]] = {}
    for region in regions:
        for cfn_type, (create, _) in KINDS.items():
            for _ in range(per_region):
                made.setdefault((cfn_type, region), []).append(create(trail, region))
    return made


def alive(made) -> dict[tuple[str, str], int]:
    return {key: sum(KINDS[key[0]][1](key[1], i) for i in ids) for key, ids in made.items()}


def run_cli(*args: str, capsys) -> tuple[int, str]:
    code = cli.main(["scan", *args])
    return code, capsys.readouterr().out


# One region of each kind proves what five did: a plain non-EU region, a non-EU
# region whose name starts with "eu-" (London), an EU region.
ONE_OF_EACH = ("us-east-1", "eu-west-2", "eu-central-1")


def test_scan_kill_leaves_the_eu_and_kills_everything_else(moto, capsys):
    made = seed(per_region=1, regions=ONE_OF_EACH)
    code, out = run_cli("--kill", capsys=capsys)  # not narrowed: every enabled region
    assert code == 0, out
    after = alive(made)
    for (cfn_type, region), count in after.items():
        expected = len(made[(cfn_type, region)]) if region in EU else 0
        assert count == expected, (cfn_type, region)
    # Nothing was ever made outside the seeded regions: scanning them again is enough.
    again_code, again = run_cli("--kill", "--json", "--regions", ",".join(ONE_OF_EACH),
                                capsys=capsys)
    assert again_code == 0
    assert again.strip() == "", "a second scan finds nothing"


def test_scan_without_kill_changes_nothing(moto, capsys):
    made = seed(per_region=1, regions=("us-east-1", "eu-central-1"))
    before = alive(made)
    code, out = run_cli("--regions", "us-east-1,eu-central-1", capsys=capsys)
    assert code == 0
    assert alive(made) == before
    assert "report only" in out
    totals = out.strip().splitlines()[-1].split()
    assert totals[0] == "TOTAL"


def test_json_output_is_one_object_per_outcome(moto, capsys):
    seed(per_region=1, regions=("us-east-1",))
    code, out = run_cli("--json", "--regions", "us-east-1", capsys=capsys)
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert {r["type"] for r in records} == set(KINDS)
    assert {r["action"] for r in records} == {reaper.WOULD_KILL}
    assert {r["region"] for r in records} == {"us-east-1"}


def test_types_and_regions_narrow_the_scan(moto, capsys):
    made = seed(per_region=1, regions=("us-east-1", "ap-southeast-1"))
    code, _ = run_cli("--kill", "--regions", "ap-southeast-1", "--types",
                      "AWS::DynamoDB::Table,AWS::S3::Bucket", capsys=capsys)
    assert code == 0
    after = alive(made)
    assert after[("AWS::DynamoDB::Table", "ap-southeast-1")] == 0
    assert after[("AWS::S3::Bucket", "ap-southeast-1")] == 0
    assert after[("AWS::DynamoDB::Table", "us-east-1")] == 1
    assert after[("AWS::EC2::Instance", "ap-southeast-1")] == 1


@pytest.mark.parametrize("args, message", [
    (["--regions", "us-east-1,moon-1"], "'moon-1'"),
    (["--types", "AWS::EC2::Spaceship"], "'AWS::EC2::Spaceship'"),
])
def test_bad_arguments_are_exit_2_and_change_nothing(moto, capsys, args, message):
    made = seed(per_region=1, regions=("us-east-1",))
    before = alive(made)
    assert cli.main(["scan", "--kill", *args]) == 2
    assert message in capsys.readouterr().err
    assert alive(made) == before


real_session = aws.new_session  # before a test replaces it


def _deny(region: str):
    """A session whose every call in ``region`` is refused, as an SCP would."""
    def session():
        made = real_session()

        def refuse(model, context=None, **kwargs):
            if (context or {}).get("client_region") == region:
                raise ClientError({"Error": {"Code": "AccessDenied",
                                             "Message": "denied by test"}}, model.name)
        made.events.register("before-call.*.*", refuse)
        return made
    return session


def test_a_failing_region_does_not_stop_the_others(moto, capsys, monkeypatch):
    made = seed(per_region=1, regions=("us-east-1", "ap-southeast-1", "eu-central-1"))
    monkeypatch.setattr(aws, "new_session", _deny("ap-southeast-1"))
    code, out = run_cli("--kill", "--regions", "us-east-1,ap-southeast-1,eu-central-1",
                        capsys=capsys)
    assert code == 1
    assert "FAILED ap-southeast-1" in out and "AccessDenied" in out
    after = alive(made)
    assert after[("AWS::DynamoDB::Table", "ap-southeast-1")] == 1
    for cfn_type in KINDS:
        assert after[(cfn_type, "us-east-1")] == 0
        assert after[(cfn_type, "eu-central-1")] == 1


@pytest.mark.parametrize("cfn_type", ["AWS::EC2::Instance", "AWS::RDS::DBInstance",
                                      "AWS::DynamoDB::Table"])
def test_more_resources_than_one_page_are_all_killed(cfn_type, moto):
    # The types whose list call moto pages; PageSize 5 is EC2's smallest.
    trail = sandbox.Trail()
    create, exists = KINDS[cfn_type]
    made = [create(trail, "us-east-1") for _ in range(7)]
    settings = Settings(dry_run=False, page_size=5)
    report = scan.scan(settings, Clients(settings), regions=["us-east-1"], types=[cfn_type])
    assert report.ok and report.list_calls == 2  # 5 + 2
    assert [exists("us-east-1", i) for i in made] == [False] * 7


def test_every_listed_type_has_a_page_of_its_list_call():
    assert sorted(PAGES) == sorted(t.cfn_type for t in registry.listed_types())


@pytest.mark.parametrize("cfn_type", sorted(PAGES))
def test_the_scan_follows_every_page_token(cfn_type):
    # For every type, moto or not: three pages joined by tokens are all read (one
    # page where the API has no paginator and answers everything at once).
    from botocore.stub import Stubber

    rtype = registry.get(cfn_type)
    client = boto3.client(rtype.service, "us-west-2")
    operation = client.meta.method_to_api_mapping[rtype.listing.operation]
    pages = 3 if client.can_paginate(rtype.listing.operation) else 1
    with Stubber(client) as stub:
        for n in range(pages):
            # Twelve characters: FSx's backup ids have no fewer.
            page = PAGES[cfn_type](f"res-{n:08d}")
            if n < pages - 1:
                token = scan._paginators(rtype.service)["pagination"][operation]["output_token"]
                page[token[0] if isinstance(token, list) else token] = f"token-{n}"
            stub.add_response(rtype.listing.operation, page)
        unit = scan.Unit("123456789012", "us-west-2", cfn_type)
        found = scan.list_unit(unit, {"us-west-2"}, OneClient(client), Settings(),
                               scan._Counter())
        stub.assert_no_pending_responses()
    assert [t.id for t in found] == [f"res-{n:08d}" for n in range(pages)]


def test_a_resource_older_than_the_grace_period_is_flagged_as_missed(moto):
    trail = sandbox.Trail()
    KINDS["AWS::DynamoDB::Table"][0](trail, "us-east-1")
    settings = Settings(dry_run=False, scan_grace_seconds=0)
    report = scan.scan(settings, Clients(settings), regions=["us-east-1"],
                       types=["AWS::DynamoDB::Table"])
    [outcome] = report.outcomes
    assert outcome.action == reaper.KILLED and outcome.missed


def test_a_fresh_resource_is_not_flagged_as_missed(moto):
    trail = sandbox.Trail()
    KINDS["AWS::DynamoDB::Table"][0](trail, "us-east-1")
    settings = Settings(dry_run=False, scan_grace_seconds=3600)
    report = scan.scan(settings, Clients(settings), regions=["us-east-1"],
                       types=["AWS::DynamoDB::Table"])
    assert [o.missed for o in report.outcomes] == [False]


def test_the_scan_respects_protection_patterns(moto):
    boto3.client("cloudformation", "us-east-1").create_stack(
        StackName="StackSet-monocyte-forwarders-0001", TemplateBody=KINDS_TEMPLATE)
    settings = Settings(dry_run=False)
    report = scan.scan(settings, Clients(settings), regions=["us-east-1"],
                       types=["AWS::CloudFormation::Stack"])
    [outcome] = report.outcomes
    assert outcome.action == reaper.SPARED


KINDS_TEMPLATE = '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}'
