"""The central allowlist: resources outside the allowed regions that are kept on
purpose, each with a reason, an owner and an expiry date.

The list is YAML or JSON, in an SSM parameter (``MONOCYTE_EXEMPTIONS_PARAMETER``) or,
for the command line, a local file (``MONOCYTE_EXEMPTIONS_FILE``). An entry::

    - type: AWS::Lambda::Function      # CloudFormation type, or * (default)
      account: "123456789012"          # or * (default)
      region: us-east-1                # or * (default)
      id: "edge-*"                     # glob on the id (or, for stacks, the name)
      reason: Lambda@Edge must live in us-east-1
      owner: web-platform@example.com
      expires: 2027-06-30

A list that cannot be read makes the reaper report-only until it is fixed: a kill
it is unsure of is worse than a day's delay.
"""
from __future__ import annotations

import dataclasses
import datetime
import fnmatch
import json
import re
from typing import Any

from chalicelib.errors import AwsError, ConfigError, aws_errors

_FIELDS = {"type", "account", "region", "id", "reason", "owner", "expires"}


@dataclasses.dataclass(frozen=True)
class Exemption:
    id: str
    reason: str
    owner: str
    expires: datetime.date
    type: str = "*"
    account: str = "*"
    region: str = "*"

    def matches(self, cfn_type: str, account: str, region: str, names: list[str]) -> bool:
        return (fnmatch.fnmatchcase(cfn_type, self.type)
                and fnmatch.fnmatchcase(account, self.account)
                and fnmatch.fnmatchcase(region, self.region)
                and any(fnmatch.fnmatchcase(name, self.id) for name in names))

    def describe(self) -> str:
        return f"{self.reason} (owner {self.owner}, until {self.expires.isoformat()})"


def _text(entry: dict, key: str, where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if isinstance(value, int) and key == "account":
        value = f"{value:012d}"
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"exemptions: {where}: '{key}' is missing or not text")
    return value.strip()


def _entry(entry: Any, where: str) -> Exemption:
    if not isinstance(entry, dict):
        raise ConfigError(f"exemptions: {where} is not a mapping")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise ConfigError(f"exemptions: {where}: unknown field {sorted(unknown)[0]!r}")
    expires = entry.get("expires")
    if isinstance(expires, str):
        try:
            expires = datetime.date.fromisoformat(expires.strip())
        except ValueError:
            expires = None
    if isinstance(expires, datetime.datetime):
        expires = expires.date()
    if not isinstance(expires, datetime.date):
        raise ConfigError(f"exemptions: {where}: 'expires' must be a date (YYYY-MM-DD)")
    account = _text(entry, "account", where, "*")
    if account != "*" and not re.fullmatch(r"\d{12}", account):
        raise ConfigError(f"exemptions: {where}: account {account!r} is not 12 digits or *")
    exemption = Exemption(id=_text(entry, "id", where), reason=_text(entry, "reason", where),
                          owner=_text(entry, "owner", where), expires=expires,
                          type=_text(entry, "type", where, "*"), account=account,
                          region=_text(entry, "region", where, "*"))
    if exemption.id == "*" and exemption.type == "*":
        raise ConfigError(f"exemptions: {where}: 'id: *' needs a type: it would exempt "
                          "everything")
    return exemption


def parse(text: str) -> tuple[Exemption, ...]:
    """The entries of a YAML or JSON list; ConfigError naming the first bad entry."""
    try:
        data = json.loads(text)
    except ValueError:
        try:
            import yaml

            data = yaml.safe_load(text)
        except ImportError:
            raise ConfigError("exemptions: not JSON, and PyYAML is not installed") from None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise ConfigError(f"exemptions: not valid YAML or JSON{where}") from None
    if data is None:
        return ()
    if isinstance(data, dict) and "exemptions" in data:
        data = data["exemptions"]
    if not isinstance(data, list):
        raise ConfigError("exemptions: the list must be a sequence of entries")
    return tuple(_entry(item, f"entry {n + 1}") for n, item in enumerate(data))


def read_file(path: str) -> tuple[Exemption, ...]:
    try:
        with open(path, encoding="utf-8") as handle:
            return parse(handle.read())
    except OSError as error:
        raise ConfigError(f"exemptions: cannot read {path}: {error.strerror}") from None


def with_parameter(settings: Any, clients: Any) -> Any:
    """The settings with the allowlist of ``MONOCYTE_EXEMPTIONS_PARAMETER`` (read once),
    or with ``exemptions_error`` set when it cannot be read."""
    if not settings.exemptions_parameter:
        return settings
    try:
        ssm = clients.client("ssm", settings.home_region)
        return dataclasses.replace(settings, exemptions=read_parameter(
            ssm, settings.exemptions_parameter))
    except ConfigError as error:
        return dataclasses.replace(settings, exemptions_error=str(error))


def read_parameter(ssm_client: Any, name: str) -> tuple[Exemption, ...]:
    try:
        with aws_errors():
            answer = ssm_client.get_parameter(Name=name, WithDecryption=True)
    except AwsError as error:
        raise ConfigError(f"exemptions: parameter {name!r} cannot be read "
                          f"({error.code or type(error).__name__})") from None
    return parse(answer["Parameter"].get("Value", ""))
