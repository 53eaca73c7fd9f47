"""monocyte replay: steps 1-3 on CloudTrail log files, offline, malformed never fatal."""
import gzip
import json
import os
import subprocess
import sys

from chalicelib import cli

ACCOUNT = "123456789012"


def record(source, name, region, request=None, response=None, **more):
    return {"eventVersion": "1.09", "eventSource": source, "eventName": name,
            "awsRegion": region, "eventTime": "2026-12-01T10:00:00Z",
            "eventID": f"id-{name}-{region}", "recipientAccountId": ACCOUNT,
            "userIdentity": {"type": "IAMUser", "accountId": ACCOUNT,
                             "arn": f"arn:aws:iam::{ACCOUNT}:user/dev"},
            "requestParameters": request, "responseElements": response,
            "eventType": "AwsApiCall", "readOnly": False, **more}


def queue(region):
    return record("sqs.amazonaws.com", "CreateQueue", region,
                  {"queueName": f"q-{region}"},
                  {"queueUrl": f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/q-{region}"})


def write_log(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as handle:
        json.dump({"Records": records}, handle)


def mixed_log(tmp_path):
    good = [queue("us-east-1"), queue("ap-southeast-1"), queue("eu-central-1")]
    failed = queue("us-west-2")
    failed["errorCode"] = "AccessDenied"
    read_only = record("sqs.amazonaws.com", "ListQueues", "us-east-1", readOnly=True)
    global_call = record("iam.amazonaws.com", "CreateRole", "us-east-1",
                         {"roleName": "r"}, {"role": {"roleName": "r"}})
    malformed = {"eventSource": 7}
    folder = tmp_path / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / "2026" / "12" / "01"
    write_log(folder / f"{ACCOUNT}_CloudTrail_us-east-1_a.json.gz",
              [*good, failed, read_only, global_call, malformed, "not an object"])
    return tmp_path / "AWSLogs"


def run(*argv):
    return subprocess.run([sys.executable, "-m", "chalicelib.cli", "replay", *argv],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MONOCYTE_ALLOWED_REGIONS": "eu-central-1,eu-west-1"})


def test_a_mixed_log_gives_the_expected_summary(tmp_path):
    done = run("--json", str(mixed_log(tmp_path)))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    summary = lines[-1]["summary"]
    assert summary["records"] == 8
    assert summary["malformed"] == 2
    assert summary["create_calls"] == 2  # the EU queue is never forwarded by the pattern
    assert summary["would_kill"] == [
        {"type": "AWS::SQS::Queue", "region": "ap-southeast-1", "count": 1},
        {"type": "AWS::SQS::Queue", "region": "us-east-1", "count": 1}]
    assert summary["uncovered"] == []  # IAM is global: not a report
    reasons = {v["event"]: v["reason"] for v in lines[:-1] if v.get("event")}
    assert reasons["iam.amazonaws.com:CreateRole"] == "a global service's call"
    assert reasons["sqs.amazonaws.com:ListQueues"] == "read-only"


def test_the_text_summary_names_kills_and_malformed(tmp_path):
    done = run(str(mixed_log(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "Records read: 8 (2 malformed)" in done.stdout
    assert "Would kill: 2" in done.stdout
    assert "AWS::SQS::Queue  us-east-1" in done.stdout


def test_raw_records_eventbridge_events_and_json_lines_are_read(tmp_path):
    event = {"version": "0", "detail-type": "AWS API Call via CloudTrail",
             "source": "aws.sqs", "account": ACCOUNT, "region": "us-east-1",
             "detail": queue("us-east-1")}
    lines = tmp_path / "events.jsonl"
    lines.write_text(json.dumps(event) + "\n" + json.dumps(queue("ap-southeast-1")) + "\n{oops\n")
    done = run("--json", str(lines))
    summary = json.loads(done.stdout.splitlines()[-1])["summary"]
    assert (summary["records"], summary["malformed"], summary["create_calls"]) == (3, 1, 2)


def test_an_exemption_spares_and_is_counted(tmp_path, monkeypatch):
    exempt = tmp_path / "exempt.yaml"
    exempt.write_text("- type: AWS::SQS::Queue\n  region: us-east-1\n  reason: load test\n"
                      "  id: \"*q-us-east-1\"\n  owner: team@example.com\n  expires: 2099-01-01\n")
    monkeypatch.setenv("MONOCYTE_EXEMPTIONS_FILE", str(exempt))
    done = run("--json", str(mixed_log(tmp_path)))
    summary = json.loads(done.stdout.splitlines()[-1])["summary"]
    assert len(summary["would_kill"]) == 1
    assert sum(summary["spared_by_exemption"].values()) == 1


def test_a_missing_path_is_one_line_and_exit_2(tmp_path):
    done = run(str(tmp_path / "nowhere"))
    assert done.returncode == cli.EXIT_BAD_INPUT
    assert done.stderr.strip().splitlines() == [f"monocyte: {tmp_path / 'nowhere'}: no such file or directory"]


def test_an_unreadable_gz_is_counted_not_fatal(tmp_path):
    broken = tmp_path / "x.json.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    done = run("--json", str(broken))
    assert done.returncode == 0
    summary = json.loads(done.stdout.splitlines()[-1])["summary"]
    assert summary["malformed"] == 1


def test_s3_without_credentials_is_one_line_and_exit_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_EC2_METADATA_DISABLED="true",
               AWS_DEFAULT_REGION="eu-central-1")
    done = subprocess.run([sys.executable, "-m", "chalicelib.cli", "replay", "s3://trail/AWSLogs/"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == cli.EXIT_BAD_INPUT
    assert done.stderr.strip() == "monocyte: s3://trail/AWSLogs/: no AWS credentials to read it with"


def test_explain_accepts_a_raw_record(tmp_path, capsys):
    path = tmp_path / "raw.json"
    path.write_text(json.dumps(queue("us-east-1")))
    assert cli.main(["explain", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "kill"
