"""AWS's quotas, measured on what Monocyte really generates and sends: moto enforces
none of the artefact sizes, so these tests do, against the numbers of chalicelib.limits.

- ``chalice package --stage prod`` (run for real, in a copy of the project): the reap
  rule's event pattern, each role's inline policies, each function's environment.
- every ``monocyte template``: the forwarders' pattern, the member role's policies,
  the SCP, each template body.
- a verdict item and a queued message for a huge event: cut to fit, never lost.

Each artefact is measured with the default settings and with every commercial region
allowed but one (the longest region list a user can set).
"""
from __future__ import annotations

import datetime
import json
import os
import pathlib
import shutil
import subprocess
import sys

import boto3
import pytest

from chalicelib import audit, cli, fleet, limits, retry, templates
from chalicelib.config import Settings, known_regions
from chalicelib.events import Target
from chalicelib.reaper import KILLED, Outcome

ROOT = pathlib.Path(__file__).resolve().parent.parent
HOME = "eu-central-1"


def _commercial_regions() -> list[str]:
    import botocore.loaders

    data = botocore.loaders.create_loader().load_data("endpoints")
    [aws] = [p for p in data["partitions"] if p["partition"] == "aws"]
    return sorted(aws["regions"])


# Every commercial region allowed but one: the longest region list a user can mean.
ALL_BUT_ONE = ",".join(r for r in _commercial_regions() if r != "us-east-1")
SETTINGS = {"default": {}, "all-but-one": {"MONOCYTE_ALLOWED_REGIONS": ALL_BUT_ONE}}

# --- the limits themselves --------------------------------------------------------

def test_the_limits_are_awss_numbers():
    assert limits.EVENT_PATTERN_MAX_CHARS == 2048
    assert limits.ROLE_INLINE_POLICIES_MAX_CHARS == 10240
    assert limits.MANAGED_POLICY_MAX_CHARS == 6144
    assert limits.SCP_MAX_CHARS == templates.SCP_MAX_CHARS == 5120
    assert limits.TEMPLATE_BODY_MAX_BYTES == 51200
    assert limits.LAMBDA_ENVIRONMENT_MAX_BYTES == 4096
    assert limits.SQS_MESSAGE_MAX_BYTES == 256 * 1024
    assert limits.DYNAMODB_ITEM_MAX_BYTES == 400 * 1024
    source = (ROOT / "chalicelib" / "limits.py").read_text()
    # Each one with the page where AWS documents it.
    for name in ("EVENT_PATTERN_MAX_CHARS", "ROLE_INLINE_POLICIES_MAX_CHARS",
                 "MANAGED_POLICY_MAX_CHARS", "SCP_MAX_CHARS", "TEMPLATE_BODY_MAX_BYTES",
                 "TEMPLATE_S3_MAX_BYTES", "ROLE_TRUST_POLICY_MAX_CHARS",
                 "LAMBDA_ENVIRONMENT_MAX_BYTES", "SQS_MESSAGE_MAX_BYTES",
                 "DYNAMODB_ITEM_MAX_BYTES", "DYNAMODB_SORT_KEY_MAX_BYTES"):
        before = source.split(f"\n{name} = ")[0].rsplit("\n\n", 1)[-1]
        assert "https://docs.aws.amazon.com/" in before, name


def test_policies_are_measured_without_white_space():
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                        "Action": "s3:ListAllMyBuckets"}]}
    assert limits.policy_chars(document) == len(json.dumps(document)) - 6  # 4 ": ", 2 ", "
    assert limits.policy_chars(json.loads(json.dumps(document, indent=4))) == \
        limits.policy_chars(document)


def test_dynamodb_sizes_follow_awss_rules():
    # AWS's own example: "shirt-color" = "R" and "shirt-size" = "M" is 23 bytes.
    assert limits.dynamodb_item_bytes({"shirt-color": {"S": "R"},
                                       "shirt-size": {"S": "M"}}) == 23
    assert limits.dynamodb_item_bytes({"l": {"L": [{"S": "ab"}]}}) == 1 + 3 + 1 + 2


