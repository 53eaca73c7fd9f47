"""Replicas of DynamoDB global tables version 2017.11.29: moto 5 has neither
CreateGlobalTable nor UpdateGlobalTable, so they are tested with botocore's Stubber
(tests/test_stubbed_dynamodb_global_legacy.py)."""
from __future__ import annotations

STUBBED = {"AWS::DynamoDB::LegacyGlobalTable"}
# No PAGES: the type has no listing; members are scanned as AWS::DynamoDB::Table.
