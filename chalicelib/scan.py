"""The nightly backstop: find every resource outside the allowed regions and put it
through the same decision as an event.

Work is cut into units, one per (account, region, type) (per-account types such as
S3 buckets: one per account), run concurrently in a bounded pool. A unit that fails
(access denied, throttled past retries, a region that refuses the call) is reported
and every other unit still completes.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import functools
import logging
import threading
from typing import Any, Callable, Iterable

from chalicelib import log, reaper, registry
from chalicelib.aws import Clients
from chalicelib.config import Settings, known_regions
from chalicelib.errors import AwsError, NotOffered, aws_errors
from chalicelib.events import Target
from chalicelib.generic import scanning
from chalicelib.reaper import Outcome

GLOBAL = "(account)"  # the region column of a per-account unit
_HOME = "us-east-1"   # where per-account listings (S3 ListBuckets) are asked


@dataclasses.dataclass(frozen=True)
class Unit:
    account: str
    region: str
    type: str


@dataclasses.dataclass
class Failure:
    unit: Unit
    reason: str

    def to_dict(self) -> dict:
        return {"action": "unit-failed", "account": self.unit.account,
                "region": self.unit.region, "type": self.unit.type, "reason": self.reason}


@dataclasses.dataclass
class Report:
    outcomes: list[Outcome] = dataclasses.field(default_factory=list)
    failures: list[Failure] = dataclasses.field(default_factory=list)
    regions: list[str] = dataclasses.field(default_factory=list)
    units: int = 0
    list_calls: int = 0
    # Uncovered creates of the event path (verdict-log records), for the summary.
    uncovered: list[dict] = dataclasses.field(default_factory=list)
    # Units whose service the region (or the endpoint) does not offer: nothing to
    # find there, so neither a finding nor a failure.
    not_offered: list[Unit] = dataclasses.field(default_factory=list)
    data_flows: list[dict] = dataclasses.field(default_factory=list)  # chalicelib.dataflow

    @property
    def ok(self) -> bool:
        # A cut-off is escalated until a human acts: a scan holding one is not ok.
        return not self.failures and not any(o.action in (reaper.FAILED, reaper.CUT_OFF)
                                             for o in self.outcomes)

    def summary(self) -> list[dict]:
        """Per (region, type): found, killed, would-kill, spared, gone, deferred, failed."""
        rows: dict[tuple[str, str], dict] = {}

        def row(region: str, cfn_type: str) -> dict:
            return rows.setdefault((region, cfn_type), {
                "region": region, "type": cfn_type, "found": 0, reaper.KILLED: 0,
                reaper.WOULD_KILL: 0, reaper.SPARED: 0, reaper.GONE: 0, reaper.DEFERRED: 0,
                reaper.FAILED: 0, reaper.CUT_OFF: 0, "missed": 0})

        for outcome in self.outcomes:
            counts = row(outcome.region, outcome.type)
            counts["found"] += 1
            counts[outcome.action] += 1
            counts["missed"] += outcome.missed
        for failure in self.failures:
            row(failure.unit.region, failure.unit.type)[reaper.FAILED] += 1
        return [rows[key] for key in sorted(rows)]


def enabled_regions(clients: Clients, account: str | None = None) -> list[str]:
    """The regions the account has enabled, within what botocore knows for its
    partition. An emulator answers 'enabled' for every region, so botocore's own list
    bounds it. Raises AwsError when the account will not say."""
    ec2 = clients.client("ec2", _HOME, account)
    with aws_errors():
        answer = ec2.describe_regions(AllRegions=False)["Regions"]
    enabled = {r["RegionName"] for r in answer
               if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in"}
    partition = set(clients.available_regions("ec2"))
    return sorted(enabled & partition)


def plan(account: str, regions: Iterable[str], types: Iterable[registry.ResourceType],
         clients: Clients) -> list[Unit]:
    """The units for one account: each regional type in each region where its
    service exists, and each per-account type once."""
    units = []
    for rtype in types:
        if scanning.owns(rtype):  # a row of the generic table: listed by Cloud Control
            units += scanning.plan(account, regions, rtype, clients)
            continue
        if rtype.listing.per_account:
            units.append(Unit(account, GLOBAL, rtype.cfn_type))
            continue
        offered = set(clients.available_regions(rtype.service))
        units += [Unit(account, r, rtype.cfn_type) for r in regions if r in offered]
    return units


class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.value += n


def list_unit(unit: Unit, regions: set[str], clients: Clients, settings: Settings,
              calls: _Counter) -> list[Target]:
    """Every resource of the unit's type in its region (per-account: in ``regions``)."""
    if scanning.is_generic(unit.type):
        return scanning.list_unit(unit, clients, calls.add)
    rtype = registry.get(unit.type)
    listing = rtype.listing
    region = _HOME if listing.per_account else unit.region
    client = clients.client(rtype.service, region, unit.account)
    paths = listing.compiled
    found = []
    with aws_errors(not_found=rtype.not_found):
        for page in _pages(client, listing, settings):
            calls.add()
            for item in paths["items"].search(page) or []:
                if listing.keep and not listing.keep(client, item):
                    continue
                resource_id = paths["id"].search(item)
                if not isinstance(resource_id, str) or not resource_id:
                    continue
                where = region
                if listing.per_account:
                    where = paths["region"].search(item) if "region" in paths else None
                    if not where and listing.locate:
                        where = listing.locate(client, resource_id)
                    if where not in regions:
                        continue
                created = (registry.utc_iso(paths["created"].search(item))
                           if "created" in paths else None)
                found.append(Target(unit.type, resource_id, where, unit.account, "scan",
                                    None, created))
    return found


