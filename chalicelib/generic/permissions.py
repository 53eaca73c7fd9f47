"""The IAM actions the generic layer needs (its types' list, read and delete handlers
plus Cloud Control's own), compressed so the member role's policies stay few: per
service ``svc:List*`` and ``svc:Describe*`` where every action they match in AWS's
reference (parliament's copy) is a List or Read, ``svc:Delete*`` for the deletes
(all region-guarded writes), exact actions for the rest.

templates.member_actions() adds member_actions() to the member roles (chalicelib.member_policy)."""
from __future__ import annotations

import fnmatch
import functools
import json
import os

# Cloud Control's actions are spelled under cloudformation:.
CLOUD_CONTROL = ("cloudformation:DeleteResource", "cloudformation:GetResource",
                 "cloudformation:GetResourceRequestStatus", "cloudformation:ListResources")
METADATA_LEVELS = frozenset({"List", "Read"})


@functools.lru_cache(maxsize=1)
def iam_definition() -> list[dict]:
    """parliament's copy of AWS's Service Authorization Reference (a dev dependency:
    only generating and testing read it, never the Lambda)."""
    import parliament

    path = os.path.join(os.path.dirname(parliament.__file__), "iam_definition.json")
    with open(path) as handle:
        return json.load(handle)


@functools.lru_cache(maxsize=1)
def access_levels() -> dict[str, dict[str, str]]:
    """IAM prefix -> {action: access level} from parliament's data."""
    found: dict[str, dict[str, str]] = {}
    for service in iam_definition():
        for privilege in service["privileges"]:
            found.setdefault(service["prefix"], {})[privilege["privilege"]] = (
                privilege["access_level"])
    return found


def exact() -> tuple[str, ...]:
    from chalicelib.generic import load

    return tuple(sorted({a for g in load().values() for a in (
        *g.list_permissions, *g.read_permissions, *g.delete_permissions)} | set(CLOUD_CONTROL)))


def expand(pattern: str) -> tuple[str, ...]:
    """Every action of AWS's reference a pattern matches."""
    prefix, _, name = pattern.partition(":")
    return tuple(f"{prefix}:{a}" for a in access_levels().get(prefix, {})
                 if fnmatch.fnmatchcase(a.lower(), name.lower()))


def _wildcard_is_metadata(pattern: str) -> bool:
    levels = access_levels().get(pattern.split(":")[0], {})
    matched = expand(pattern)
    return bool(matched) and all(levels[a.split(":")[1]] in METADATA_LEVELS for a in matched)


def compressed() -> tuple[str, ...]:
    """The exact actions with the safe wildcards folded in."""
    kept = set()
    for action in exact():
        prefix, _, name = action.partition(":")
        for verb in ("List", "Describe"):
            if name.startswith(verb) and _wildcard_is_metadata(f"{prefix}:{verb}*"):
                kept.add(f"{prefix}:{verb}*")
                break
        else:
            kept.add(f"{prefix}:Delete*" if name.startswith("Delete") else action)
    return tuple(sorted(kept))


# member_actions(), checked in: the templates are rendered without parliament (a dev
# dependency); `monocyte generate-generic` rewrites it, a test fails when it drifts.
MEMBER_ACTIONS_PATH = os.path.join(os.path.dirname(__file__), "member_actions.json")


@functools.lru_cache(maxsize=1)
def member_actions() -> tuple[str, ...]:
    """derived_member_actions() as generated into member_actions.json."""
    with open(MEMBER_ACTIONS_PATH) as handle:
        return tuple(json.load(handle))


def member_actions_text() -> str:
    return json.dumps(list(derived_member_actions()), indent=0) + "\n"


def write_member_actions() -> int:
    with open(MEMBER_ACTIONS_PATH, "w") as handle:
        handle.write(member_actions_text())
    member_actions.cache_clear()
    return len(member_actions())


def derived_member_actions() -> tuple[str, ...]:
    """What the member role may be given of ``compressed()``: the metadata reads
    iam.is_read accepts, the deletes (region-guarded) and the wildcards, never a global
    service. The handlers also ask for data reads (secretsmanager:GetSecretValue,
    cassandra:Select …) and side writes (iam:PutRolePolicy, ec2:AllocateAddress …):
    those are left out, so Cloud Control is refused there and the resource is spared
    and reported, the safe direction."""
    from chalicelib import iam

    kept = []
    for action in compressed():
        prefix, _, name = action.partition(":")
        if prefix in iam.GLOBAL_SERVICES:
            continue
        # A read by its verb must also be one in AWS's reference: a few Describe/Get
        # actions are "Permissions management" or even "Write" there
        # (lakeformation:GetDataAccess hands out credentials to the data).
        # The reads whose answer shows data are kept too: the member policies deny
        # them in the allowed regions (iam.OUTSIDE_ONLY_READS).
        if name.endswith("*") or name.startswith("Delete") or (
                (iam.is_read(action) or action in iam.OUTSIDE_ONLY_READS)
                and access_levels()[prefix].get(name) in METADATA_LEVELS):
            kept.append(action)
    return tuple(kept)
