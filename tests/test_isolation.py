"""No test can reach real AWS: outside moto, a call fails before it leaves."""
from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError


def test_a_call_outside_moto_never_reaches_aws():
    client = boto3.client("sts", "us-east-1", config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(EndpointConnectionError) as refused:
        client.get_caller_identity()
    assert "tests must not reach real AWS" in str(refused.value.kwargs["error"])


def test_the_local_stand_ins_are_still_reachable(aws):
    # moto in process: no socket at all.
    assert boto3.client("sts", "us-east-1").get_caller_identity()["Account"]
