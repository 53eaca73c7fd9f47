"""The ``monocyte`` command."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Sequence

from chalicelib import config, log
from chalicelib.errors import AwsError, ConfigError, EventError

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def _fail(message: str) -> int:
    print(f"monocyte: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _read_json(path: str):
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    except OSError as error:
        raise EventError(f"cannot read {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise EventError(f"{path} is not UTF-8 text") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise EventError(f"{path} is not JSON: {error.msg} at line {error.lineno}") from error
    except RecursionError as error:
        raise EventError(f"{path} is nested too deeply") from error


def cmd_explain(args: argparse.Namespace) -> int:
    from chalicelib import reaper

    settings = config.from_env()
    if settings.exemptions_error:
        # The reaper would be report-only with this list: a "kill" here would lie.
        return _fail(f"{settings.exemptions_error}; the reaper is REPORT-ONLY until it "
                     "is fixed, so there is nothing true to explain")
    from chalicelib.replay import as_event

    raw = as_event(_read_json(args.event))  # a raw CloudTrail record is wrapped as EventBridge does
    print(json.dumps(reaper.explain(raw, settings), indent=2))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from chalicelib import demo

    return demo.run_demo(verbose=args.verbose)


def _progress(phase: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done == total else ""
    what = "units" if phase == "listing" else "resources"
    print(f"\r{phase:<8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {what}",
          end=end, file=sys.stderr, flush=True)


def _summary_table(report) -> str:
    from chalicelib import text

    columns = ["found", "killed", "would-kill", "spared", "deferred", "failed",
               "missed"]
    rows = [[r["region"], r["type"], *[str(r[c]) for c in columns]] for r in report.summary()]
    totals = [sum(r[c] for r in report.summary()) for c in columns]
    rows.append(["TOTAL", "", *map(str, totals)])
    return text.table(rows, ["REGION", "TYPE", *[c.upper() for c in columns]])


def _not_offered_lines(report) -> list[str]:
    """One line per type whose service some scanned regions do not offer."""
    where: dict[str, list[str]] = {}
    for unit in report.not_offered:
        where.setdefault(unit.type, []).append(unit.region)
    return [f"not offered here: {cfn_type} in {', '.join(sorted(set(regions)))}"
            for cfn_type, regions in sorted(where.items())]


def cmd_scan(args: argparse.Namespace) -> int:
    import dataclasses
    import os

    from chalicelib import scan, text
    from chalicelib.aws import Clients

    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
    settings = dataclasses.replace(config.from_env(), dry_run=not args.kill)
    regions = (sorted(config.parse_regions(args.regions, "--regions"))
               if args.regions is not None else None)
    from chalicelib import scan_args

    if regions:
        scan_args.check_regions(regions, settings.allowed_regions)
    types = scan_args.parse_types(args.types) if args.types is not None else None
    log.configure(logging.INFO if args.verbose else logging.ERROR)
    progress = _progress if sys.stderr.isatty() and not args.json else None
    from chalicelib import verdicts

    from chalicelib.exemptions import with_parameter

    clients = Clients(settings)
    settings = with_parameter(settings, clients)
    clients.settings = settings
    if settings.exemptions_error:
        print(f"monocyte: {settings.exemptions_error}; REPORT-ONLY until it is fixed",
              file=sys.stderr)
    from chalicelib import breaker, fleet

    try:
        sink = verdicts.build(settings, clients)
        fuse = breaker.build(settings, clients, alert=sink.alert)
        report = scan.scan(settings, clients, regions, types, progress, sink,
                           accounts=fleet.accounts(settings, clients), breaker=fuse)
    except AwsError as error:
        return _fail(f"scan could not start: {error}")
    sink.summary(report)
    held = _breaker_held(fuse) if fuse and not settings.dry_run else None
    if held:
        print(f"monocyte: REPORT-ONLY, the blast-radius breaker is open: {held}. Raise "
              "MONOCYTE_BREAKER_ACCOUNT_LIMIT (and MONOCYTE_BREAKER_LIMIT) for a "
              "deliberate clean-up.", file=sys.stderr)
    if args.json:
        for outcome in report.outcomes:
            print(json.dumps(outcome.to_dict()))
        for failure in report.failures:
            print(json.dumps(failure.to_dict()))
        for unit in report.not_offered:
            print(json.dumps({"action": "not-offered", "account": unit.account,
                              "region": unit.region, "type": unit.type}))
    else:
        mode = "kill" if args.kill else "report only (use --kill to delete)"
        print(f"Scanned {text.count(len(report.regions), 'region')} outside the allowed set, "
              f"{text.count(report.units, 'unit')}, {text.count(report.list_calls, 'list call')}."
              f" Mode: {mode}.")
        if not report.units:
            print(f"No units: {scan_args.why_no_units(report)}.")
        print(_summary_table(report))
        for line in _not_offered_lines(report):
            print(line)
        for failure in report.failures:
            print(f"FAILED {failure.unit.region} {failure.unit.type}: {failure.reason}")
        for outcome in report.outcomes:
            if outcome.action == "failed":
                print(f"FAILED {outcome.region} {outcome.type} {outcome.id}: {outcome.reason}")
    return 0 if report.ok and not held else EXIT_FAILED


def _since(raw: str):
    """'24h', '7d', '30m', or an ISO date/time (UTC)."""
    import datetime
    import re

    now = datetime.datetime.now(datetime.timezone.utc)
    match = re.fullmatch(r"(\d+)([mhd])", raw.strip())
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return now - datetime.timedelta(**{unit: int(match.group(1))})
    try:
        moment = datetime.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--since {raw!r}: use 30m, 24h, 7d or an ISO date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def _verdict_log(args: argparse.Namespace):
    """The verdict table the command line names (--table, else the setting), opened in
    the home region, and the settings."""
    import os

    from chalicelib import audit
    from chalicelib.aws import Clients

    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
    settings = config.from_env()
    table = args.table or settings.audit_table
    if not table:
        raise ConfigError("no verdict table: set MONOCYTE_AUDIT_TABLE or pass --table")
    client = Clients(settings).client("dynamodb", settings.home_region)
    return audit.VerdictLog(client, table), settings


def cmd_log(args: argparse.Namespace) -> int:
    from chalicelib import text

    log, _ = _verdict_log(args)
    since = _since(args.since)
    try:
        found = log.recent(since, account=args.account, region=args.region,
                           cfn_type=args.type)
    except AwsError as error:
        return _fail(f"cannot read the verdict log {log.table!r}: {error}")
    if args.json:
        print(json.dumps(found, indent=2, default=str))
        return 0
    rows = [[v.get("at", "")[:20], v.get("action", ""),
             v.get("type") or v.get("event", ""), v.get("id", ""),
             v.get("region", ""), v.get("account", ""), v.get("reason", "")] for v in found]
    print(text.table(rows, ["AT", "ACTION", "TYPE", "ID", "REGION", "ACCOUNT", "REASON"]))
    print(f"  {text.count(len(found), 'verdict')} since {since:%Y-%m-%d %H:%M} UTC")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from chalicelib import report, report_html

    log, settings = _verdict_log(args)
    start, end = report.period(args.since, args.month)
    try:
        found = log.recent(start, end)
    except AwsError as error:
        return _fail(f"cannot read the verdict log {log.table!r}: {error}")
    built = report.build(found, start, end, settings.exemptions)
    if args.html:
        with open(args.html, "w", encoding="utf-8") as out:
            out.write(report_html.render(built))
    if args.csv:
        with open(args.csv, "w", encoding="utf-8", newline="") as out:
            out.write(report.to_csv(built))
    if args.json:
        print(json.dumps(built, indent=2, default=str))
        return 0
    print("  " + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in built["headline"].items()))
    print(f"  median exposure {report.human(built['exposure']['median_seconds'])}"
          f" from {built['period']['start']} to {built['period']['end']}"
          + (" (no verdicts in this period)" if built["empty"] else ""))
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from chalicelib import templates

    if getattr(args, "merge", False):
        if args.name != "central":
            return _fail("--merge is for the central template (chalice package "
                         "--merge-template)")
        print(_template_text(templates.chalice_merge(config.from_env())))
        return 0
    print(_template_text(templates.render(args.name, config.from_env(), table=args.table)))
    return 0


def _template_text(template: dict) -> str:
    """Indented for reading, unless that would pass CloudFormation's template-body
    quota (the member roles' policies are long): then compact, which deploys as is."""
    from chalicelib import limits

    text = json.dumps(template, indent=2)
    if len(text.encode("utf-8")) <= limits.TEMPLATE_BODY_MAX_BYTES:
        return text
    return json.dumps(template, separators=(",", ":"))


def cmd_doctor(args: argparse.Namespace) -> int:
    import os

    from chalicelib import doctor, text
    from chalicelib.aws import Clients

    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
    settings = config.from_env()
    regions = (sorted(config.parse_regions(args.regions, "--regions"))
               if args.regions is not None else None)
    try:
        findings = doctor.check(settings, Clients(settings), regions)
    except AwsError as error:
        return _fail(f"doctor could not start: {error}")
    holes = [f for f in findings if f.status == doctor.HOLE]
    shown = findings if args.all else holes
    print(text.table([[f.account, f.region, f.check, f.status.upper(), f.detail]
                      for f in shown], ["ACCOUNT", "REGION", "CHECK", "STATUS", "DETAIL"]))
    print(f"  {text.count(len(findings), 'check')}, {text.count(len(holes), 'hole')}.")
    if getattr(args, "drill", False):
        try:
            holes += _drill(args, settings, regions)
        except AwsError as error:
            return _fail(f"the drill could not start: {error}")
    return EXIT_FAILED if holes else 0


def cmd_coverage_seen(args: argparse.Namespace) -> int:
    """`coverage --seen`: the uncovered creates in the verdict log, ranked."""
    from chalicelib import seen, text

    log, _ = _verdict_log(args)
    since = _since(args.since)
    try:
        ranked = seen.rank(log.recent(since))
    except AwsError as error:
        return _fail(f"cannot read the verdict log {log.table!r}: {error}")
    if args.json:
        print(json.dumps([s.to_dict() for s in ranked], indent=2))
        return 0
    print(text.table(seen.table_rows(ranked), seen.HEADERS))
    print(f"  {len(ranked)} uncovered calls since {since:%Y-%m-%d %H:%M} UTC "
          f"({sum(s.count for s in ranked)} events). Cover the top ones with a type, "
          "or exempt them (docs: README, Uncovered creates).")
    return 0


def _drill(args: argparse.Namespace, settings: config.Settings,
           regions: list[str] | None) -> list:
    """``doctor --drill``: the drills that failed (each one printed)."""
    from chalicelib import drill, text
    from chalicelib.aws import Clients

    print(f"Fire drill: one empty queue per account and region outside the allowed set, "
          f"waiting up to {args.timeout:.0f} s for the reaper to kill each...", flush=True)
    drills = drill.run(settings, Clients(settings), regions, timeout=args.timeout,
                       poll=args.poll)
    print(text.table([[d.account, d.region, d.status.upper(),
                       "-" if d.seconds is None else f"{d.seconds:.0f} s", d.detail]
                      for d in drills], ["ACCOUNT", "REGION", "STATUS", "CREATE TO KILL",
                                         "DETAIL"]))
    failed = [d for d in drills if d.status == drill.HOLE]
    print(f"  {text.count(len(drills), 'drill')}, {text.count(len(failed), 'hole')}.")
    return failed


def cmd_generate_generic(args: argparse.Namespace) -> int:
    from chalicelib.generic import generate

    from chalicelib.generic import permissions

    count = generate.write()
    print(f"{count} generic types written to {generate.PATH}")
    # After the table: the member roles' actions are derived from it.
    count = permissions.write_member_actions()
    print(f"{count} member-role actions written to {permissions.MEMBER_ACTIONS_PATH}")
    return 0


def cmd_coverage_types(args: argparse.Namespace) -> int:
    """`coverage --types`: CloudFormation types per service, curated to not covered."""
    from chalicelib import text, type_coverage

    rows = type_coverage.types()
    shown = [s for s in type_coverage.by_service(rows) if args.all or s["data"]]
    print(text.table([[s["service"], "yes" if s["data"] else "no", str(s["types"]),
                       str(s["covered"]), str(s["curated"]), str(s["generic"]),
                       str(s["event-only"]), str(s["refused"]), str(s["not covered"])]
                      for s in shown],
                     ["SERVICE", "DATA", "TYPES", "COVERED", "CURATED", "GENERIC",
                      "EVENT-ONLY", "REFUSED", "NOT COVERED"]))
    total = type_coverage.summary(rows)
    for label, key in (("Data services", "data"), ("Overall", "overall")):
        part = total[key]
        print(f"  {label}: {part['covered']} of {part['types']} CloudFormation types covered "
              f"({part['curated']} curated, {part['generic']} generic, "
              f"{part['event-only']} event-only; {part['refused']} refused).")
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from chalicelib import coverage, text

    if args.seen:
        return cmd_coverage_seen(args)
    if args.data:  # data-moving operations (issue 13): chalicelib/dataflow_coverage.py
        from chalicelib import dataflow_coverage
        print(dataflow_coverage.report(as_json=args.json, show_all=args.all))
        return 0

    from chalicelib import type_coverage

    if args.types:
        return cmd_coverage_types(args)
    services = coverage.measure()
    total = coverage.totals(services)
    if args.json:
        rows = type_coverage.types()
        print(json.dumps({"total": total, "services": [s.to_dict() for s in services],
                          "cfn": type_coverage.summary(rows), "cfn_types": rows},
                         indent=2))
        return 0
    shown = services if args.all else [s for s in services if s.handled]
    shown.sort(key=lambda s: (-len(s.handled), s.service))
    print(text.table([[s.service, str(len(s.handled)), str(len(s.operations)),
                       f"{s.percent:.0f}%", ", ".join(s.handled)] for s in shown],
                     ["SERVICE", "HANDLED", "CREATE OPS", "SHARE", "HANDLED OPERATIONS"]))
    print(f"  Overall: {total['handled']} of {total['operations']} create-style operations "
          f"({total['percent']}%) in {total['services_watched']} of {total['services']} "
          "regional services with such operations.")
    return 0


def cmd_breaker(args: argparse.Namespace) -> int:
    import os

    from chalicelib import breaker
    from chalicelib.aws import Clients

    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
    settings = config.from_env()
    if not settings.breaker_limit:
        return _fail("the breaker is off (MONOCYTE_BREAKER_LIMIT=0)")
    if not settings.audit_table:
        return _fail("no shared breaker: set MONOCYTE_AUDIT_TABLE to the verdict table "
                     "the deployed reaper uses")
    built = breaker.build(settings, Clients(settings))
    try:
        if args.action == "reset":
            before = built.status()
            built.reset(args.account)
            if args.account:
                was = before["quarantined"].get(args.account)
                print(f"breaker reset for account {args.account} (it was "
                      f"{'quarantined: ' + was if was else 'not quarantined'}); kills go "
                      "ahead there again")
            else:
                print(f"breaker reset everywhere (it was {_breaker_held_text(before)}); "
                      "kills go ahead again")
            return 0
        status = built.status()
    except AwsError as error:
        return _fail(f"cannot read the breaker in {settings.audit_table!r}: {error}")
    print(f"breaker: {'OPEN everywhere: ' + status['open'] if status['open'] else 'closed'}")
    for account, reason in status["quarantined"].items():
        print(f"  QUARANTINED {account}: {reason}")
    print(f"  kills this window: {status['kills']:g} overall (limit {status['limit']}); "
          f"at most {status['account_limit']} per account; window {status['window']} s")
    return EXIT_FAILED if status["open"] or status["quarantined"] else 0


def _breaker_held_text(status: dict) -> str:
    held = ([f"open: {status['open']}"] if status["open"] else []) + [
        f"account {a} quarantined" for a in status["quarantined"]]
    return "; ".join(held) or "closed"


def _breaker_held(fuse) -> str | None:
    try:
        text = _breaker_held_text(fuse.status())
    except AwsError as error:
        return f"breaker state unreadable ({error})"
    return None if text == "closed" else text


def cmd_policy(args: argparse.Namespace) -> int:
    from chalicelib import iam

    settings = config.from_env()  # bad settings are one clear line here too, not ignored
    if settings.exemptions_error:
        return _fail(settings.exemptions_error)
    print(iam.render(iam.reaper_policy(args.stage)), end="")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from chalicelib import replay

    settings = config.from_env()
    show = (lambda v: print(json.dumps(v))) if args.json else None
    tty = sys.stderr.isatty() and not args.json

    def progress(name: str, records: int) -> None:
        print(f"\rreplay   {records} records ... {name[-50:]:<50}", end="",
              file=sys.stderr, flush=True)

    try:
        summary = replay.run(args.paths, settings, on_verdict=show,
                             on_file=progress if tty else None)
    except replay.ReplayInputError as error:
        if tty:
            print(file=sys.stderr)
        return _fail(str(error))
    if tty:
        print(file=sys.stderr)
    if settings.exemptions_error:  # the reaper would be report-only: say so, once
        print(f"monocyte: the reaper would be REPORT-ONLY: {settings.exemptions_error}",
              file=sys.stderr)
    if args.json:
        print(json.dumps({"summary": summary.to_dict()}))
    else:
        print(replay.text(summary))
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from chalicelib import emulator

    return emulator.serve(port=args.port, seed_estate=args.seed)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="monocyte",
        description="Deletes AWS resources created outside the allowed (EU) regions.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    explain = commands.add_parser(
        "explain", help="show what would happen to a CloudTrail event, without AWS calls")
    explain.add_argument("event", metavar="EVENT.json", help="the event, or - for stdin")
    explain.set_defaults(func=cmd_explain)

    demo = commands.add_parser("demo", help="the whole story on this machine, in an emulator")
    demo.add_argument("--verbose", action="store_true", help="show every outcome log line")
    demo.set_defaults(func=cmd_demo)

    scan = commands.add_parser(
        "scan", help="find (and with --kill delete) resources outside the allowed regions")
    scan.add_argument("--kill", action="store_true",
                      help="delete what is found (default: report only)")
    scan.add_argument("--regions", help="comma list: scan only these regions")
    scan.add_argument("--types", help="comma list of CloudFormation type names")
    scan.add_argument("--json", action="store_true", help="one JSON object per outcome")
    scan.add_argument("--endpoint-url", help="an AWS emulator, e.g. http://127.0.0.1:5000")
    scan.add_argument("--verbose", action="store_true", help="log every outcome on stderr")
    scan.set_defaults(func=cmd_scan)

    verdict_log = commands.add_parser("log", help="the recent verdicts from the verdict log")
    verdict_log.add_argument("--since", default="24h", help="30m, 24h, 7d or an ISO date")
    verdict_log.add_argument("--account")
    verdict_log.add_argument("--region")
    verdict_log.add_argument("--type", help="a CloudFormation type name")
    verdict_log.add_argument("--table", help="default: MONOCYTE_AUDIT_TABLE")
    verdict_log.add_argument("--json", action="store_true")
    verdict_log.add_argument("--endpoint-url", help="an AWS emulator")
    verdict_log.set_defaults(func=cmd_log)

    monthly = commands.add_parser("report", help="the period's evidence: numbers, HTML, CSV")
    period = monthly.add_mutually_exclusive_group()
    period.add_argument("--since", help="a number of days, e.g. 30d (the default)")
    period.add_argument("--month", help="a calendar month, e.g. 2026-11")
    monthly.add_argument("--html", metavar="FILE", help="write the HTML report here")
    monthly.add_argument("--csv", metavar="FILE", help="write every verdict as CSV here")
    monthly.add_argument("--json", action="store_true")
    monthly.add_argument("--table", help="default: MONOCYTE_AUDIT_TABLE")
    monthly.add_argument("--endpoint-url", help="an AWS emulator")
    monthly.set_defaults(func=cmd_report)

    template = commands.add_parser(
        "template", help="CloudFormation generated from the registry (see docs/templates.md)")
    template.add_argument("name", choices=["forwarders", "member-role", "central", "scp",
                                           "verdicts"])
    template.add_argument("--table", help="the verdict table's name (verdicts)")
    template.add_argument("--merge", action="store_true",
                          help="central only: the file for `chalice package --merge-template`"
                               " (adds reap's on-failure queue to Chalice's function)")
    template.set_defaults(func=cmd_template)

    doctor = commands.add_parser(
        "doctor", help="check forwarders and member roles in every account and region")
    doctor.add_argument("--regions", help="comma list: check only these regions")
    doctor.add_argument("--all", action="store_true", help="show passing checks too")
    doctor.add_argument("--endpoint-url", help="an AWS emulator")
    doctor.add_argument("--drill", action="store_true",
                        help="then a fire drill: one empty monocyte-drill-* queue per account "
                             "and region outside the allowed set, timed until the reaper kills it")
    doctor.add_argument("--timeout", type=float, default=900.0,
                        help="--drill: seconds to wait for each kill (default 900)")
    doctor.add_argument("--poll", type=float, default=10.0,
                        help="--drill: seconds between looks (default 10)")
    doctor.set_defaults(func=cmd_doctor)

    cover = commands.add_parser(
        "coverage", help="which create-style operations of botocore's models are handled")
    cover.add_argument("--all", action="store_true", help="list unwatched services too")
    cover.add_argument("--json", action="store_true",
                       help="also lists every CloudFormation type and its state")
    cover.add_argument("--types", action="store_true",
                       help="CloudFormation types per service: curated, generic, event-only")
    cover.add_argument("--data", action="store_true",
                       help="data-moving operations (copies, restores, replication)")
    cover.add_argument("--seen", action="store_true",
                       help="rank the uncovered creates found in the verdict log")
    cover.add_argument("--since", default="30d", help="with --seen: 30d, 24h or an ISO date")
    cover.add_argument("--table", help="with --seen: default MONOCYTE_AUDIT_TABLE")
    cover.add_argument("--endpoint-url", help="with --seen: an AWS emulator")
    cover.set_defaults(func=cmd_coverage)

    fuse = commands.add_parser(
        "breaker", help="the blast-radius breaker: is it open, and reset it after a look")
    fuse.add_argument("action", choices=["status", "reset"])
    fuse.add_argument("--account", help="reset one quarantined account only")
    fuse.add_argument("--endpoint-url", help="an AWS emulator")
    fuse.set_defaults(func=cmd_breaker)

    generic = commands.add_parser(
        "generate-generic",
        help="regenerate chalicelib/generic/types.json from cfn-lint's schemas")
    generic.set_defaults(func=cmd_generate_generic)

    policy = commands.add_parser(
        "policy", help="print the Lambda's IAM policy, generated from the registry")
    policy.add_argument("--stage", choices=["dev", "prod"], default="prod",
                        help="dev assumes the dry-run member role (no deletes)")
    policy.set_defaults(func=cmd_policy)

    replay = commands.add_parser(
        "replay", help="what would have been killed: steps 1-3 on CloudTrail logs, offline")
    replay.add_argument("paths", nargs="+", metavar="PATH",
                        help="log files (.json, .json.gz, JSON lines), directories, s3://bucket/prefix")
    replay.add_argument("--json", action="store_true", help="one JSON verdict per record")
    replay.set_defaults(func=cmd_replay)

    sandbox = commands.add_parser(
        "sandbox", help="run the corrected AWS emulator on 127.0.0.1 until Ctrl-C")
    sandbox.add_argument("--port", type=int, default=5000, help="default 5000")
    sandbox.add_argument("--seed", action="store_true",
                         help="create a small estate, EU and non-EU, to scan")
    sandbox.set_defaults(func=cmd_sandbox)
    return top


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("monocyte")
    except metadata.PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    top = parser()
    top.add_argument("--version", action="version", version=f"monocyte {_version()}")
    args = top.parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        return code
    except (ConfigError, EventError) as error:
        return _fail(str(error))
    except BrokenPipeError:
        # The reader (``| head``) has gone: not an error of ours. Point stdout at
        # /dev/null so the interpreter's final flush does not raise again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
