"""What ``monocyte scan --types/--regions`` may name, and why a scan found no units.

A scan that does nothing must say why: an empty or misspelt type list, a type only
the event path handles, regions that are all allowed. Bad input is one ConfigError
line (exit 2) and changes nothing.
"""
from __future__ import annotations

import difflib
import sys
from typing import Iterable

from chalicelib import registry
from chalicelib.errors import ConfigError


def parse_types(raw: str) -> list[str]:
    """The CloudFormation type names of ``--types``, spelt as the registry spells
    them (case does not matter where only one type matches). Event-only types are
    left out with a note on stderr; ConfigError when nothing scannable is left."""
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names:
        raise ConfigError("--types names no type: give CloudFormation type names, "
                          "comma-separated (e.g. AWS::S3::Bucket)")
    from chalicelib.generic import scanning

    known = sorted({t.cfn_type for t in registry.all_types()} | scanning.names())
    by_lower: dict[str, list[str]] = {}
    for cfn_type in known:
        by_lower.setdefault(cfn_type.lower(), []).append(cfn_type)
    chosen = []
    for name in names:
        matches = [name] if name in known else by_lower.get(name.lower(), [])
        if len(matches) != 1:
            raise ConfigError(f"--types: unknown type {name!r}{_suggestion(name, known)}")
        chosen.append(matches[0])
    event_only = [t for t in chosen if not scanning.chosen([t])]  # curated or generic
    listed = [t for t in chosen if t not in event_only]
    if event_only:
        why = (f"{', '.join(event_only)} {'is' if len(event_only) == 1 else 'are'} "
               "event-only (no list call to scan; the event path handles "
               f"{'it' if len(event_only) == 1 else 'them'})")
        if not listed:
            raise ConfigError(f"--types: {why}: nothing to scan")
        print(f"monocyte: --types: {why}; not scanned", file=sys.stderr)
    return listed


def _suggestion(name: str, known: list[str]) -> str:
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    hint = f" (did you mean {lowered[close[0]]!r}?)" if close else ""
    return hint + "; `monocyte coverage` lists the types"


def check_regions(regions: Iterable[str], allowed: frozenset[str]) -> None:
    """ConfigError when every region asked for is allowed: the scan looks only
    outside the allowed set, so there would be nothing to scan; a note on stderr
    for the allowed ones among others."""
    asked = sorted(set(regions))
    inside = [r for r in asked if r in allowed]
    if not inside:
        return
    why = (f"{', '.join(inside)} {'is' if len(inside) == 1 else 'are'} allowed "
           "(MONOCYTE_ALLOWED_REGIONS) and never scanned")
    if len(inside) == len(asked):
        raise ConfigError(f"--regions: {why}: nothing to scan")
    print(f"monocyte: --regions: {why}", file=sys.stderr)


def why_no_units(report) -> str:
    """Why a scan planned no units (its summary says so)."""
    if report.failures and not report.regions:
        return "no account could be reached (see FAILED below)"
    if not report.regions:
        return ("every region the account has enabled is allowed "
                "(MONOCYTE_ALLOWED_REGIONS): nothing lies outside")
    return "none of the chosen types is offered in these regions"