# --- a huge event is still recorded and queued ------------------------------------

def _giant_outcome(**more) -> Outcome:
    fields = dict(action=KILLED, type="AWS::SQS::Queue",
                  id="https://sqs.us-east-1.amazonaws.com/123456789012/q",
                  region="us-east-1", account="123456789012",
                  reason="deleted " + "because " * 60_000,          # ~480 KB
                  notes=[f"note {n} " + "x" * 2_000 for n in range(300)],  # ~600 KB
                  creator="arn:aws:sts::123456789012:assumed-role/" + "r" * 450_000,
                  event="CreateQueue", created="2026-12-02T10:00:00Z")
    fields.update(more)
    return Outcome(**fields)


@pytest.fixture
def verdict_log(aws):
    client = boto3.client("dynamodb", HOME)
    audit.create_table(client, "monocyte-verdicts")
    return audit.VerdictLog(client, "monocyte-verdicts")


def _only(verdict_log) -> dict:
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    [item] = verdict_log.recent(since)
    return item


def test_a_huge_verdict_is_recorded_cut_with_what_identifies_the_resource(verdict_log):
    outcome = _giant_outcome()
    verdict_log.write(outcome)
    item = _only(verdict_log)
    for name in ("action", "type", "id", "region", "account"):
        assert item[name] == getattr(outcome, name)
    assert item["at"].startswith(outcome.at)
    assert set(item["cut"]) == {"notes", "reason", "creator"}
    assert item["reason"].startswith("deleted because") and "[cut " in item["reason"]
    assert len(item["notes"]) == 11 and item["notes"][-1] == "[cut 290 more]"
    raw = boto3.client("dynamodb", HOME).scan(TableName="monocyte-verdicts")["Items"][0]
    assert limits.dynamodb_item_bytes(raw) <= limits.DYNAMODB_ITEM_MAX_BYTES


def test_a_giant_id_is_kept_whole_when_the_rest_can_make_room(verdict_log):
    giant = "q" * 300_000
    verdict_log.write(_giant_outcome(id=giant))
    item = _only(verdict_log)
    assert item["id"] == giant  # the key holds its start only (1,024-byte sort key)
    assert len(item["at"].encode()) <= limits.DYNAMODB_SORT_KEY_MAX_BYTES


def test_an_id_too_big_for_any_item_is_cut_last_and_said_so(verdict_log):
    verdict_log.write(_giant_outcome(id="i" * 500_000))
    item = _only(verdict_log)
    assert item["cut"][-1] == "id" and item["id"].startswith("iii")
    assert (item["type"], item["region"], item["account"], item["action"]) == \
        ("AWS::SQS::Queue", "us-east-1", "123456789012", KILLED)


def test_a_small_verdict_is_written_as_it_is(verdict_log):
    outcome = _giant_outcome(reason="deleted", notes=["emptied"], creator="arn:aws:iam::1:user/a")
    verdict_log.write(outcome)
    item = _only(verdict_log)
    assert "cut" not in item
    assert (item["reason"], item["notes"], item["creator"]) == \
        ("deleted", ["emptied"], "arn:aws:iam::1:user/a")


def test_a_retry_of_a_huge_event_is_queued_cut_and_still_names_its_target():
    target = Target("AWS::EKS::Cluster", "c" * 2_000, "us-east-1", "123456789012",
                    "CreateCluster", "arn:aws:sts::123456789012:assumed-role/" + "r" * 400_000,
                    "2026-12-02T10:00:00Z")
    body = retry.fitted_body(target, 3)
    assert limits.sqs_body_bytes(body) <= limits.SQS_MESSAGE_MAX_BYTES
    parsed, attempt = retry.parse(json.loads(body))
    assert (parsed.type, parsed.id, parsed.region, parsed.account, attempt) == \
        (target.type, target.id, target.region, target.account, 3)
    assert parsed.creator.startswith("arn:aws:sts::") and "[cut " in parsed.creator