def _pages(client, listing: registry.Listing, settings: Settings) -> Iterable[dict]:
    """Every page of the listing; one plain call where botocore has no paginator
    (the API answers everything at once: OpenSearch's ListDomainNames)."""
    if not client.can_paginate(listing.operation):
        return [getattr(client, listing.operation)(**listing.params)]
    # Not every paginator can be told a page size (ListStacks cannot).
    sized = settings.page_size and _has_limit(client, listing.operation)
    paging = {"PageSize": settings.page_size} if sized else {}
    return client.get_paginator(listing.operation).paginate(**listing.params,
                                                            PaginationConfig=paging)


@functools.lru_cache(maxsize=None)
def _paginators(service: str) -> dict:
    import botocore.loaders

    return botocore.loaders.create_loader().load_service_model(service, "paginators-1")


def _has_limit(client, method: str) -> bool:
    operation = client.meta.method_to_api_mapping[method]
    config = _paginators(client.meta.service_model.service_name)["pagination"]
    return "limit_key" in config.get(operation, {})


def _missed(target: Target, outcome: Outcome, settings: Settings) -> bool:
    """A kill the event path should have made: its type has a create event, and it
    was created longer ago than the grace period."""
    if outcome.action not in (reaper.KILLED, reaper.WOULD_KILL):
        return False
    created = outcome.created or target.created
    if not created or not scanning.has_events(target.type):
        return False
    try:
        when = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    age = datetime.datetime.now(datetime.timezone.utc) - when
    return age.total_seconds() > settings.scan_grace_seconds


def _finish(target: Target, outcome: Outcome, settings: Settings,
            verdicts: Callable[[Outcome], None] | None) -> Outcome:
    outcome.missed = _missed(target, outcome, settings)
    log.emit("outcome", **outcome.to_dict())
    if verdicts:
        verdicts(outcome)
    return outcome


def scan(settings: Settings, clients: Clients, regions: Iterable[str] | None = None,
         types: Iterable[str] | None = None,
         progress: Callable[[str, int, int], None] | None = None,
         verdicts: Callable[[Outcome], None] | None = None,
         accounts: Iterable[str] | None = None, breaker: Any = None) -> Report:
    """Scan accounts (default: the current one). ``settings.dry_run`` decides between
    report and kill.

    ``regions`` narrows the scan (default: each account's enabled regions outside
    the allowed set); ``types`` narrows it to some CloudFormation type names. An
    account that cannot be reached is a reported failure; the others are scanned.
    """
    report = Report()
    chosen = scanning.chosen(types)
    units: list[Unit] = []
    scanned: set[str] = set()
    for account in accounts or [clients.own_account()]:
        account_units, account_regions, failure = plan_account(
            account, regions, chosen, settings, clients)
        if failure:
            report.failures.append(failure)
            log.emit("unit-failed", logging.WARNING, **failure.to_dict())
        units += account_units
        scanned |= set(account_regions)
    report.regions = sorted(scanned)
    # Per-account listings (buckets) keep what lies in any scanned region, or in any
    # region outside the allowed set when the scan was not narrowed.
    keep = set(regions) - settings.allowed_regions if regions is not None else (
        set(known_regions()) - settings.allowed_regions)
    run_units(units, keep, settings, clients, report, progress, verdicts, breaker)
    return report


