"""Lightsail instances: moto has no Lightsail, so they are tested with botocore's
Stubber (tests/test_stubbed_lightsail.py)."""
from __future__ import annotations

STUBBED = {"AWS::Lightsail::Instance"}

PAGES = {
    "AWS::Lightsail::Instance": lambda n: {"instances": [{
        "name": n, "arn": f"arn:aws:lightsail:us-west-2:123456789012:Instance/{n}",
        "createdAt": "2026-01-01T00:00:00Z", "state": {"code": 16, "name": "running"}}]},
}