def test_a_retry_whose_id_itself_is_too_big_is_not_queued_at_all():
    # A cut id would name another resource: never queue a kill of it.
    target = Target("AWS::EKS::Cluster", "c" * 300_000, "us-east-1", "123456789012")
    assert retry.fitted_body(target, 1) is None


def test_a_huge_retry_really_goes_on_the_queue(aws):
    from chalicelib.aws import Clients

    sqs = boto3.client("sqs", HOME)
    url = sqs.create_queue(QueueName="monocyte-scan")["QueueUrl"]
    settings = Settings(dry_run=False, scan_queue="monocyte-scan", retry_delay_seconds=0)
    outcome = _giant_outcome(action="deferred", type="AWS::EKS::Cluster", id="big")
    assert retry.later(outcome, 1, settings, Clients(settings))
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert retry.parse(json.loads(message["Body"]))[0].id == "big"


def test_scan_units_go_in_batches_of_ten_within_the_message_size():
    bodies = [json.dumps({"account": "123456789012", "region": r})
              for r in sorted(known_regions())]
    found = fleet.batches(bodies)
    assert [b for batch in found for b in batch] == bodies
    assert all(len(batch) <= 10 for batch in found)
    big = ["x" * 100_000] * 5
    assert [len(batch) for batch in fleet.batches(big)] == [2, 2, 1]


# --- flooding: reap's reserved concurrency and dead-letter queue -------------------

