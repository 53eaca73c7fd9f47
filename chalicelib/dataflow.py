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
    # JMESPath, in one destination, to an ARN naming its region and account (a backup
    # vault's): read where ``region`` and ``account`` say nothing.
    arn: str = ""
    verb: str = "replicates to"  # what the source does, in the report's words
    # JMESPath to a CQL statement in the request (Keyspaces logs calls made through
    # CQL that way): every quoted region name in it is a destination.
    regions_in: str = ""
    note: str = ""  # what the report adds about this kind of flow


_KEYSPACE = ("AWS offers no way to remove one region from a keyspace (its replicas are "
             "one unit): a human must decide")

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
    # A backup plan's rules copy every backup they make to the vaults of their copy
    # actions, from then on. Those copies are the service's own jobs (no StartCopyJob
    # call is logged): the nightly scan finds the vault outside the EU and kills it
    # with its copies (AWS::Backup::BackupVault); the plan in the EU is reported. The
    # destination's region is its vault ARN's.
    ("backup.amazonaws.com", "CreateBackupPlan"): Flow(
        "backup plan", "backupPlan.backupPlanName || backupPlanName",
        "backupPlan.rules[].copyActions[]", "", arn="destinationBackupVaultArn",
        verb="copies its backups to"),
    ("backup.amazonaws.com", "UpdateBackupPlan"): Flow(
        "backup plan", "backupPlan.backupPlanName || backupPlanId",
        "backupPlan.rules[].copyActions[]", "", arn="destinationBackupVaultArn",
        verb="copies its backups to"),
    # A multi-Region keyspace keeps a replica in every region of its list. AWS offers
    # no way to remove a region from a keyspace (UpdateKeyspace only adds; the
    # replicas are one unit, dropped together): reported, never killed.
    ("cassandra.amazonaws.com", "CreateKeyspace"): Flow(
        "Keyspaces keyspace", "keyspaceName",
        "replicationSpecification.regionList[].{region: @}", "region",
        verb="is replicated to", regions_in="rawQuery", note=_KEYSPACE),
    ("cassandra.amazonaws.com", "UpdateKeyspace"): Flow(
        "Keyspaces keyspace", "keyspaceName",
        "replicationSpecification.regionList[].{region: @}", "region",
        verb="is replicated to", regions_in="rawQuery", note=_KEYSPACE),
    # S3 Tables: a table bucket's (or one table's) replication to other table buckets,
    # each named by an ARN that carries its region and account.
    ("s3tables.amazonaws.com", "PutTableBucketReplication"): Flow(
        "S3 table bucket", "tableBucketARN", "configuration.rules[].destinations[]", "",
        arn="destinationTableBucketARN"),
    ("s3tables.amazonaws.com", "PutTableReplication"): Flow(
        "S3 table", "tableArn", "configuration.rules[].destinations[]", "",
        arn="destinationTableBucketARN"),
}

_BUCKET_ARN = re.compile(r"arn:aws[\w-]*:s3:::([^/]+)$")
_ARN = re.compile(r"arn:aws[\w-]*:[\w-]+:([a-z]{2}(?:-[a-z]+)+-\d)?:(\d{12})?:")
_QUOTED_REGION = re.compile(r"'([a-z]{2}(?:-[a-z]+)+-\d)'")


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
        if flow.arn:
            match = _ARN.match(_text(jmespath.search(flow.arn, item)))
            region = region or (match.group(1) or "" if match else "")
            account = account or (match.group(2) or "" if match else "")
        dest = Destination(region, account, bucket)
        if dest not in out:
            out.append(dest)
    if flow.regions_in:
        text = _text(jmespath.search(flow.regions_in, params))
        for region in _QUOTED_REGION.findall(text):
            if region in known_regions() and Destination(region) not in out:
                out.append(Destination(region))
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
              f"{flow.verb} {to}")
    if dest.account and dest.account != event.account:
        reason += (f"; the destination account {dest.account} is not the caller's "
                   f"({event.account}): outside the organization as far as the record shows")
    if flow.note:
        reason += f"; {flow.note}"
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
