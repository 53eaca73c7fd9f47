"""Does a set of IAM policy documents allow one action on one resource?

A small evaluator of identity policies for the doctor: moto implements neither IAM's
evaluation nor SimulatePrincipalPolicy, and in AWS the doctor would need the member
role to be allowed to simulate. It follows IAM's evaluation logic for what our own
templates write (Allow and Deny, Action/NotAction and Resource/NotResource with ``*``
and ``?`` wildcards, an explicit Deny wins) and is conservative about the rest: an
Allow with a Condition proves nothing, a Deny with a Condition is taken to apply.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""
from __future__ import annotations

import re
from typing import Any, Iterable


def _list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _matches(pattern: str, value: str, case: bool) -> bool:
    # IAM's wildcards are * and ? only: no character classes.
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


def _covers(statement: dict, key: str, value: str, case: bool) -> bool:
    if key in statement:
        return any(_matches(p, value, case) for p in _list(statement[key]))
    negated = "Not" + key
    if negated in statement:
        return not any(_matches(p, value, case) for p in _list(statement[negated]))
    return False


def _statements(documents: Iterable[dict]) -> list[dict]:
    return [s for d in documents for s in _list((d or {}).get("Statement"))
            if isinstance(s, dict)]


def allows(documents: Iterable[dict], action: str, resource: str) -> tuple[bool, str]:
    """(allowed, why). Action names are case-insensitive, resources are not."""
    statements = _statements(documents)
    applying = [s for s in statements if _covers(s, "Action", action, case=False)
                and _covers(s, "Resource", resource, case=True)]
    denies = [s for s in applying if s.get("Effect") == "Deny"]
    if denies:
        sid = denies[0].get("Sid", "a statement")
        return False, f"{sid} denies {action} on {resource}"
    allowed = [s for s in applying if s.get("Effect") == "Allow" and not s.get("Condition")]
    if allowed:
        return True, f"{allowed[0].get('Sid', 'a statement')} allows {action}"
    if any(s.get("Effect") == "Allow" for s in applying):
        return False, f"only a conditional statement allows {action}: not proven"
    return False, f"nothing allows {action} on {resource}"


def trusts_service(trust_policy: dict, service: str) -> bool:
    """Whether a role's trust policy lets ``service`` (events.amazonaws.com) assume it."""
    for statement in _statements([trust_policy]):
        principals = statement.get("Principal") or {}
        services = _list(principals.get("Service")) if isinstance(principals, dict) else []
        if statement.get("Effect") == "Allow" and service in services and \
                _covers(statement, "Action", "sts:AssumeRole", case=False):
            return True
    return False

