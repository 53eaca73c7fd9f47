"""The ``monocyte`` command."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from chalicelib import config
from chalicelib.errors import ConfigError, EventError

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
    raw = _read_json(args.event)
    print(json.dumps(reaper.explain(raw, settings), indent=2))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from chalicelib import demo

    return demo.run_demo(verbose=args.verbose)


def cmd_policy(args: argparse.Namespace) -> int:
    from chalicelib import iam

    print(iam.render(iam.reaper_policy()), end="")
    return 0


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

    policy = commands.add_parser(
        "policy", help="print the Lambda's IAM policy, generated from the registry")
    policy.set_defaults(func=cmd_policy)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, EventError) as error:
        return _fail(str(error))


if __name__ == "__main__":
    sys.exit(main())
