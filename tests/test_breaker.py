"""The blast-radius breaker, per account: an account past its limit goes report-only
alone (quarantined, one alert naming it), every other account is still enforced;
only successful kills count, weighed by the age of what they killed."""
from __future__ import annotations

import dataclasses
import uuid

import boto3
import pytest

from chalicelib import audit, aws, breaker, cli, config, reaper, scan
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.errors import ConfigError
from chalicelib.sandbox import cloudtrail_event
from kinds import KINDS

HOME, TABLE = "eu-central-1", "monocyte-verdicts"
NOISY, QUIET = "111111111111", "222222222222"
create_table, table_exists = KINDS["AWS::DynamoDB::Table"]
DAY = 86400


def settings(**changes) -> Settings:
    base = Settings(dry_run=False, breaker_limit=3, breaker_account_limit=2,
                    audit_table=TABLE, home_region=HOME, member_role="monocyte-member")
    return dataclasses.replace(base, **changes)


@pytest.fixture
def verdict_table(aws):
    audit.create_table(boto3.client("dynamodb", HOME), TABLE)


class Alerts(list):
    def __call__(self, reason: str) -> None:
        self.append(reason)


def team(account: str) -> boto3.session.Session:
    """What a team in a member account works with (moto keeps accounts apart)."""
    creds = boto3.client("sts", HOME).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/team", RoleSessionName="team")["Credentials"]
    # aws.new_session shares botocore's parsed models: a session per call is cheap.
    return aws.new_session(aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])


def make(account: str, service: str, region: str, method: str, **params) -> tuple[dict, dict]:
    """Make a resource as a team in ``account`` would: (answer, CloudTrail event)."""
    client = team(account).client(service, region)
    answer = getattr(client, method)(**params)
    operation = client.meta.method_to_api_mapping[method]
    return answer, cloudtrail_event(client, operation, params, answer, account=account)


def queue(account: str, region: str) -> tuple[str, dict]:
    answer, event = make(account, "sqs", region, "create_queue",
                         QueueName=f"q-{uuid.uuid4().hex[:10]}")
    return answer["QueueUrl"], event


def queue_exists(account: str, region: str, url: str) -> bool:
    return url in team(account).client("sqs", region).list_queues().get("QueueUrls", [])


def bucket_exists(account: str, name: str) -> bool:
    names = team(account).client("s3", "us-east-1").list_buckets()["Buckets"]
    return name in {b["Name"] for b in names}


def test_sixty_throwaway_queues_quarantine_their_account_alone(verdict_table, capsys,
                                                               monkeypatch):
    """The finding: one account's throwaway queues opened the breaker for everyone."""
    current, alerts = settings(breaker_limit=20, breaker_account_limit=10), Alerts()
    fuse = breaker.build(current, Clients(current), alert=alerts)
    made, actions = [], []
    for _ in range(60):
        url, event = queue(NOISY, "us-east-1")
        made.append(url)
        [outcome] = reaper.reap(event, current, Clients(current), breaker=fuse)
        actions.append(outcome.action)
    # Seconds-old queues weigh a fifth of a kill each: 50 of them fill the limit of 10.
    assert actions == [reaper.KILLED] * 51 + [reaper.WOULD_KILL] * 9
    assert alerts == [f"account {NOISY} quarantined: more than 10 kills in 60 minutes; "
                      f"report-only there until `monocyte breaker reset --account {NOISY}`, "
                      "every other account is still enforced"]

    # A second account is still enforced: its bucket and queue outside the EU go.
    bucket = f"b-{uuid.uuid4().hex[:10]}"
    _, bucket_event = make(QUIET, "s3", "us-east-1", "create_bucket", Bucket=bucket)
    us_queue, us_event = queue(QUIET, "us-east-1")
    eu_queue, eu_event = queue(QUIET, HOME)
    outcomes = [o for e in (bucket_event, us_event, eu_event)
                for o in reaper.reap(e, current, Clients(current), breaker=fuse)]
    assert [o.action for o in outcomes] == [reaper.KILLED, reaper.KILLED, reaper.SPARED]
    assert not bucket_exists(QUIET, bucket) and not queue_exists(QUIET, "us-east-1", us_queue)
    assert queue_exists(QUIET, HOME, eu_queue)

    # The nightly scan: the leftovers stay (the account is quarantined), no new alert.
    report = scan.scan(current, Clients(current), regions=["us-east-1"],
                       types=["AWS::SQS::Queue"], accounts=[NOISY, QUIET], breaker=fuse)
    assert {o.action for o in report.outcomes} == {reaper.WOULD_KILL}
    assert len(report.outcomes) == 9 and len(alerts) == 1
    assert all(queue_exists(NOISY, "us-east-1", url) for url in made[51:])

    # After a look, the operator resets that account alone; the next scan finishes.
    monkeypatch.setenv("MONOCYTE_AUDIT_TABLE", TABLE)
    monkeypatch.setenv("MONOCYTE_HOME_REGION", HOME)
    assert cli.main(["breaker", "status"]) == cli.EXIT_FAILED
    assert f"QUARANTINED {NOISY}" in capsys.readouterr().out
    assert cli.main(["breaker", "reset", "--account", NOISY]) == 0
    assert f"breaker reset for account {NOISY}" in capsys.readouterr().out
    report = scan.scan(current, Clients(current), regions=["us-east-1"],
                       types=["AWS::SQS::Queue"], accounts=[NOISY, QUIET], breaker=fuse)
    assert [o.action for o in report.outcomes] == [reaper.KILLED] * 9
    assert not any(queue_exists(NOISY, "us-east-1", url) for url in made)
    assert queue_exists(QUIET, HOME, eu_queue)


