"""S3 Express One Zone directory buckets: moto does not make them, so they are
tested with botocore's Stubber (tests/test_stubbed_s3express.py)."""
from __future__ import annotations

STUBBED = {"AWS::S3Express::DirectoryBucket"}

PAGES = {
    "AWS::S3Express::DirectoryBucket": lambda n: {"Buckets": [{
        "Name": n, "CreationDate": "2026-01-01T00:00:00Z"}]},
}
