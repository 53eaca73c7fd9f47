"""Step 3 of the decision, offline: is a target killed or spared, and why."""
from __future__ import annotations

import fnmatch

from chalicelib.config import Settings
from chalicelib.events import Target

KILL = "kill"
SPARE = "spare"


def _names(target: Target) -> list[str]:
    # A stack id is an ARN (arn:aws:cloudformation:region:acct:stack/NAME/uuid);
    # protection patterns are written against the name.
    names = [target.id]
    if target.id.startswith("arn:") and ":stack/" in target.id:
        names.append(target.id.split(":stack/", 1)[1].split("/", 1)[0])
    return names


def protection(target: Target, settings: Settings) -> str | None:
    """The protection pattern that covers the target, if any."""
    for pattern in settings.protected_patterns:
        if any(fnmatch.fnmatchcase(name, pattern) for name in _names(target)):
            return pattern
    return None


def judge(target: Target, settings: Settings) -> tuple[str, str]:
    """(decision, reason) for a target, from the settings alone."""
    if settings.allows(target.region):
        return SPARE, f"region {target.region} is allowed"
    pattern = protection(target, settings)
    if pattern:
        return SPARE, f"protected by pattern {pattern!r}"
    return KILL, f"region {target.region} is not allowed"
