"""The monthly report in Lambda: last month's HTML and CSV to the reports bucket in the
home region (made by the central template), and the headline numbers to Slack."""
from __future__ import annotations

import datetime
from typing import Any

from chalicelib import audit, report, report_html
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.errors import ConfigError, aws_errors

# One bucket per central account; the reaper may write only there (iam.reaper_policy).
BUCKET_PREFIX = "monocyte-reports-"


def bucket_name(account: str) -> str:
    return f"{BUCKET_PREFIX}{account}"


def last_month(today: datetime.date) -> str:
    first = today.replace(day=1) - datetime.timedelta(days=1)
    return first.strftime("%Y-%m")


def message(built: dict, where: str) -> dict:
    """The Slack post: the headline numbers and where the documents are."""
    head = built["headline"]
    line = (f"{head['found']} found outside the EU, {head['killed']} killed, "
            f"{head['failed']} failed, {head['alive_now']} still alive, "
            f"{head['uncovered']} uncovered creates, {head['exemptions_in_force']} exemptions "
            f"in force ({head['exemptions_expiring_30d']} expiring within 30 days), "
            f"{head['breaker_openings']} breaker openings; median exposure "
            f"{report.human(built['exposure']['median_seconds'])}")
    title = f"Monocyte report {built['period']['start'][:7]}"
    return {"text": f"{title}: {line}. {where}",
            "blocks": [{"type": "header", "text": {"type": "plain_text", "text": title}},
                       {"type": "section", "text": {"type": "mrkdwn",
                                                    "text": f"{line}.\n`{where}`"[:3000]}}]}


def monthly(settings: Settings, clients: Clients, slack: Any = None,
            today: datetime.date | None = None, account: str | None = None) -> dict:
    """Build last month's report, store it, post it. Raises ConfigError without a
    verdict table, AwsError when the table cannot be read or the bucket written."""
    if not settings.audit_table:
        raise ConfigError("the monthly report needs the verdict table (MONOCYTE_AUDIT_TABLE)")
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    month = last_month(today)
    start, end = report.period(month=month)
    log = audit.VerdictLog(clients.client("dynamodb", settings.home_region),
                           settings.audit_table)
    with aws_errors():
        records = log.recent(start, end)
        account = account or clients.client("sts", settings.home_region).get_caller_identity()[
            "Account"]
    built = report.build(records, start, end, settings.exemptions, today=today)
    bucket, stem = bucket_name(account), f"reports/{month}/monocyte-{month}"
    s3 = clients.client("s3", settings.home_region)
    with aws_errors():
        s3.put_object(Bucket=bucket, Key=f"{stem}.html", ContentType="text/html; charset=utf-8",
                      Body=report_html.render(built).encode())
        s3.put_object(Bucket=bucket, Key=f"{stem}.csv", ContentType="text/csv; charset=utf-8",
                      Body=report.to_csv(built).encode())
    where = f"s3://{bucket}/{stem}.html"
    if slack:
        slack.send(message(built, where))
    return {"month": month, "object": where, **built["headline"]}


def template() -> dict:
    """The central template's reports bucket: encrypted, versioned, private, public
    access blocked, old reports expiring after ``ReportRetentionDays``."""
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BucketName": {"Fn::Sub": BUCKET_PREFIX + "${AWS::AccountId}"},
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            "VersioningConfiguration": {"Status": "Enabled"},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True, "BlockPublicPolicy": True,
                "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
            "LifecycleConfiguration": {"Rules": [{
                "Id": "expire-old-reports", "Status": "Enabled",
                "ExpirationInDays": {"Ref": "ReportRetentionDays"},
                "NoncurrentVersionExpiration": {
                    "NoncurrentDays": {"Ref": "ReportRetentionDays"}}}]},
        },
    }


PARAMETER = {"Type": "Number", "MinValue": 1, "Default": 1095,
             "Description": "Days a monthly report is kept in the reports bucket"}
