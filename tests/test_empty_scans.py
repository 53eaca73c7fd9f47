"""A scan that would do nothing says why: bad --types/--regions are one line and exit
2 before any AWS call; a scan that planned no units says why in its summary."""
from __future__ import annotations

import pytest

from chalicelib import aws, cli, scan, scan_args


@pytest.fixture
def no_aws(monkeypatch):
    """Any AWS call fails the test: bad input must be refused before one."""
    def refuse(*_, **__):
        raise AssertionError("an AWS session was made")
    monkeypatch.setattr(aws, "new_session", refuse)


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and captured.out == "", captured
    return lines[0]


@pytest.mark.parametrize("args, says", [
    (["--regions", "eu-central-1"],
     "--regions: eu-central-1 is allowed (MONOCYTE_ALLOWED_REGIONS) and never scanned: "
     "nothing to scan"),
    (["--regions", ""], "--regions is empty"),
    (["--types", "AWS::DynamoDB::GlobalTable"],
     "AWS::DynamoDB::GlobalTable is event-only (no list call to scan; the event path "
     "handles it): nothing to scan"),
    (["--types", ","], "--types names no type"),
    (["--types", "AWS::S3::Bukket"], "unknown type 'AWS::S3::Bukket' (did you mean "
                                     "'AWS::S3::Bucket'?)"),
])
def test_a_scan_that_would_do_nothing_is_one_line_and_exit_2(no_aws, capsys, args, says):
    assert cli.main(["scan", "--kill", *args]) == 2
    assert says in one_error_line(capsys)


def test_type_names_are_case_insensitive_where_one_type_matches():
    assert scan_args.parse_types("aws::s3::bucket, AWS::SQS::QUEUE") == [
        "AWS::S3::Bucket", "AWS::SQS::Queue"]


def test_an_event_only_type_among_listed_ones_is_noted_and_left_out(capsys):
    assert scan_args.parse_types("AWS::DynamoDB::GlobalTable,AWS::S3::Bucket") == [
        "AWS::S3::Bucket"]
    assert "AWS::DynamoDB::GlobalTable is event-only" in capsys.readouterr().err


def test_allowed_regions_among_others_are_noted(capsys):
    scan_args.check_regions(["eu-central-1", "us-east-1"], frozenset({"eu-central-1"}))
    assert "eu-central-1 is allowed" in capsys.readouterr().err


def test_the_summary_says_why_no_units_were_found():
    assert "every region the account has enabled is allowed" in scan_args.why_no_units(
        scan.Report())
    assert "no account could be reached" in scan_args.why_no_units(scan.Report(
        failures=[scan.Failure(scan.Unit("1", "*", "(account)"), "denied")]))
    assert "none of the chosen types is offered in these regions" in scan_args.why_no_units(
        scan.Report(regions=["us-east-1"]))


def test_a_scan_with_no_units_prints_why(aws, monkeypatch, capsys):
    monkeypatch.setattr(scan, "scan", lambda *a, **k: scan.Report())
    assert cli.main(["scan"]) == 0
    out = capsys.readouterr().out
    assert "Scanned 0 regions outside the allowed set, 0 units, 0 list calls." in out
    assert "No units: every region the account has enabled is allowed" in out
