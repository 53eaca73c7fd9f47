"""Step 3 of the decision, offline: is a target killed or spared, and why."""
from __future__ import annotations

import datetime
import fnmatch

from chalicelib.config import BUILTIN_PROTECTED, RESERVED_NAMES, Settings
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


STACK = "AWS::CloudFormation::Stack"


def needs_creator(target: Target) -> bool:
    """Whether the protection turns on who created the target (a StackSet-named stack)."""
    return target.type == STACK and any(fnmatch.fnmatchcase(n, BUILTIN_PROTECTED[0][0])
                                        for n in _names(target))


def built_in_protection(target: Target) -> tuple[str, str] | None:
    """(decision, reason) of the built-in protection, or None when it has nothing to
    say. Only a stack is ever protected, and only when CloudTrail shows a StackSet
    or Control Tower execution role created it; a reserved name alone proves nothing
    (anyone can choose one), and a stack so named whose creator the scan cannot see
    is spared as doubtful and reported."""
    names = _names(target)
    reserved = [p for p in RESERVED_NAMES if any(fnmatch.fnmatchcase(n, p) for n in names)]
    if not reserved:
        return None
    if target.type == STACK and target.creator:
        for name_pattern, role_pattern in BUILTIN_PROTECTED:
            if any(fnmatch.fnmatchcase(n, name_pattern) for n in names) and \
                    fnmatch.fnmatchcase(target.creator, role_pattern):
                role = target.creator.split("/")[1] if "/" in target.creator else "?"
                return SPARE, (f"protected: a stack instance created by the execution role "
                               f"{role} (CloudTrail: {target.creator})")
    elif target.type == STACK and any(fnmatch.fnmatchcase(n, BUILTIN_PROTECTED[0][0])
                                      for n in names):
        return SPARE, ("named like a StackSet instance and neither an event nor CloudTrail's "
                       "history (90 days) says who created it: spared as doubtful, reported "
                       "for a human to look")
    by = f"created by {target.creator}" if target.creator else "its creator unknown"
    return KILL, (f"named like {reserved[0]!r} but {by}, not by a StackSet or Control "
                  "Tower execution role: a name protects nothing")


def judge(target: Target, settings: Settings,
          today: datetime.date | None = None) -> tuple[str, str]:
    """(decision, reason) for a target, from the settings (and the allowlist they
    carry) alone."""
    if settings.allows(target.region):
        return SPARE, f"region {target.region} is allowed"
    builtin = built_in_protection(target)
    if builtin and builtin[0] == SPARE:
        return builtin
    pattern = protection(target, settings)
    if pattern:
        return SPARE, f"protected by pattern {pattern!r}"
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    names = _names(target)
    matching = [e for e in settings.exemptions
                if e.matches(target.type, target.account, target.region, names)]
    active = [e for e in matching if e.expires >= today]
    if active:
        return SPARE, f"exempt: {active[0].describe()}"
    reason = f"region {target.region} is not allowed"
    if builtin:
        reason += f"; {builtin[1]}"
    if matching:
        expired = max(matching, key=lambda e: e.expires)
        reason += f"; its exemption expired on {expired.expires.isoformat()}: {expired.reason} " \
                  f"(owner {expired.owner})"
    return KILL, reason


def tag_exemption(tags: dict | None, settings: Settings,
                  today: datetime.date | None = None) -> tuple[str, str] | None:
    """(decision, reason) from the exemption tag on the resource itself, or None when
    it has nothing to say. Off unless MONOCYTE_EXEMPTION_TAG names a tag: whoever
    creates a resource can tag it, so a tag counts only with an expiry date no further
    ahead than MONOCYTE_EXEMPTION_TAG_MAX_DAYS, and only until that date."""
    if not settings.exemption_tag or not tags or settings.exemption_tag not in tags:
        return None
    name, value = settings.exemption_tag, tags[settings.exemption_tag].strip()
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    try:
        expires = datetime.date.fromisoformat(value[:10])
    except ValueError:
        return KILL, f"tag {name}={value!r} ignored: it needs an expiry date (YYYY-MM-DD)"
    if expires < today:
        return KILL, f"tag {name} expired on {expires.isoformat()}"
    if (expires - today).days > settings.exemption_tag_max_days:
        return KILL, (f"tag {name}={expires.isoformat()} ignored: more than "
                      f"{settings.exemption_tag_max_days} days ahead")
    return SPARE, f"exempt by tag {name} until {expires.isoformat()}"