def _invocation_record(event: dict, condition: str = "EventAgeExceeded") -> str:
    # The record Lambda sends to an on-failure destination, as AWS's Lambda guide shows
    # it ("Example invocation record"): the event rides in requestPayload.
    return json.dumps({
        "version": "1.0", "timestamp": "2026-12-02T18:16:05.568Z",
        "requestContext": {"requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                           "functionArn": "arn:aws:lambda:eu-central-1:123456789012:"
                                          "function:monocyte-prod-reap:$LATEST",
                           "condition": condition, "approximateInvokeCount": 3},
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                            "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "Task timed out after 300.00 seconds"}})


@pytest.fixture
def summary_env(aws, monkeypatch):
    from chalicelib import runtime

    audit.create_table(boto3.client("dynamodb", HOME), "monocyte-verdicts-prod")
    sqs = boto3.client("sqs", HOME)
    for name in ("monocyte-scan-dlq", "monocyte-scan"):
        sqs.create_queue(QueueName=name)
    monkeypatch.setenv("MONOCYTE_SCAN_QUEUE", "monocyte-scan")
    monkeypatch.setenv("MONOCYTE_AUDIT_TABLE", "monocyte-verdicts-prod")
    monkeypatch.delenv("MONOCYTE_SLACK_WEBHOOK_PARAMETER", raising=False)
    runtime.reset()
    yield sqs
    runtime.reset()


def test_what_landed_in_the_reap_dlq_is_in_the_nightly_summary(summary_env, trail, monkeypatch):
    from chalicelib import notify, runtime
    from chalicelib.sandbox import SlackSink

    sqs = summary_env
    url = sqs.create_queue(QueueName=templates.REAP_DLQ)["QueueUrl"]
    trail.call(boto3.client("sqs", "us-west-2"), "create_queue", QueueName="flooded")
    trail.call(boto3.client("sns", "ap-southeast-1"), "create_topic", Name="throttled")
    sqs.send_message(QueueUrl=url, MessageBody=_invocation_record(trail.events[0]))
    sqs.send_message(QueueUrl=url, MessageBody=_invocation_record(trail.events[1],
                                                                   "RetriesExhausted"))
    sqs.send_message(QueueUrl=url, MessageBody="not a record")
    # What EventBridge's rule target puts there: the event, why in its attributes.
    trail.call(boto3.client("sns", "sa-east-1"), "create_topic", Name="undelivered")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(trail.events[2]), MessageAttributes={
        name: {"DataType": "String", "StringValue": value} for name, value in {
            "RULE_ARN": "arn:aws:events:eu-central-1:123456789012:rule/monocyte-ReapReapEvent-X",
            "TARGET_ARN": "arn:aws:lambda:eu-central-1:123456789012:function:monocyte-prod-reap",
            "ERROR_CODE": "NO_PERMISSIONS", "ERROR_MESSAGE": "not allowed",
            "RETRY_ATTEMPTS": "0"}.items()})
    with SlackSink() as sink:
        monkeypatch.setenv("MONOCYTE_SLACK_WEBHOOK_URL", sink.url)
        runtime.reset()
        answer = runtime.nightly_summary()
    assert answer["reap_dead_letters"] == 4
    [summary] = sink.messages
    shown = notify.render_text(summary)
    assert "Events the reaper could not take: 4" in shown
    assert "sa-east-1 sns.amazonaws.com CreateTopic" in shown and "NO_PERMISSIONS" in shown
    assert "us-west-2 sqs.amazonaws.com CreateQueue" in shown and "EventAgeExceeded" in shown
    assert "ap-southeast-1 sns.amazonaws.com CreateTopic" in shown
    assert "RetriesExhausted" in shown and "unreadable" in shown
    # Looked at, not taken: they stay for an operator (and tomorrow's summary).
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert int(attributes["ApproximateNumberOfMessages"]) + \
        int(attributes["ApproximateNumberOfMessagesNotVisible"]) == 4


def test_an_empty_reap_dlq_adds_nothing_and_a_missing_one_is_said(summary_env, monkeypatch):
    from chalicelib import notify, runtime
    from chalicelib.sandbox import SlackSink

    with SlackSink() as sink:
        monkeypatch.setenv("MONOCYTE_SLACK_WEBHOOK_URL", sink.url)
        runtime.reset()
        assert runtime.nightly_summary()["reap_dead_letters"] is None  # no queue
        summary_env.create_queue(QueueName=templates.REAP_DLQ)
        assert runtime.nightly_summary()["reap_dead_letters"] == 0
    missing, empty = (notify.render_text(m) for m in sink.messages)
    assert "monocyte-reap-dlq cannot be read" in missing
    assert "reaper could not take" not in empty and "dead-letter" not in empty


# --- chalice package --stage prod, for real ---------------------------------------

def _project_copy(where: pathlib.Path, env: dict) -> pathlib.Path:
    """The Chalice project as a user has it, with the settings' regions in its
    config (the Lambda environment is deploy-time config)."""
    project = where / "project"
    project.mkdir()
    shutil.copy(ROOT / "app.py", project)
    shutil.copy(ROOT / "requirements.txt", project)
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (project / ".chalice").mkdir()
    for name in ("config.json", "policy-dev.json", "policy-prod.json"):
        shutil.copy(ROOT / ".chalice" / name, project / ".chalice")
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    config["environment_variables"].update(
        {k: v for k, v in env.items() if k.startswith("MONOCYTE_")})
    (project / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))
    return project


