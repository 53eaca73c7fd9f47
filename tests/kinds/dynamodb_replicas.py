"""DynamoDB global-table replicas: moto 5 ignores UpdateTable's ReplicaUpdates, so
they are tested with botocore's Stubber (tests/test_stubbed_dynamodb_replicas.py)."""
from __future__ import annotations

GLOBAL_TABLE = "AWS::DynamoDB::GlobalTable"

STUBBED = {GLOBAL_TABLE}
# No PAGES: the type has no listing; replicas are scanned as AWS::DynamoDB::Table.