def test_old_resources_weigh_a_whole_kill_fresh_ones_a_fifth():
    now = 1_000_000_000.0
    iso = lambda seconds_ago: __import__("datetime").datetime.fromtimestamp(  # noqa: E731
        now - seconds_ago, __import__("datetime").timezone.utc).isoformat()
    assert breaker.weight(iso(5), now) == 2
    assert breaker.weight(iso(5 * 3600), now) == 5
    assert breaker.weight(iso(2 * DAY), now) == breaker.TENTHS
    assert breaker.weight(None, now) == breaker.TENTHS, "an unknown age is the risky kind"


def test_past_its_limit_an_account_only_reports_others_go_on():
    fuse = breaker.Breaker(settings(breaker_limit=100, breaker_account_limit=2),
                           breaker.MemoryStore(), clock=lambda: 10 * DAY)
    for _ in range(3):
        assert fuse.allow(NOISY)
        fuse.record(NOISY, None)  # long-lived: a whole kill each
    assert not fuse.allow(NOISY)
    assert f"account {NOISY}" in fuse.open_reason(NOISY)
    assert fuse.allow(QUIET) and fuse.open_reason(QUIET) is None


def test_one_account_can_never_reach_the_overall_limit():
    fuse = breaker.Breaker(settings(breaker_limit=3, breaker_account_limit=2),
                           breaker.MemoryStore(), clock=lambda: 10 * DAY)
    for _ in range(50):
        fuse.record(NOISY, None)
    assert fuse.allow(QUIET), "one account's kills open only that account"
    assert fuse.status()["kills"] == 2, "it adds at most its own limit overall"
    fuse.record(QUIET, None), fuse.record(QUIET, None)
    assert not fuse.allow("333333333333"), "kills over several accounts open it all"
    assert "several accounts" in fuse.open_reason("333333333333")


def test_the_overall_limit_must_be_above_the_account_limit():
    with pytest.raises(ConfigError, match="one account alone"):
        config.from_env({"MONOCYTE_BREAKER_LIMIT": "50", "MONOCYTE_BREAKER_ACCOUNT_LIMIT": "50"})
    assert config.from_env({"MONOCYTE_BREAKER_LIMIT": "0"}).breaker_limit == 0