def plan_account(account: str, regions: Iterable[str] | None,
                 types: list[registry.ResourceType], settings: Settings,
                 clients: Clients) -> tuple[list[Unit], list[str], Failure | None]:
    """The units of one account; a Failure instead when it cannot be reached."""
    try:
        clients.session(account)
    except AwsError as error:
        return [], [], Failure(Unit(account, "*", "(account)"), f"cannot reach account: {error}")
    failure = None
    if regions is None:
        try:
            regions = enabled_regions(clients, account)
        except AwsError as error:
            # Without the account's word, scan what botocore knows; say so.
            failure = Failure(Unit(account, "*", "ec2:DescribeRegions"), str(error))
            regions = clients.available_regions("ec2")
    scanned = sorted(r for r in set(regions) - settings.allowed_regions if r in known_regions())
    return plan(account, scanned, types, clients), scanned, failure


def run_units(units: list[Unit], keep: set[str], settings: Settings, clients: Clients,
              report: Report, progress: Callable[[str, int, int], None] | None = None,
              verdicts: Callable[[Outcome], None] | None = None,
              breaker: Any = None) -> Report:
    """List every unit, check every target found (policy, live check, exemptions),
    then delete what passed, each phase in a bounded pool, adding outcomes and
    failures to ``report``.

    Checking everything first lets the blast-radius breaker weigh what will really be
    deleted before the first delete: an account whose kills would pass its limit is
    quarantined and loses nothing; the other accounts go ahead.
    """
    report.units += len(units)
    calls = _Counter()
    targets: list[Target] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=settings.scan_workers) as pool:
        for _, found in _each(pool, units, lambda u: list_unit(u, keep, clients, settings,
                                                                   calls),
                                 report, "listing", progress):
            targets += found
        checked = _each(pool, targets, lambda t: scanning.assess(t, settings, clients),
                        report, "checking", progress)
        kills = [c for _, c in checked if isinstance(c, reaper.Kill)]
        if breaker and kills:
            breaker.check_plan(_kill_counts(kills, breaker))
        done = [(t, c) for t, c in checked if isinstance(c, Outcome)]
        done += _each(pool, kills,
                      lambda k: scanning.execute(k, settings, clients, breaker),
                      report, "deleting", progress)
        outcomes = [_finish(t if isinstance(t, Target) else t.target, o, settings, verdicts)
                    for t, o in done]
        # A listing also shows what is on its way out (a terminated instance, an
        # INACTIVE ECS cluster): gone is not a finding.
        report.outcomes += [outcome for outcome in outcomes if outcome.action != reaper.GONE]
    report.list_calls += calls.value
    report.outcomes.sort(key=lambda o: (o.account, o.region, o.type, o.id))
    report.failures.sort(key=lambda f: (f.unit.account, f.unit.region, f.unit.type))
    report.not_offered.sort(key=lambda u: (u.account, u.region, u.type))
    return report


def _kill_counts(kills: list[reaper.Kill], breaker: Any) -> dict[str, int]:
    """What each account would lose, weighed as the breaker weighs kills: only the
    targets that passed every check, so what is spared or exempt counts nothing."""
    counts: dict[str, int] = {}
    for kill in kills:
        account = kill.target.account
        counts[account] = counts.get(account, 0) + breaker.weight(kill.target.created)
    return counts


def _each(pool: concurrent.futures.Executor, items: list, work: Callable[[Any], Any],
          report: Report, phase: str,
          progress: Callable[[str, int, int], None] | None) -> list[tuple[Any, Any]]:
    """(item, result) of ``work`` over every item that did not fail. A failure is
    reported against its unit (a target's failure is its unit's) and never stops
    the others."""
    futures = {pool.submit(work, item): item for item in items}
    results = []
    for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
        item = futures[future]
        try:
            results.append((item, future.result()))
        except NotOffered as error:
            if not isinstance(item, Unit):
                _failed(item, error, report)  # it was listed there: the service is
            else:
                report.not_offered.append(item)
                log.emit("unit-not-offered", **Failure(item, str(error)).to_dict())
        except Exception as error:  # noqa: BLE001 - one unit never stops the others
            _failed(item, error, report)
        if progress:
            progress(phase, done, len(items))
    return results


def _failed(item: Any, error: Exception, report: Report) -> None:
    """Report a failure against its unit (a target's failure is its unit's)."""
    reason = str(error) if isinstance(error, AwsError) else f"{type(error).__name__}: {error}"
    target = item.target if isinstance(item, reaper.Kill) else item
    unit = item if isinstance(item, Unit) else Unit(target.account, target.region, target.type)
    failure = Failure(unit, reason)
    report.failures.append(failure)
    log.emit("unit-failed", logging.WARNING, **failure.to_dict())
