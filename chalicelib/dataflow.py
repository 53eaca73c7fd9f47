"""Replication set-ups that send data out of the allowed regions: reported, never deleted.

A replication rule on an EU resource (an S3 bucket, an ECR registry, a Redshift
cluster, an EFS file system) is logged where the EU resource lives, and names the
destination in its request. The rule belongs to the EU resource, so Monocyte never
deletes it (the prime directive); what it creates outside is killed where it lands,
by the types that own it. The rule itself is a *data flow out of the EU*: recorded,
posted to Slack once a day per (account, source resource, destination region) and
listed in the nightly summary.

One declarative row per call: where the source resource is named, and where each
destination's region and account are (JMESPath against ``requestParameters``, whose
shape follows the API's in botocore's models; S3's follows the XML body).
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

import jmespath

from chalicelib.config import Settings, known_regions

DATA_FLOW = "data-flow"  # the outcome's action (chalicelib.reaper.Outcome)


@dataclasses.dataclass(frozen=True)
class Flow:
    """What one replication call names: its source and its destinations."""

    what: str         # the source resource's kind, in words
    source: str       # JMESPath to the source's name ("": the caller's account)
    destinations: str  # JMESPath to a list of destination objects (or one object)
    region: str       # JMESPath, in one destination, to its region ("" : never named)
    account: str = ""  # JMESPath, in one destination, to its account
    bucket: str = ""  # JMESPath, in one destination, to an S3 bucket ARN


FLOWS: dict[tuple[str, str], Flow] = {
    # XML body: one <Rule> becomes an object, several a list; both are read.
    ("s3.amazonaws.com", "PutBucketReplication"): Flow(
        "S3 bucket", "bucketName || Bucket",
        "ReplicationConfiguration.Rule", "", account="Destination.Account",
        bucket="Destination.Bucket"),
    ("ecr.amazonaws.com", "PutReplicationConfiguration"): Flow(
        "ECR registry", "", "replicationConfiguration.rules[].destinations[]",
        "region", account="registryId"),
    # Query protocol: CloudTrail writes the members in lower camel case.
    ("redshift.amazonaws.com", "EnableSnapshotCopy"): Flow(
        "Redshift cluster", "clusterIdentifier || ClusterIdentifier",
        "[@]", "destinationRegion || DestinationRegion"),
    ("elasticfilesystem.amazonaws.com", "CreateReplicationConfiguration"): Flow(
        "EFS file system", "sourceFileSystemId || SourceFileSystemId",
        "destinations || Destinations", "region || Region"),
}

_BUCKET_ARN = re.compile(r"arn:aws[\w-]*:s3:::([^/]+)$")


@dataclasses.dataclass(frozen=True)
class Destination:
    """Where one flow goes. ``region`` is "" when the record does not say."""

    region: str
    account: str = ""
    bucket: str = ""


def covers(event_source: str, event_name: str) -> bool:
    return (event_source, event_name) in FLOWS


def destinations(flow: Flow, params: dict) -> list[Destination]:
    """Every destination the request names, in order, without repeats."""
    found = jmespath.search(flow.destinations, params)
    if isinstance(found, dict):
        found = [found]
    out: list[Destination] = []
    for item in found if isinstance(found, list) else []:
        if not isinstance(item, dict):
            continue
        region = _text(jmespath.search(flow.region, item)) if flow.region else ""
        account = _text(jmespath.search(flow.account, item)) if flow.account else ""
        bucket = ""
        if flow.bucket:
            arn = _text(jmespath.search(flow.bucket, item))
            match = _BUCKET_ARN.match(arn)
            bucket = match.group(1) if match else arn
        dest = Destination(region, account, bucket)
        if dest not in out:
            out.append(dest)
    return out


def _text(value: Any) -> str:
    return value if isinstance(value, str) and len(value) <= 2048 else ""


@dataclasses.dataclass(frozen=True)
class Report:
    """One data flow out of the allowed regions, ready to become an outcome."""

    source: str       # the EU resource's name
    what: str
    destination: str  # the destination region, or "unknown"
    reason: str


def reports(event: Any, settings: Settings) -> list[Report]:
    """The data flows out of the allowed regions that ``event`` (a CloudTrailEvent of
    a call in :data:`FLOWS`) sets up. None for a failed call, a call logged outside the
    allowed regions (its resource there is judged on its own), or destinations all in
    the allowed regions."""
    flow = FLOWS.get((event.event_source, event.event_name))
    if not flow or event.error_code or not settings.allows(event.aws_region):
        return []
    params = event.detail.get("requestParameters")
    if not isinstance(params, dict):
        return []
    source = _text(jmespath.search(flow.source, params)) if flow.source else ""
    # ECR's rules belong to the caller's registry, named by its account.
    source = source or (event.account if not flow.source else "unknown")
    found = []
    for dest in destinations(flow, params):
        if dest.region and dest.region in known_regions() and settings.allows(dest.region):
            continue
        found.append(_report(flow, source, dest, event))
    return found


def _report(flow: Flow, source: str, dest: Destination, event: Any) -> Report:
    where = dest.region or "unknown"
    if dest.bucket and not dest.region:
        to = f"destination bucket {dest.bucket}, region unknown from the record"
    elif dest.bucket:
        to = f"destination bucket {dest.bucket} in {dest.region}"
    else:
        to = dest.region or "a region the record does not name"
    reason = (f"data flow out of the EU: {flow.what} {source} in {event.aws_region} "
              f"replicates to {to}")
    if dest.account and dest.account != event.account:
        reason += (f"; the destination account {dest.account} is not the caller's "
                   f"({event.account}): outside the organization as far as the record shows")
    reason += (f". The source {source} is in {event.aws_region}, an allowed region, and "
               "is NOT a target: neither it nor its rule is deleted, only reported")
    return Report(source, flow.what, where, reason)


def day_key(outcome: Any) -> str:
    """What a data flow is posted once a day per: account, source, destination."""
    return f"{outcome.account}#{outcome.id}#{destination_of(outcome.notes)}"


def notes(destination: str, event_id: str | None) -> list[str]:
    """A data-flow outcome's notes: where it goes, and which event said so."""
    return [f"destination: {destination}"] + ([f"event: {event_id}"] if event_id else [])


def destination_of(notes: Any) -> str:
    """The destination region a data-flow outcome (or its record) carries in its notes."""
    return _note(notes, "destination: ") or "unknown"


def event_of(notes: Any) -> str:
    return _note(notes, "event: ")


def _note(notes: Any, label: str) -> str:
    for note in notes if isinstance(notes, list) else []:
        if isinstance(note, str) and note.startswith(label):
            return note[len(label):]
    return ""
