"""``monocyte demo``: the whole story on this machine, against moto's server.

A team creates resources in EU and non-EU regions; the trail emulator turns each
create call into the event CloudTrail would deliver; the real ``reap`` handler gets
each one; then the demo asks the emulator what is left, and delivers every event a
second time to show that nothing happens twice.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import os
import time
import uuid
from typing import Any, Iterator

import boto3

from chalicelib import audit, config, log, notify, reaper, registry, runtime, sandbox, text
from chalicelib.errors import NotFound, aws_errors

TEMPLATE = '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}'
# Where the team works: three regions outside the EU (London among them, which is
# outside the EU too) and two inside.
OUTSIDE = ("us-east-1", "ap-southeast-1", "eu-west-2")
INSIDE = ("eu-central-1", "eu-north-1")
HOME = "eu-central-1"  # where the central account keeps the verdict table
VERDICT_TABLE = "monocyte-verdicts-demo"
# Where the team works while the reaper is down: one region outside, one inside.
BACKSTOP_REGIONS = ("us-west-2", "eu-west-1")


def _suffix() -> str:
    return uuid.uuid4().hex[:6]


def team_creates(trail: sandbox.Trail, region: str) -> None:
    """One of each type in ``region``, made the way a team would make them."""
    ec2 = boto3.client("ec2", region)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    launch = trail.call(ec2, "run_instances", ImageId=image, MinCount=2, MaxCount=2,
                        InstanceType="t3.micro")
    # Someone protects their instance: the reaper must still take it.
    ec2.modify_instance_attribute(InstanceId=launch["Instances"][0]["InstanceId"],
                                  DisableApiTermination={"Value": True})
    trail.call(ec2, "create_volume", AvailabilityZone=f"{region}a", Size=100)

    cfn = boto3.client("cloudformation", region)
    trail.call(cfn, "create_stack", StackName=f"orders-{_suffix()}", TemplateBody=TEMPLATE)

    rds = boto3.client("rds", region)
    db = f"orders-db-{_suffix()}"
    trail.call(rds, "create_db_instance", DBInstanceIdentifier=db, Engine="postgres",
               DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="app",
               MasterUserPassword="not-a-real-password", DeletionProtection=True)
    trail.call(rds, "create_db_snapshot", DBSnapshotIdentifier=f"{db}-before-migration",
               DBInstanceIdentifier=db)

    ddb = boto3.client("dynamodb", region)
    trail.call(ddb, "create_table", TableName=f"customers-{_suffix()}",
               BillingMode="PAY_PER_REQUEST", DeletionProtectionEnabled=True,
               KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])

    s3 = boto3.client("s3", region)
    bucket = f"exports-{region}-{_suffix()}"
    where = {} if region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": region}}
    trail.call(s3, "create_bucket", Bucket=bucket, **where)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for day in range(3):
        s3.put_object(Bucket=bucket, Key="customers.csv", Body=f"day {day}".encode())

    # A generic type (issue 12): no module of ours, Cloud Control (the stand-in) kills it.
    trail.call(boto3.client("logs", region), "create_log_group",
               logGroupName=f"/orders/app-{_suffix()}")


def still_there(outcome: dict) -> bool:
    """Ask the emulator whether the resource of an outcome exists."""
    if not _curated(outcome["type"]):
        from chalicelib.generic import engine, table

        gtype = table.load()[outcome["type"]]
        cloudcontrol = boto3.client("cloudcontrol", outcome["region"])
        return engine.live(cloudcontrol, gtype, outcome["id"]) is not None
    rtype = registry.get(outcome["type"])
    client = boto3.client(rtype.service, outcome["region"])
    try:
        with aws_errors(not_found=rtype.not_found):
            return rtype.inspect(client, outcome["id"]) is not None
    except NotFound:
        return False


def _curated(type_name: str) -> bool:
    try:
        registry.get(type_name)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    runtime.reset()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        runtime.reset()


def _short(resource_id: str) -> str:
    if resource_id.startswith("arn:") and ":stack/" in resource_id:
        return "stack/" + resource_id.split(":stack/", 1)[1].split("/", 1)[0]
    return resource_id


def run_demo(verbose: bool = False) -> int:
    from app import reap  # the real Lambda handler, exactly as Lambda calls it

    log.configure(logging.INFO if verbose else logging.WARNING)
    with sandbox.moto_server() as url, sandbox.SlackSink() as slack, _environment(
            MONOCYTE_DRY_RUN="false", AWS_DEFAULT_REGION=HOME, AWS_REGION=HOME,
            MONOCYTE_HOME_REGION=HOME, MONOCYTE_AUDIT_TABLE=VERDICT_TABLE,
            MONOCYTE_SLACK_WEBHOOK_URL=slack.url, MONOCYTE_SLACK_WEBHOOK_PARAMETER="",
            MONOCYTE_ACCOUNT_NAMES=f"{sandbox.DEMO_ACCOUNT}=team-sandbox"):
        settings = config.from_env()
        audit.create_table(boto3.client("dynamodb", HOME), VERDICT_TABLE)
        print(f"Monocyte demo: AWS emulator (moto) on {url}, Slack stand-in on "
              f"127.0.0.1:{slack.url.split(':')[2].split('/')[0]}; no AWS account, no network.")
        print(f"Allowed regions: {', '.join(sorted(settings.allowed_regions))}. "
              "Mode: kill (as stage prod).\n")

        trail = sandbox.Trail()
        for region in OUTSIDE + INSIDE:
            team_creates(trail, region)
        made = sum(len(reaper.explain(e, settings)["targets"]) for e in trail.events)
        print(f"1. A team makes {text.count(len(trail.events), 'create call')} "
              f"({text.count(made, 'resource')}: each launch starts 2 instances) in "
              f"{text.count(len(OUTSIDE + INSIDE), 'region')}: "
              f"{', '.join(OUTSIDE + INSIDE)}.\n")

        print("2. CloudTrail delivers each call to the reap handler:")
        rows, outcomes = [], []
        for event in trail.events:
            started = time.perf_counter()
            result = reap(event, None)
            elapsed = (time.perf_counter() - started) * 1000
            for n, outcome in enumerate(result):
                outcomes.append(outcome)
                why = outcome["reason"]
                if outcome["notes"]:
                    why += "; " + ", ".join(outcome["notes"])
                rows.append([outcome["type"], _short(outcome["id"]), outcome["region"],
                             outcome["action"].upper(),
                             "same call" if n else f"{elapsed:.0f}", why])
        # One event can name several resources (one launch, two instances): the time
        # is the event's, on its first row.
        print(text.table(rows, ["TYPE", "ID", "REGION", "OUTCOME", "MS", "WHY"]) + "\n")

        print("3. What the emulator holds now:")
        wrong = []
        for outcome in outcomes:
            alive = still_there(outcome)
            allowed = settings.allows(outcome["region"])
            if alive != allowed:
                wrong.append(outcome)
        kept = sum(1 for o in outcomes if settings.allows(o["region"]))
        print(f"  every one of the {kept} resources in allowed regions is still there; "
              f"all {len(outcomes) - kept} outside them are gone."
              if not wrong else f"  UNEXPECTED: {len(wrong)} resources in the wrong state")

        show_slack(slack, first=2)
        records = audit.VerdictLog(boto3.client("dynamodb", HOME), VERDICT_TABLE).recent(
            datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1))
        print(f"  The verdict log (DynamoDB table {VERDICT_TABLE}, `monocyte log`) holds "
              f"{len(records)} records, written before each message was posted.")

        posted = len(slack.messages)
        again = [o["action"] for e in trail.events for o in reap(e, None)]
        print(f"\n4. Every event delivered a second time: {again.count('gone')} already gone, "
              f"{again.count('spared')} spared, {again.count('killed')} killed twice, "
              f"{len(slack.messages) - posted} new Slack messages.")

        missed_ok = backstop(settings, slack)
    return 1 if wrong or again.count("killed") or not missed_ok else 0


def show_slack(slack: sandbox.SlackSink, first: int) -> None:
    """The messages Slack got, as a phone shows them: the first few in full."""
    print(f"\n  Slack received {len(slack.messages)} messages; the first {first}:")
    for message in slack.messages[:first]:
        print("    | " + notify.render_text(message).replace("\n", "\n    | ") + "\n")


def backstop(settings: config.Settings, slack: sandbox.SlackSink) -> bool:
    """While the reaper is down, a team creates more; the nightly scan finds them."""
    from chalicelib import scan, verdicts
    from chalicelib.aws import Clients

    down = sandbox.Trail()  # the events of these calls are never delivered
    for region in BACKSTOP_REGIONS:
        team_creates(down, region)
    print(f"\n5. The reaper is down: {len(down.events)} more create calls in "
          f"{', '.join(BACKSTOP_REGIONS)}, no event delivered.")
    started = time.perf_counter()
    # Grace 0: anything the scan kills was missed by the event path (it was down).
    night = dataclasses.replace(settings, scan_grace_seconds=0)
    clients = Clients(night)
    sink = verdicts.build(night, clients)
    before = len(slack.messages)
    # The scan looks for the types the demo makes (a real one looks for every type).
    made = sorted({t["type"] for e in down.events for t in reaper.explain(e, settings)["targets"]})
    report = scan.scan(night, clients, types=made, verdicts=sink)
    sink.summary(report)
    elapsed = time.perf_counter() - started
    print(f"  The nightly scan (monocyte scan --kill) covers "
          f"{text.count(len(report.regions), 'region')} outside the allowed set in {elapsed:.1f} s, {report.list_calls} list calls:")
    rows = [[r["region"], r["type"], str(r["found"]), str(r["killed"]),
             str(r["deferred"]), str(r["failed"]), str(r["missed"])] for r in report.summary()]
    print(text.table(rows, ["REGION", "TYPE", "FOUND", "KILLED", "DEFERRED",
                            "FAILED", "MISSED BY EVENTS"]))
    survivors = [o for o in report.outcomes if o.action in ("killed", "gone", "deferred")
                 and still_there(o.to_dict())]
    # The scan never looks at allowed regions; check the EU resources are all there.
    kept = [t for e in down.events for t in reaper.explain(e, settings)["targets"]
            if t["decision"] == "spare"]
    lost = [t for t in kept if not still_there(t)]
    deferred = [o for o in report.outcomes if o.action == "deferred"]
    if deferred:
        gone = sum(1 for o in deferred if not still_there(o.to_dict()))
        print(f"  Deferred: {text.count(len(deferred), 'resource')} not deletable yet (an "
              "instance's root volume, attached while it terminates); a deferred kill is "
              f"queued and tries again later. {gone} of them already went with their "
              "instance.")
    print(f"  Non-EU resources left: {len(survivors)}. EU resources made while the reaper "
          f"was down: {len(kept)}, still there: {len(kept) - len(lost)}.")
    print(f"\n  Slack received {len(slack.messages) - before - 1} kill messages and the "
          "nightly summary:")
    print("    | " + notify.render_text(slack.messages[-1]).replace("\n", "\n    | "))
    return report.ok and not survivors and not lost
