"""Step 3 of the decision, offline: is a target killed or spared, and why."""
from __future__ import annotations

import datetime
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


def judge(target: Target, settings: Settings,
          today: datetime.date | None = None) -> tuple[str, str]:
    """(decision, reason) for a target, from the settings (and the allowlist they
    carry) alone."""
    if settings.allows(target.region):
        return SPARE, f"region {target.region} is allowed"
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