def test_failed_kills_count_nothing(aws, trail, monkeypatch):
    current = settings(audit_table=None, member_role=None, breaker_account_limit=1)
    fuse = breaker.Breaker(current, breaker.MemoryStore())
    from chalicelib.errors import AwsError
    from chalicelib.resources import dynamodb

    def refuse(client, name, live, force):
        raise AwsError("DeleteTable: InternalServerError: try later", "InternalServerError")

    failing = dataclasses.replace(dynamodb.TYPES[0], delete=refuse)
    real = reaper.registry.get
    monkeypatch.setattr(reaper.registry, "get",
                        lambda t: failing if t == failing.cfn_type else real(t))
    for _ in range(5):
        create_table(trail, "us-east-1")
        [outcome] = reaper.reap(trail.events[-1], current, Clients(current), breaker=fuse)
        assert outcome.action == reaper.FAILED
    assert fuse.allow(trail.events[-1]["account"])
    assert fuse.store.count(f"{trail.events[-1]['account']}#{fuse._window()}") == 0


def test_it_stays_quarantined_after_the_window_until_reset():
    now = [10 * DAY]
    fuse = breaker.Breaker(settings(), breaker.MemoryStore(), clock=lambda: now[0])
    for _ in range(3):
        fuse.record(NOISY, None)
    now[0] += DAY  # a fresh window: still quarantined
    assert not fuse.allow(NOISY)
    fuse.reset(QUIET)
    assert not fuse.allow(NOISY), "resetting another account changes nothing here"
    fuse.reset(NOISY)
    assert fuse.allow(NOISY)


def test_lambda_instances_share_the_count_and_only_one_alerts(verdict_table):
    current, alerts = settings(), Alerts()
    first = breaker.build(current, Clients(current), alert=alerts)
    second = breaker.build(current, Clients(current), alert=alerts)
    first.record(NOISY, None), second.record(NOISY, None)
    assert first.allow(NOISY)
    first.record(NOISY, None)
    second.record(NOISY, None)
    assert not first.allow(NOISY) and not second.allow(NOISY)
    assert second.allow(QUIET)
    assert len(alerts) == 1
    assert NOISY in breaker.build(current, Clients(current)).status()["quarantined"]


def test_a_breaker_it_cannot_read_kills_nothing(aws):
    current = settings(audit_table="no-such-table")
    fuse = breaker.build(current, Clients(current))
    assert "unreadable" in fuse.open_reason(NOISY)
    assert not fuse.allow(NOISY)


def test_a_scan_that_would_pass_an_account_limit_deletes_nothing_there(aws, trail):
    current, alerts = settings(audit_table=None, member_role=None, breaker_limit=5,
                               breaker_account_limit=3), Alerts()
    made = [create_table(trail, "us-east-1") for _ in range(4)]
    eu = create_table(trail, HOME)
    # Days later: each table weighs a whole kill.
    fuse = breaker.Breaker(current, breaker.MemoryStore(), alerts,
                           clock=lambda: __import__("time").time() + 10 * DAY)
    report = scan.scan(current, Clients(current), regions=["us-east-1"],
                       types=["AWS::DynamoDB::Table"], breaker=fuse)
    assert [o.action for o in report.outcomes] == [reaper.WOULD_KILL] * 4
    assert all(table_exists("us-east-1", name) for name in made) and table_exists(HOME, eu)
    [alert] = alerts
    assert "quarantined: a scan would kill resources weighing 4 kills" in alert


def test_the_plan_counts_only_what_will_really_be_deleted(aws, trail, tmp_path):
    """The finding: 51 volumes exempt by tag opened it. Exempt and spared targets are
    not in the plan; the one real kill goes ahead."""
    current = settings(audit_table=None, member_role=None, breaker_limit=5,
                       breaker_account_limit=3, exemption_tag="monocyte-exempt-until")
    ec2 = boto3.client("ec2", "us-east-1")
    until = (__import__("datetime").date.today()
             + __import__("datetime").timedelta(days=30)).isoformat()
    for _ in range(6):
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, TagSpecifications=[{
            "ResourceType": "volume",
            "Tags": [{"Key": "monocyte-exempt-until", "Value": until}]}])
    doomed = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    fuse = breaker.Breaker(current, breaker.MemoryStore(),
                           clock=lambda: __import__("time").time() + 10 * DAY)
    report = scan.scan(current, Clients(current), regions=["us-east-1"],
                       types=["AWS::EC2::Volume"], breaker=fuse)
    actions = sorted(o.action for o in report.outcomes)
    assert actions == [reaper.KILLED] + [reaper.SPARED] * 6
    assert doomed not in {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}


