"""The member roles' managed policies, cut in two kinds so both roles stay inside
IAM's quotas and the member-role template inside CloudFormation's body size however
many types the registry (curated and generic) holds:

- *read* policies: the plain reads of metadata (exact actions and the generic layer's
  ``svc:List*``/``svc:Describe*``), the reads that show data allowed outside the
  allowed regions only, and the explicit deny of every read of customer data. They are
  attached to **both** roles, prod and dry run, so they are written once.
- *write* policies (prod role only): every other action, each denied in every allowed
  region by one Deny statement per policy (folded to ``svc:Verb*`` where that denies
  nothing meant to work there), the named replica removals apart.

One Deny per policy rather than per service: its region list is long when the user
allows nearly every region, and it would otherwise be repeated a hundred times.
"""
from __future__ import annotations

import fnmatch
import re
from typing import Iterable

from chalicelib import iam
from chalicelib.limits import MANAGED_POLICY_MAX_CHARS

_LEADING_VERB = re.compile(r"^[A-Z][a-z]+")


def _document(statements: list[dict]) -> dict:
    return {"Version": "2012-10-17", "Statement": statements}


def _outside_only(actions: list[str]) -> list[str]:
    """The granted reads that show data, wildcards too: a ``lambda:List*`` grants
    ``lambda:ListFunctions``, which must stay denied in the allowed regions. (IAM
    matches actions without regard to case, so does this.)"""
    return sorted(a for a in iam.OUTSIDE_ONLY_READS if any(
        fnmatch.fnmatchcase(a.lower(), action.lower()) for action in actions))


def _folded_denies(guarded: list[str]) -> list[str]:
    """The Deny's actions: ``svc:Verb*`` for each guarded action whose verb is not a
    read's and under which no named replica removal falls (denying more than we are
    granted in the allowed regions is harmless: we must do none of it there)."""
    kept = set()
    for action in guarded:
        prefix, _, name = action.partition(":")
        verb = _LEADING_VERB.match(name)
        pattern = f"{prefix}:{verb.group(0)}*" if verb else action
        if verb is None or verb.group(0) in ("Describe", "List", "Get") or any(
                fnmatch.fnmatchcase(r, pattern) for r in iam.REPLICA_REMOVALS):
            kept.add(action)
        else:
            kept.add(pattern)
    # A pattern makes the exact actions it covers redundant.
    return sorted(a for a in kept if not any(
        p != a and p.endswith("*") and fnmatch.fnmatchcase(a, p) for p in kept))


def _narrowed(actions: list[str]) -> list[dict]:
    """One statement per action allowed only on the resources iam.NARROWED names."""
    return [{"Sid": action.replace(":", "").replace("-", "").title(), "Effect": "Allow",
             "Action": [action], "Resource": iam.NARROWED[action]}
            for action in sorted(a for a in actions if a in iam.NARROWED)]


def _read_statements(actions: list[str], regions: list[str]) -> list[dict]:
    plain = sorted(a for a in actions if a not in iam.NARROWED)
    statements = [{"Sid": "Read", "Effect": "Allow", "Action": plain, "Resource": "*"}] \
        if plain else []
    statements += _narrowed(actions)
    shows_data = _outside_only(actions)
    if shows_data:
        statements.append({"Sid": "ReadsShowingDataNotInAllowedRegions", "Effect": "Deny",
                           "Action": shows_data, "Resource": "*",
                           "Condition": iam._allowed(regions)})
    return statements


def _write_statements(actions: list[str], regions: list[str]) -> list[dict]:
    plain = sorted(a for a in actions if a not in iam.NARROWED and a not in iam.REPLICA_REMOVALS)
    statements = [{"Sid": "Kill", "Effect": "Allow", "Action": plain, "Resource": "*"}] \
        if plain else []
    statements += _narrowed(actions)
    exceptions = sorted(a for a in actions if a in iam.REPLICA_REMOVALS)
    if exceptions:
        statements.append({"Sid": "ReplicaRemovals", "Effect": "Allow",
                           "Action": exceptions, "Resource": "*"})
    guarded = [a for a in actions if iam.region_guarded(a)]
    if guarded:
        statements.append({"Sid": "NothingInAllowedRegions", "Effect": "Deny",
                           "Action": _folded_denies(guarded), "Resource": "*",
                           "Condition": iam._allowed(regions)})
    for action in sorted(a for a in actions if a in iam._EXCEPTION_DENIED_ON):
        statements.append({"Sid": f"{action.split(':')[1]}NotOnAllowedRegions",
                           "Effect": "Deny", "Action": [action],
                           "Resource": [iam._EXCEPTION_DENIED_ON[action].format(region=r)
                                        for r in regions]})
    return statements


def _packed(by_service: dict[str, list[str]], build, first: list[dict]) -> list[dict]:
    """Whole services packed in order into documents of at most
    MANAGED_POLICY_MAX_CHARS (a service too big for one is cut in halves); ``first``
    opens the first document."""
    def statements(n: int, actions: list[str]) -> list[dict]:
        return (first if n == 0 else []) + build(actions)

    def fits(n: int, actions: list[str]) -> bool:
        return len(iam.minified(_document(statements(n, actions)))) <= MANAGED_POLICY_MAX_CHARS

    pieces: list[list[str]] = []

    def cut(actions: list[str]) -> None:
        if fits(1, actions) or len(actions) == 1:
            pieces.append(actions)
        else:
            cut(actions[:len(actions) // 2])
            cut(actions[len(actions) // 2:])

    for _, actions in sorted(by_service.items()):
        cut(actions)
    documents: list[list[str]] = [[]] if first else []
    for piece in pieces:
        if documents and fits(len(documents) - 1, documents[-1] + piece):
            documents[-1] += piece
        else:
            documents.append(list(piece))
    return [_document(statements(n, actions)) for n, actions in enumerate(documents)]


def _by_service(actions: Iterable[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for action in sorted(set(actions)):
        found.setdefault(action.split(":", 1)[0], []).append(action)
    return found


def split(actions: Iterable[str], regions: Iterable[str]) -> tuple[list[dict], list[dict]]:
    """(read documents, for both roles; write documents, for the prod role)."""
    regions = sorted(regions)
    actions = sorted(set(actions))
    reads = [a for a in actions if iam.is_read(a) or a in iam.OUTSIDE_ONLY_READS]
    writes = [a for a in actions if a not in reads]
    # Our own roles may never read customer data, even through a resource policy that
    # a bug (or anyone) made grant them: an explicit deny wins over that allow.
    never = [{"Sid": "NeverReadCustomerData", "Effect": "Deny",
              "Action": sorted(iam.NEVER_GRANTED), "Resource": "*"}]
    read_docs = _packed(_by_service(reads), lambda a: _read_statements(a, regions), never)
    write_docs = _packed(_by_service(writes), lambda a: _write_statements(a, regions), [])
    return read_docs, write_docs