@pytest.fixture(scope="module", params=sorted(SETTINGS))
def package(request, tmp_path_factory):
    """(settings name, sam.json) of ``chalice package --stage prod --merge-template``
    with the file ``monocyte template central --merge`` prints."""
    where = tmp_path_factory.mktemp(f"package-{request.param}")
    env = {**os.environ, **SETTINGS[request.param], "AWS_DEFAULT_REGION": HOME}
    project = _project_copy(where, env)
    bin_dir = pathlib.Path(sys.executable).parent
    merge = subprocess.run([str(bin_dir / "monocyte"), "template", "central", "--merge"],
                           env=env, cwd=project, capture_output=True, text=True, check=True)
    (project / "central.json").write_text(merge.stdout)
    done = subprocess.run([str(bin_dir / "chalice"), "package", "--stage", "prod",
                           "--merge-template", "central.json", str(where / "out")],
                          env=env, cwd=project, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return request.param, json.loads((where / "out" / "sam.json").read_text())


def test_the_package_is_deployable_as_the_readme_says(package):
    _, template = package
    size = limits.template_bytes(template)
    assert size <= limits.TEMPLATE_S3_MAX_BYTES
    if size > limits.TEMPLATE_BODY_MAX_BYTES:
        # Too big for a request body: `aws cloudformation deploy` must upload it.
        readme = (ROOT / "README.md").read_text()
        deploys = [d.split("```", 1)[0] for d in readme.split("aws cloudformation deploy")[1:]]
        assert deploys and all("--s3-bucket" in d for d in deploys)


def _inline_policies(template: dict) -> dict[str, list[dict]]:
    """Each role's inline policy documents: its own Policies and every AWS::IAM::Policy
    that names it (IAM counts them together)."""
    resources = template["Resources"]
    found = {name: [p["PolicyDocument"] for p in r["Properties"].get("Policies", [])]
             for name, r in resources.items() if r["Type"] == "AWS::IAM::Role"}
    for resource in resources.values():
        if resource.get("Type") == "AWS::IAM::Policy":
            for role in resource["Properties"].get("Roles", []):
                found[role["Ref"]].append(resource["Properties"]["PolicyDocument"])
    return found


def test_the_packaged_reap_rule_pattern_fits(package):
    _, template = package
    pattern = template["Resources"]["Reap"]["Properties"]["Events"]["ReapEvent"][
        "Properties"]["Pattern"]
    assert limits.event_pattern_chars(pattern) <= limits.EVENT_PATTERN_MAX_CHARS


def test_every_packaged_role_fits_iams_policy_quotas(package):
    _, template = package
    policies = _inline_policies(template)
    assert {"ReapRole", "NightlySummaryRole", "ScanUnitRole", "NightlyScanRole"} <= set(policies)
    for role, documents in policies.items():
        assert sum(map(limits.policy_chars, documents)) <= \
            limits.ROLE_INLINE_POLICIES_MAX_CHARS, role
        trust = template["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]
        assert limits.policy_chars(trust) <= limits.ROLE_TRUST_POLICY_MAX_CHARS, role
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            assert limits.policy_chars(resource["Properties"]["PolicyDocument"]) <= \
                limits.MANAGED_POLICY_MAX_CHARS, name


def test_every_packaged_function_environment_fits(package):
    settings, template = package
    functions = {n: r for n, r in template["Resources"].items()
                 if r["Type"] == "AWS::Serverless::Function"}
    assert set(functions) == {"Reap", "NightlyScan", "ScanUnit", "NightlySummary",
                              "MonthlyReport"}
    for name, function in functions.items():
        variables = function["Properties"]["Environment"]["Variables"]
        if settings == "all-but-one":
            assert variables["MONOCYTE_ALLOWED_REGIONS"] == ALL_BUT_ONE
        assert limits.environment_bytes(variables) <= limits.LAMBDA_ENVIRONMENT_MAX_BYTES, name


def test_the_packaged_reaper_cannot_flood_nor_lose_events(package):
    _, template = package
    reap = template["Resources"]["Reap"]["Properties"]
    assert reap["ReservedConcurrentExecutions"] == 50  # README: "Flooding"
    assert reap["EventInvokeConfig"] == {
        "MaximumEventAgeInSeconds": 21600, "MaximumRetryAttempts": 2,
        "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": {
            "Fn::GetAtt": ["ReapDeadLetterQueue", "Arn"]}}}}
    rule = reap["Events"]["ReapEvent"]["Properties"]
    assert rule["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ReapDeadLetterQueue", "Arn"]}}
    assert rule["Pattern"]  # merged into Chalice's own event, not beside it
    policy = template["Resources"]["ReapDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]
    assert policy["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    queue = template["Resources"]["ReapDeadLetterQueue"]
    assert queue["Properties"]["QueueName"] == "monocyte-reap-dlq"
    # The function's own role sends the record; the summary's may only look.
    send = _inline_policies(template)["ReapRole"][-1]["Statement"]
    assert send == [{"Effect": "Allow", "Action": ["sqs:SendMessage"],
                     "Resource": {"Fn::GetAtt": ["ReapDeadLetterQueue", "Arn"]}}]
    read = _inline_policies(template)["NightlySummaryRole"][-1]["Statement"][0]["Action"]
    assert "sqs:DeleteMessage" not in read and "sqs:ReceiveMessage" in read


def test_the_scan_units_trigger_waits_for_its_queue(package):
    # Chalice names the queue by an ARN it builds, which CloudFormation cannot order by.
    _, template = package
    scan_unit = template["Resources"]["ScanUnit"]
    trigger = next(iter(scan_unit["Properties"]["Events"].values()))
    assert trigger["Type"] == "SQS" and "Fn::Sub" in trigger["Properties"]["Queue"]
    assert "ScanQueue" in scan_unit["DependsOn"]
    assert template["Resources"]["ScanQueue"]["Type"] == "AWS::SQS::Queue"


def test_the_merged_package_is_valid_cloudformation(package):
    from cfnlint.api import ManualArgs, lint

    _, template = package
    problems = lint(json.dumps(template), config=ManualArgs(regions=[HOME]))
    assert [str(p) for p in problems] == []


def test_cfn_lint_sees_a_broken_destination_in_the_package(package):
    # The lint above can fail: SAM's transform checks the destination's Type.
    from cfnlint.api import ManualArgs, lint

    _, template = package
    broken = json.loads(json.dumps(template))
    broken["Resources"]["Reap"]["Properties"]["EventInvokeConfig"]["DestinationConfig"][
        "OnFailure"]["Type"] = "Carrier pigeon"
    assert lint(json.dumps(broken), config=ManualArgs(regions=[HOME]))


# --- every monocyte template ------------------------------------------------------

@pytest.fixture(params=sorted(SETTINGS))
def printed(request, monkeypatch, capsys):
    """Every template exactly as ``monocyte template NAME`` prints it."""
    for key, value in SETTINGS[request.param].items():
        monkeypatch.setenv(key, value)
    found = {}
    for name in templates.NAMES:
        assert cli.main(["template", name]) == 0
        found[name] = capsys.readouterr().out
    assert cli.main(["template", "central", "--merge"]) == 0
    found["central --merge"] = capsys.readouterr().out
    return found


def test_every_template_body_fits_a_stackset_request(printed):
    for name, text in printed.items():
        assert len(text.encode("utf-8")) <= limits.TEMPLATE_BODY_MAX_BYTES, name


def test_the_forwarders_pattern_fits(printed):
    rule = json.loads(printed["forwarders"])["Resources"]["ForwardRule"]
    assert limits.event_pattern_chars(rule["Properties"]["EventPattern"]) <= \
        limits.EVENT_PATTERN_MAX_CHARS


def test_the_forwarders_and_member_role_fit_iams_policy_quotas(printed):
    for name in ("forwarders", "member-role"):
        template = json.loads(printed[name])
        policies = _inline_policies(template)
        assert policies, name
        for role, documents in policies.items():
            assert sum(map(limits.policy_chars, documents)) <= \
                limits.ROLE_INLINE_POLICIES_MAX_CHARS, (name, role)
        for resource_name, resource in template["Resources"].items():
            if resource["Type"] == "AWS::IAM::ManagedPolicy":
                assert limits.policy_chars(resource["Properties"]["PolicyDocument"]) <= \
                    limits.MANAGED_POLICY_MAX_CHARS, (name, resource_name)


def test_the_scp_fits_with_its_parameters_filled_in(printed):
    content = json.loads(printed["scp"])["Resources"]["RegionDenyPolicy"]["Properties"]["Content"]
    # The references become their longest plausible values: the default pattern and
    # a 12-digit account.
    text = limits.compact(content).replace(
        '{"Ref":"ExemptRoleArnPattern"}', json.dumps(templates.DEFAULT_EXEMPT_ROLE)).replace(
        '{"Ref":"CentralAccountId"}', '"123456789012"')
    assert "Ref" not in text
    assert len(text) <= limits.SCP_MAX_CHARS
