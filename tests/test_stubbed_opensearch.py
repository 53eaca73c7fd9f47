"""OpenSearch where moto cannot tell: a domain still processing, and the scan's listing
through the one-page paginator this module gives ListDomainNames (botocore has none).
botocore's Stubber plays OpenSearch with the real response shapes."""
from __future__ import annotations

import boto3
from botocore.stub import Stubber

from chalicelib import reaper, scan
from chalicelib.config import Settings
from conftest import OneClient, load_event

KILL = Settings(dry_run=False)
TYPE = "AWS::OpenSearchService::Domain"


def _status(name: str, processing: bool = False, deleted: bool = False) -> dict:
    return {"DomainStatus": {
        "DomainId": f"123456789012/{name}", "DomainName": name,
        "ARN": f"arn:aws:es:us-west-1:123456789012:domain/{name}", "Created": True,
        "Deleted": deleted, "Processing": processing, "ClusterConfig": {}}}


def test_a_domain_still_processing_that_refuses_is_deferred():
    opensearch = boto3.client("opensearch", "us-west-1")
    with Stubber(opensearch) as stub:
        stub.add_response("describe_domain", _status("product-search", processing=True),
                          {"DomainName": "product-search"})
        stub.add_client_error("delete_domain", "ValidationException",
                              "The domain is being processed.", 400,
                              expected_params={"DomainName": "product-search"})
        [outcome] = reaper.reap(load_event("es.CreateDomain"), KILL, OneClient(opensearch))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.DEFERRED


def test_a_domain_still_processing_is_deleted_when_aws_allows_it():
    opensearch = boto3.client("opensearch", "us-west-1")
    with Stubber(opensearch) as stub:
        stub.add_response("describe_domain", _status("product-search", processing=True),
                          {"DomainName": "product-search"})
        stub.add_response("delete_domain", _status("product-search", True, True),
                          {"DomainName": "product-search"})
        [outcome] = reaper.reap(load_event("es.CreateDomain"), KILL, OneClient(opensearch))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED


def test_a_domain_being_deleted_is_gone():
    opensearch = boto3.client("opensearch", "us-west-1")
    with Stubber(opensearch) as stub:
        stub.add_response("describe_domain", _status("product-search", True, True),
                          {"DomainName": "product-search"})
        [outcome] = reaper.reap(load_event("es.CreateDomain"), KILL, OneClient(opensearch))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.GONE


def test_the_scan_lists_every_domain_in_one_call():
    opensearch = boto3.client("opensearch", "us-west-1")
    with Stubber(opensearch) as stub:
        stub.add_response("list_domain_names", {"DomainNames": [
            {"DomainName": "product-search", "EngineType": "OpenSearch"},
            {"DomainName": "logs", "EngineType": "Elasticsearch"}]}, {})
        unit = scan.Unit("123456789012", "us-west-1", TYPE)
        calls = scan._Counter()
        found = scan.list_unit(unit, {"us-west-1"}, OneClient(opensearch), Settings(), calls)
        stub.assert_no_pending_responses()
    assert [(t.id, t.region) for t in found] == [("product-search", "us-west-1"),
                                                 ("logs", "us-west-1")]
    assert calls.value == 1
