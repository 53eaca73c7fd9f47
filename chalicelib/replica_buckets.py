"""The destination bucket of an S3 replication rule out of the EU, killed where it lives.

``PutBucketReplication`` on an EU bucket names each destination by its ARN (and,
across accounts, ``Destination.Account``), never by region: the record cannot say
where the copy lives, so the data-flow report says "region unknown". The event path
then asks the bucket: one GetBucketLocation (a read, granted in every region) with
``ExpectedBucketOwner`` set to the caller's account, so that a bucket of anyone else
is never taken for ours. A bucket outside the allowed regions becomes an
``AWS::S3::Bucket`` target like any other and goes through the whole decision
(policy, exemptions, the live check, which asks the bucket again, the breaker, dry
run). The EU source bucket and its replication configuration are never touched: no
call is made on them, and every write lands in the destination's region.

The bucket is looked for in the caller's account, or in the account the rule names
when that is one Monocyte watches (chalicelib.fleet.accounts: the fixed list or the
organization's), through that account's member role. A destination in any other
account is only reported (the flow's reason says it is outside the organization as
far as the record shows). ``monocyte explain`` stays offline: it reports the flow
and cannot say where the bucket is.

S3 refuses a replication rule whose destination does not exist, so the bucket was
made before the rule, by a CreateBucket the event path judged already: this catches
one that was missed or predates Monocyte, the night before the scan would.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from chalicelib import dataflow, log
from chalicelib.errors import AwsError, NotFound, aws_errors
from chalicelib.events import Target
from chalicelib.resources.s3 import bucket_region

BUCKET = "AWS::S3::Bucket"


def _locate(clients: Any, region: str, name: str, account: str) -> str | None:
    """Where the caller's bucket ``name`` lives; None when it is not the caller's
    (or gone, or S3 refuses to say). Asked through ``region``'s endpoint."""
    try:
        client = clients.client("s3", region, account)
        with aws_errors(not_found=("NoSuchBucket",)):
            answer = client.get_bucket_location(Bucket=name, ExpectedBucketOwner=account)
    except NotFound:
        return None
    except AwsError as error:  # AccessDenied: another owner's; or S3 failed
        log.emit("unplaced", logging.WARNING, reason=f"{BUCKET} {name}: not located: "
                 f"{error}", account=account)
        return None
    return bucket_region(answer.get("LocationConstraint"))


def targets(event: Any, settings: Any, clients: Any) -> list[Target]:
    """The caller's destination buckets of ``event`` (an S3 PutBucketReplication
    logged in an allowed region) that live outside the allowed regions."""
    flow = dataflow.FLOWS.get((event.event_source, event.event_name))
    params = event.detail.get("requestParameters")
    if not flow or not flow.bucket or not isinstance(params, dict):
        return []
    from chalicelib import fleet

    found = []
    for dest in dataflow.destinations(flow, params):
        account = dest.account or event.account or ""
        if not dest.bucket or dest.bucket.startswith("arn:") or \
                not fleet.watches(account, event.account, settings, clients):
            continue  # not a bucket name, or an account we do not watch: reported only
        region = _locate(clients, event.aws_region, dest.bucket, account)
        if region and not settings.allows(region):
            # Like a scanned resource: the replication's caller did not create it.
            found.append(Target(BUCKET, dest.bucket, region, account, event.name))
    return found


def kill(event: Any, settings: Any, clients: Any,
         handle: Callable[..., Any], verdicts: Callable[[Any], None] | None,
         breaker: Any) -> list[Any]:
    """The outcomes of the destination buckets' kills (``handle``: reaper.handle)."""
    outcomes = []
    for target in targets(event, settings, clients):
        outcome = handle(target, settings, clients, breaker=breaker)
        if verdicts:
            verdicts(outcome)
        outcomes.append(outcome)
    return outcomes
