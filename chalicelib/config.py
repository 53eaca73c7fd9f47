"""Settings, read from ``MONOCYTE_*`` environment variables and validated once.

A wrong value stops start-up with one line that names the setting and the value;
nothing is changed in any account before the settings are known to be good.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import re
from typing import Mapping

from chalicelib.errors import ConfigError

# The AWS regions in EU member states. London (eu-west-2) and Zurich (eu-central-2)
# are outside the EU and so are not here; MONOCYTE_ALLOWED_REGIONS adds them.
EU_REGIONS = ("eu-west-1", "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2")

# Never killed, whatever the region: the stack instances of StackSets (the reaper's
# own forwarders live in every region) and of AWS Control Tower. Proven by who
# created them, never by a name anyone can choose: (stack name, the creating role as
# CloudTrail's userIdentity shows it). The SCP (templates.scp_document) keeps these
# role names to the roles AWS creates for StackSets and Control Tower.
BUILTIN_PROTECTED = (
    ("StackSet-*", "arn:aws*:sts::*:assumed-role/stacksets-exec-*/*"),  # service-managed
    ("StackSet-*", "arn:aws*:sts::*:assumed-role/AWSCloudFormationStackSetExecutionRole/*"),
    ("StackSet-*", "arn:aws*:sts::*:assumed-role/AWSControlTowerExecution/*"),
)
# The names the proof is about: a look-alike is killed, and the outcome says why.
RESERVED_NAMES = ("StackSet-*", "aws-controltower-*", "AWSControlTower*", "monocyte-*")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@functools.lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """Every region name in botocore's endpoint data, all partitions."""
    import botocore.loaders

    data = botocore.loaders.create_loader().load_data("endpoints")
    return frozenset(r for p in data["partitions"] for r in p["regions"])


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the reaper needs to decide and act; built by :func:`from_env`."""

    allowed_regions: frozenset[str] = frozenset(EU_REGIONS)
    dry_run: bool = True
    force: bool = True
    member_role: str | None = None
    protected_patterns: tuple[str, ...] = ()  # MONOCYTE_PROTECTED_PATTERNS
    max_attempts: int = 5
    scan_workers: int = 16
    scan_grace_seconds: int = 900
    page_size: int | None = None
    home_region: str = "eu-central-1"
    audit_table: str | None = None
    audit_ttl_days: int = 400
    slack_webhook_url: str | None = dataclasses.field(default=None, repr=False)
    slack_webhook_parameter: str | None = None
    account_names: tuple[tuple[str, str], ...] = ()
    accounts: tuple[str, ...] = ()
    organization_role: str | None = None
    scan_queue: str | None = None
    exemptions: tuple = ()  # of chalicelib.exemptions.Exemption
    exemptions_error: str | None = None  # the list is broken: report-only until fixed
    exemptions_parameter: str | None = None
    breaker_limit: int = 0  # 0: no breaker
    breaker_account_limit: int = 0
    breaker_window_seconds: int = 3600
    breaker_reset: str | None = None  # a new value resets the breaker once
    exemption_tag: str | None = None  # tag exemptions are off unless a tag is named
    exemption_tag_max_days: int = 90
    retry_attempts: int = 12  # deferred kills, every retry_delay_seconds (SQS: 900 at most)
    retry_delay_seconds: int = 900

    def account_name(self, account: str) -> str | None:
        return dict(self.account_names).get(account)

    def allows(self, region: str) -> bool:
        return region in self.allowed_regions


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} must be a whole number from {low} to {high}")
    return value


def _account_names(raw: str) -> tuple[tuple[str, str], ...]:
    names = []
    for item in _list(raw):
        account, _, name = item.partition("=")
        if not (re.fullmatch(r"\d{12}", account.strip()) and name.strip()):
            raise ConfigError(f"MONOCYTE_ACCOUNT_NAMES: {item!r} is not ACCOUNT_ID=name")
        names.append((account.strip(), name.strip()))
    return tuple(names)


def _accounts(raw: str) -> tuple[str, ...]:
    accounts = _list(raw)
    bad = [a for a in accounts if not re.fullmatch(r"\d{12}", a)]
    if bad:
        raise ConfigError(f"MONOCYTE_ACCOUNTS: {bad[0]!r} is not a 12-digit account id")
    return tuple(dict.fromkeys(accounts))


def _role_arn(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip() or None
    if value and not re.fullmatch(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+", value):
        raise ConfigError(f"{name}={value!r} is not a role ARN")
    return value


def _list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_regions(raw: str, name: str = "MONOCYTE_ALLOWED_REGIONS") -> frozenset[str]:
    """A comma list of region names, each checked against botocore's list."""
    regions = _list(raw)
    if not regions:
        raise ConfigError(f"{name} is empty: name at least one region (the EU default is "
                          f"{','.join(EU_REGIONS)})")
    unknown = [r for r in regions if r not in known_regions()]
    if unknown:
        raise ConfigError(f"{name}: unknown region {', '.join(map(repr, unknown))}")
    return frozenset(regions)


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings; raise ConfigError naming the first bad one."""
    env = os.environ if env is None else env
    raw_regions = env.get("MONOCYTE_ALLOWED_REGIONS")
    allowed = frozenset(EU_REGIONS) if raw_regions is None else parse_regions(raw_regions)
    role = env.get("MONOCYTE_MEMBER_ROLE", "").strip() or None
    if role and not re.fullmatch(r"[\w+=,.@/-]{1,512}", role):
        raise ConfigError(f"MONOCYTE_MEMBER_ROLE={role!r} is not a role name")
    home = env.get("MONOCYTE_HOME_REGION", "").strip() or "eu-central-1"
    if home not in known_regions():
        raise ConfigError(f"MONOCYTE_HOME_REGION: unknown region {home!r}")
    url = env.get("MONOCYTE_SLACK_WEBHOOK_URL", "").strip() or None
    if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        # Never echo the URL itself: it is the secret.
        raise ConfigError("MONOCYTE_SLACK_WEBHOOK_URL must be an https:// URL")
    parameter = env.get("MONOCYTE_SLACK_WEBHOOK_PARAMETER", "").strip() or None
    if parameter and ("://" in parameter or parameter.startswith("hooks.")):
        # The URL pasted where its parameter's name belongs: never echo it.
        raise ConfigError("MONOCYTE_SLACK_WEBHOOK_PARAMETER holds a URL, not a parameter "
                          "name: put the URL in the SSM parameter's value and its name here")
    patterns = tuple(_list(env.get("MONOCYTE_PROTECTED_PATTERNS", "")))
    exemptions, exemptions_error = (), None
    exemptions_file = env.get("MONOCYTE_EXEMPTIONS_FILE", "").strip()
    if exemptions_file:
        from chalicelib.exemptions import read_file

        try:
            exemptions = read_file(exemptions_file)
        except ConfigError as error:
            exemptions_error = str(error)
    breaker_limit = _int(env, "MONOCYTE_BREAKER_LIMIT", 100, 0, 100000)
    breaker_account_limit = _int(env, "MONOCYTE_BREAKER_ACCOUNT_LIMIT", 50, 1, 100000)
    if breaker_limit and breaker_limit <= breaker_account_limit:
        # Each account adds at most its own limit to the overall count: an overall
        # limit within reach of one account would let it stop enforcement everywhere.
        raise ConfigError(f"MONOCYTE_BREAKER_LIMIT={breaker_limit} must be more than "
                          f"MONOCYTE_BREAKER_ACCOUNT_LIMIT={breaker_account_limit}: one "
                          "account alone must never switch enforcement off elsewhere")
    return Settings(
        exemptions=exemptions,
        exemptions_error=exemptions_error,
        exemptions_parameter=env.get("MONOCYTE_EXEMPTIONS_PARAMETER", "").strip() or None,
        allowed_regions=allowed,
        dry_run=_bool(env, "MONOCYTE_DRY_RUN", True),
        force=_bool(env, "MONOCYTE_FORCE", True),
        member_role=role,
        protected_patterns=patterns,
        max_attempts=_int(env, "MONOCYTE_MAX_ATTEMPTS", 5, 1, 20),
        scan_workers=_int(env, "MONOCYTE_SCAN_WORKERS", 16, 1, 64),
        scan_grace_seconds=_int(env, "MONOCYTE_SCAN_GRACE_SECONDS", 900, 0, 86400 * 7),
        page_size=_int(env, "MONOCYTE_PAGE_SIZE", 0, 0, 1000) or None,
        home_region=home,
        audit_table=env.get("MONOCYTE_AUDIT_TABLE", "").strip() or None,
        audit_ttl_days=_int(env, "MONOCYTE_AUDIT_TTL_DAYS", 400, 1, 3650),
        slack_webhook_url=url,
        slack_webhook_parameter=parameter,
        account_names=_account_names(env.get("MONOCYTE_ACCOUNT_NAMES", "")),
        accounts=_accounts(env.get("MONOCYTE_ACCOUNTS", "")),
        organization_role=_role_arn(env, "MONOCYTE_ORGANIZATION_ROLE"),
        scan_queue=env.get("MONOCYTE_SCAN_QUEUE", "").strip() or None,
        breaker_limit=breaker_limit,
        breaker_account_limit=breaker_account_limit,
        breaker_window_seconds=_int(env, "MONOCYTE_BREAKER_WINDOW_SECONDS", 3600, 60, 604800),
        breaker_reset=env.get("MONOCYTE_BREAKER_RESET", "").strip() or None,
        exemption_tag=env.get("MONOCYTE_EXEMPTION_TAG", "").strip() or None,
        exemption_tag_max_days=_int(env, "MONOCYTE_EXEMPTION_TAG_MAX_DAYS", 90, 1, 366),
        retry_attempts=_int(env, "MONOCYTE_RETRY_ATTEMPTS", 12, 0, 100),
        retry_delay_seconds=_int(env, "MONOCYTE_RETRY_DELAY_SECONDS", 900, 0, 900),
    )


def describe(settings: Settings) -> dict:
    """The settings as plain data, for the start-up log (no secrets in here)."""
    data = dataclasses.asdict(settings)
    data["allowed_regions"] = sorted(settings.allowed_regions)
    data["slack_webhook_url"] = "(set)" if settings.slack_webhook_url else None
    data["exemptions"] = len(settings.exemptions)
    return data
