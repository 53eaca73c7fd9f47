"""`monocyte coverage`: measured against this machine's botocore models."""
from __future__ import annotations

import json

from chalicelib import cli, coverage, registry


def test_every_registered_create_event_counts_as_handled():
    services = {s.service: s for s in coverage.measure()}
    handled = {(s.service, op) for s in services.values() for op in s.handled}
    assert ("ec2", "RunInstances") in handled
    assert ("s3", "CreateBucket") in handled
    claimed = {e.name for t in registry.all_types() for e in t.events}
    counted = {op for s in services.values() for op in s.handled}
    assert all(any(name.startswith(op) for op in counted) for name in claimed)


def test_global_services_are_not_counted():
    services = {s.service for s in coverage.measure()}
    assert not services & {"iam", "cloudfront", "route53", "organizations", "sts"}
    assert {"ec2", "lambda", "sqs"} <= services


def test_create_style_operations():
    assert coverage.is_create("RunInstances") and coverage.is_create("CopySnapshot")
    assert not coverage.is_create("DescribeInstances")
    assert not coverage.is_create("Createx")


def test_cli_prints_a_table_and_json(capsys):
    assert cli.main(["coverage"]) == 0
    assert "Overall:" in capsys.readouterr().out
    assert cli.main(["coverage", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["handled"] == sum(len(s["handled"]) for s in data["services"])
    assert 0 < data["total"]["percent"] < 100