def test_a_scan_within_the_limit_kills(aws, trail):
    current = settings(audit_table=None, member_role=None, breaker_limit=4,
                       breaker_account_limit=3)
    made = [create_table(trail, "us-east-1") for _ in range(3)]
    fuse = breaker.build(current, Clients(current))
    report = scan.scan(current, Clients(current), regions=["us-east-1"],
                       types=["AWS::DynamoDB::Table"], breaker=fuse)
    assert [o.action for o in report.outcomes] == [reaper.KILLED] * 3
    assert not any(table_exists("us-east-1", name) for name in made)


@pytest.fixture
def breaker_env(verdict_table, monkeypatch):
    monkeypatch.setenv("MONOCYTE_AUDIT_TABLE", TABLE)
    monkeypatch.setenv("MONOCYTE_HOME_REGION", HOME)
    monkeypatch.setenv("MONOCYTE_BREAKER_LIMIT", "2")
    monkeypatch.setenv("MONOCYTE_BREAKER_ACCOUNT_LIMIT", "1")


def test_the_command_shows_and_resets_the_shared_state(breaker_env, capsys):
    current = settings(breaker_limit=2, breaker_account_limit=1)
    fuse = breaker.build(current, Clients(current))
    fuse.record(NOISY, None), fuse.record(NOISY, None)
    assert cli.main(["breaker", "status"]) == cli.EXIT_FAILED
    assert f"QUARANTINED {NOISY}: account {NOISY} quarantined: more than 1 kills" in (
        capsys.readouterr().out)
    assert cli.main(["breaker", "reset"]) == 0
    assert cli.main(["breaker", "status"]) == 0
    assert "breaker: closed" in capsys.readouterr().out
    assert fuse.allow(NOISY), "a reset starts the count afresh"


def test_a_new_reset_setting_resets_it_once(verdict_table):
    current = settings(breaker_account_limit=1)
    fuse = breaker.build(current, Clients(current))
    fuse.record(NOISY, None), fuse.record(NOISY, None)
    assert fuse.open_reason(NOISY)
    with_token = dataclasses.replace(current, breaker_reset="2026-11-30 alice")
    assert not breaker.build(with_token, Clients(current)).open_reason(NOISY)
    fuse.record(NOISY, None), fuse.record(NOISY, None)
    # The same value on the next cold start does not reset it again.
    assert breaker.build(with_token, Clients(current)).open_reason(NOISY)


def test_scan_kill_past_the_limit_exits_non_zero_and_says_why(aws, trail, monkeypatch, capsys):
    monkeypatch.setenv("MONOCYTE_BREAKER_LIMIT", "2")
    monkeypatch.setenv("MONOCYTE_BREAKER_ACCOUNT_LIMIT", "1")
    monkeypatch.setattr(breaker, "_WEIGHTS", ())  # every table weighs a whole kill
    made = [create_table(trail, "us-east-1") for _ in range(2)]
    code = cli.main(["scan", "--kill", "--regions", "us-east-1",
                     "--types", "AWS::DynamoDB::Table"])
    assert code == cli.EXIT_FAILED
    assert "blast-radius breaker is open" in capsys.readouterr().err
    assert all(table_exists("us-east-1", name) for name in made)


def test_off_when_the_limit_is_zero():
    assert breaker.build(Settings(breaker_limit=0), None) is None


def test_the_command_line_adds_to_the_shared_count(breaker_env, aws, trail, monkeypatch,
                                                    capsys):
    """With MONOCYTE_AUDIT_TABLE set, `scan --kill` counts in the verdict table as the
    Lambda does: an account cannot escape its quarantine by runs of the command."""
    monkeypatch.setattr(breaker, "_WEIGHTS", ())  # every table weighs a whole kill
    first = create_table(trail, "us-east-1")
    args = ["scan", "--kill", "--regions", "us-east-1", "--types", "AWS::DynamoDB::Table"]
    assert cli.main(args) == 0 and not table_exists("us-east-1", first)
    # A fresh run alone would be within the account limit of 1; the shared count is not.
    second = create_table(trail, "us-east-1")
    assert cli.main(args) == cli.EXIT_FAILED
    assert "blast-radius breaker is open" in capsys.readouterr().err
    assert table_exists("us-east-1", second)
