"""The blast-radius breaker: past its limit the reaper only reports, says so once,
and stays so until an operator resets it."""
from __future__ import annotations

import dataclasses

import boto3
import pytest

from chalicelib import audit, breaker, cli, reaper, scan
from chalicelib.aws import Clients
from chalicelib.config import Settings
from kinds import KINDS

HOME, TABLE = "eu-central-1", "monocyte-verdicts"
create_table, table_exists = KINDS["AWS::DynamoDB::Table"]


def settings(**changes) -> Settings:
    base = Settings(dry_run=False, breaker_limit=2, breaker_account_limit=2,
                    audit_table=TABLE, home_region=HOME)
    return dataclasses.replace(base, **changes)


@pytest.fixture
def verdict_table(aws):
    audit.create_table(boto3.client("dynamodb", HOME), TABLE)


class Alerts(list):
    def __call__(self, reason: str) -> None:
        self.append(reason)


def test_past_the_limit_the_event_path_only_reports_and_alerts_once(aws, trail):
    current, alerts = settings(audit_table=None), Alerts()
    fuse = breaker.build(current, Clients(current), alert=alerts)
    made, actions = [], []
    for _ in range(4):
        made.append(create_table(trail, "us-east-1"))
        [outcome] = reaper.reap(trail.events[-1], current, Clients(current), breaker=fuse)
        actions.append(outcome.action)
    assert actions == [reaper.KILLED, reaper.KILLED, reaper.WOULD_KILL, reaper.WOULD_KILL]
    assert [table_exists("us-east-1", name) for name in made] == [False, False, True, True]
    assert len(alerts) == 1 and "more than 2 kills" in alerts[0]
    assert "breaker is open" in reaper.reap(trail.events[-1], current, Clients(current),
                                            breaker=fuse)[0].reason


def test_it_stays_open_after_the_window_until_reset():
    now = [0.0]
    fuse = breaker.Breaker(settings(), breaker.MemoryStore(), clock=lambda: now[0])
    assert [fuse.allow("111111111111") for _ in range(3)] == [True, True, False]
    now[0] += 10 * 3600  # hours later, a fresh window: still open
    assert not fuse.allow("111111111111")
    fuse.reset()
    assert fuse.allow("111111111111")


def test_one_account_past_its_own_limit_opens_it():
    fuse = breaker.Breaker(settings(breaker_limit=100, breaker_account_limit=2),
                           breaker.MemoryStore())
    assert fuse.allow("111111111111") and fuse.allow("222222222222")
    assert fuse.allow("111111111111")
    assert not fuse.allow("111111111111")
    assert "account 111111111111" in fuse.open_reason()


def test_lambda_instances_share_the_count_and_only_one_alerts(verdict_table):
    current, alerts = settings(), Alerts()
    first = breaker.build(current, Clients(current), alert=alerts)
    second = breaker.build(current, Clients(current), alert=alerts)
    assert first.allow("111111111111") and second.allow("111111111111")
    assert not first.allow("111111111111")
    assert not second.allow("111111111111")
    assert len(alerts) == 1
    assert breaker.build(current, Clients(current)).status()["open"]


def test_a_breaker_it_cannot_read_kills_nothing(aws):
    current = settings(audit_table="no-such-table")
    fuse = breaker.build(current, Clients(current))
    assert "unreadable" in fuse.open_reason()
    assert not fuse.allow("111111111111")


def test_a_scan_that_would_pass_the_limit_deletes_nothing(aws, trail):
    current, alerts = settings(audit_table=None, breaker_limit=3), Alerts()
    made = [create_table(trail, "us-east-1") for _ in range(4)]
    eu = create_table(trail, HOME)
    fuse = breaker.build(current, Clients(current), alert=alerts)
    report = scan.scan(current, Clients(current), regions=["us-east-1"],
                       types=["AWS::DynamoDB::Table"], breaker=fuse)
    assert [o.action for o in report.outcomes] == [reaper.WOULD_KILL] * 4
    assert all(table_exists("us-east-1", name) for name in made) and table_exists(HOME, eu)
    assert alerts == ["a scan would kill 4 resources, more than the limit of 3"]


def test_a_scan_within_the_limit_kills(aws, trail):
    current = settings(audit_table=None, breaker_limit=3, breaker_account_limit=3)
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
    monkeypatch.setenv("MONOCYTE_BREAKER_LIMIT", "1")


def test_the_command_shows_and_resets_the_shared_state(breaker_env, capsys):
    current = settings(breaker_limit=1)
    fuse = breaker.build(current, Clients(current))
    fuse.allow("111111111111"), fuse.allow("111111111111")
    assert cli.main(["breaker", "status"]) == cli.EXIT_FAILED
    assert "OPEN: more than 1 kills" in capsys.readouterr().out
    assert cli.main(["breaker", "reset"]) == 0
    assert cli.main(["breaker", "status"]) == 0
    assert "breaker: closed" in capsys.readouterr().out
    assert fuse.allow("111111111111"), "a reset starts the count afresh"


def test_a_new_reset_setting_resets_it_once(verdict_table):
    current = settings(breaker_limit=1)
    fuse = breaker.build(current, Clients(current))
    fuse.allow("111111111111"), fuse.allow("111111111111")
    assert fuse.open_reason()
    with_token = dataclasses.replace(current, breaker_reset="2026-11-30 alice")
    assert not breaker.build(with_token, Clients(current)).open_reason()
    fuse.allow("111111111111"), fuse.allow("111111111111")
    # The same value on the next cold start does not reset it again.
    assert breaker.build(with_token, Clients(current)).open_reason()


def test_scan_kill_past_the_limit_exits_non_zero_and_says_why(aws, trail, monkeypatch, capsys):
    monkeypatch.setenv("MONOCYTE_BREAKER_LIMIT", "1")
    made = [create_table(trail, "us-east-1") for _ in range(2)]
    code = cli.main(["scan", "--kill", "--regions", "us-east-1",
                     "--types", "AWS::DynamoDB::Table"])
    assert code == cli.EXIT_FAILED
    assert "blast-radius breaker is open" in capsys.readouterr().err
    assert all(table_exists("us-east-1", name) for name in made)


def test_off_when_the_limit_is_zero():
    assert breaker.build(Settings(breaker_limit=0), None) is None
