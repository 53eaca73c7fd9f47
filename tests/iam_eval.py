"""A small evaluator of resource (bucket) policies, for what moto does not enforce."""
from __future__ import annotations

import fnmatch


def _listed(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _principal_matches(principal, who: str) -> bool:
    if principal == "*":
        return True
    return any(p == "*" or fnmatch.fnmatchcase(who, p) for p in _listed(principal.get("AWS", [])))


def _action_in(statement: dict, action: str) -> bool:
    if "Action" in statement:
        return any(fnmatch.fnmatchcase(action.lower(), a.lower())
                   for a in _listed(statement["Action"]))
    return not any(fnmatch.fnmatchcase(action.lower(), a.lower())
                   for a in _listed(statement["NotAction"]))


def evaluate_bucket_policy(policy: dict, action: str, who: str, resource: str) -> str:
    """Deny, Allow or Neither for one request (conditions are not supported: a
    statement with one fails the test rather than be misread)."""
    verdict = "Neither"
    for statement in policy["Statement"]:
        assert "Condition" not in statement, "teach the evaluator conditions first"
        if not (_principal_matches(statement.get("Principal", {}), who)
                and _action_in(statement, action)
                and any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"]))):
            continue
        if statement["Effect"] == "Deny":
            return "Deny"
        verdict = "Allow"
    return verdict
