"""Builds types.json from the CloudFormation provider schemas that the pinned cfn-lint
ships (build time only; the Lambda never reads the schemas).

A type is generic when its namespace is a reviewed data service (services.py), its
schema has list and delete handlers, no curated module claims it and it is not
refused. Permissions are kept only when AWS's reference (parliament's copy) knows
them; create events only when they are operations of the service's botocore model.
"""
from __future__ import annotations

import functools
import json
import os
import re

from chalicelib.generic import services
from chalicelib.generic.table import PATH, GenericType

# The schemas of the region with the most types; the resources we hunt live outside
# the allowed regions, and us-east-1 is where AWS launches first.
REGION = "us-east-1"


def _schemas_dir() -> str:
    import cfnlint

    return os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas")


def schemas(region: str = REGION) -> dict[str, dict]:
    """type name -> provider schema, as cfn-lint ships them."""
    base = _schemas_dir()
    with open(os.path.join(base, "providers", f"{region}.json")) as handle:
        index = json.load(handle)
    found = {}
    for name, digest in index.items():
        with open(os.path.join(base, "resources", f"{digest}.json")) as handle:
            found[name] = json.load(handle)
    return found


@functools.lru_cache(maxsize=1)
def iam_actions() -> dict[str, dict[str, str]]:
    """IAM prefix -> {lowercased action: its spelling} from parliament's data."""
    from chalicelib.generic import permissions

    found: dict[str, dict[str, str]] = {}
    for service in permissions.iam_definition():
        for privilege in service["privileges"]:
            found.setdefault(service["prefix"], {})[privilege["privilege"].lower()] = (
                privilege["privilege"])
    return found


@functools.lru_cache(maxsize=1)
def _botocore_index() -> dict[str, set[str]]:
    """name (service, endpoint prefix, signing name) -> botocore services it names."""
    import botocore.loaders

    loader = botocore.loaders.create_loader()
    index: dict[str, set[str]] = {}
    for service in loader.list_available_services("service-2"):
        meta = loader.load_service_model(service, "service-2")["metadata"]
        for name in {service, meta.get("endpointPrefix"), meta.get("signingName")} - {None}:
            index.setdefault(name, set()).add(service)
    return index


@functools.lru_cache(maxsize=None)
def botocore_model(service: str) -> dict:
    import botocore.loaders

    return botocore.loaders.create_loader().load_service_model(service, "service-2")


def botocore_services(prefix: str) -> tuple[str, ...]:
    if prefix in services.BOTOCORE_ALIASES:
        # This botocore may have retired a model (iotanalytics): only those it has.
        available = set().union(*_botocore_index().values())
        return tuple(s for s in services.BOTOCORE_ALIASES[prefix] if s in available)
    return tuple(sorted(_botocore_index().get(prefix, ())))


def event_source(prefix: str) -> str:
    return services.EVENT_SOURCES.get(prefix, f"{prefix}.amazonaws.com")


def real(permissions: list[str]) -> tuple[str, ...]:
    """The permissions AWS's reference knows, in its spelling, sorted, once each."""
    known = iam_actions()
    kept = set()
    for permission in permissions:
        prefix, _, action = permission.partition(":")
        spelled = known.get(prefix, {}).get(action.lower())
        if spelled:
            kept.add(f"{prefix}:{spelled}")
    return tuple(sorted(kept))


def _main_prefix(schema: dict) -> str | None:
    """The IAM prefix of the service that owns the type: its delete handler's first
    action of a known service (helpers like iam:, kms:, ec2: come later)."""
    handlers = schema.get("handlers", {})
    for permission in handlers.get("delete", {}).get("permissions", []):
        prefix = permission.split(":")[0]
        if prefix not in {"iam", "kms", "ec2", "s3", "logs", "secretsmanager", "sts"} or (
                prefix in schema["typeName"].lower().replace("::", ":")):
            return prefix
    permissions = handlers.get("delete", {}).get("permissions", [])
    return permissions[0].split(":")[0] if permissions else None


def _operation(prefix: str, action: str) -> tuple[str, str] | None:
    """(botocore service, operation) for an IAM action, when a model has it."""
    for service in botocore_services(prefix):
        if action in botocore_model(service)["operations"]:
            return service, action
    return None


def create_events(prefix: str, schema: dict) -> tuple[str, ...]:
    from chalicelib.coverage import is_create

    actions = set()
    for permission in schema["handlers"].get("create", {}).get("permissions", []):
        own, _, action = permission.partition(":")
        # Tagging rides along on most creates; it makes nothing.
        if (own != prefix or not is_create(action) or re.search(r"Tags?$", action)
                or not _operation(prefix, action)):
            continue
        actions.add(action)
    # A create handler may call several creates (the thing and its parts): the ones
    # naming the type are its own; when none does (EMR's RunJobFlow), all of them.
    noun = schema["typeName"].split("::")[-1].lower()
    naming = {a for a in actions if noun in a.lower()}
    return tuple(sorted(services.EVENT_NAMES.get((prefix, a), a) for a in naming or actions))


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _members(model: dict, shape_name: str, depth: int = 2):
    """(path, member name) of a shape's members, nested structures up to depth."""
    shape = model["shapes"].get(shape_name, {})
    for member, ref in shape.get("members", {}).items():
        yield (member,), member
        inner = model["shapes"].get(ref["shape"], {})
        if depth > 1 and inner.get("type") == "structure":
            for path, name in _members(model, ref["shape"], depth - 1):
                yield (member, *path), name


def id_path(prefix: str, events: tuple[str, ...], prop: str, noun: str = "") -> str:
    """Where CloudTrail usually puts an identifier: a member of the create call's
    response (or request) named like it, or a nested ``Id``/``Name``/``Arn`` whose
    structure's name plus its own make it (UserPool.Id -> UserPoolId). CloudTrail
    writes members in camelCase."""
    for name in events:
        found = _operation(prefix, re.sub(r"\d{8}(v\d)?$", "", name))
        if not found:
            continue
        model = botocore_model(found[0])
        operation = model["operations"][found[1]]
        for section, key in (("responseElements", "output"), ("requestParameters", "input")):
            shape = operation.get(key, {}).get("shape")
            if not shape:
                continue
            # Some models spell members in camelCase already (logs): compare folded.
            wanted = {prop.lower()} | ({(noun + prop).lower()} if prop in ("Id", "Arn", "Name")
                                       else set())
            for path, member in _members(model, shape):
                name = member if len(path) == 1 else "".join(path[-2:])
                if name.lower() in wanted:
                    return ".".join([section, *map(_lower_first, path)])
    return ""


def _parent(schema: dict, by_id: dict[tuple[str, str], str]
            ) -> tuple[str | None, str | None, bool]:
    """(parent type, its property, event only) from the list handler's required input."""
    required = schema["handlers"]["list"].get("handlerSchema", {}).get("required", [])
    if not required:
        return None, None, False
    key = (schema["typeName"].split("::")[1], required[0])
    if len(required) == 1 and key in by_id:
        return by_id[key], required[0], False
    return None, None, True


def build(curated: frozenset[str], region: str = REGION) -> list[GenericType]:
    found = schemas(region)
    chosen = {}
    for name, schema in sorted(found.items()):
        namespace = name.split("::")[1]
        handlers = schema.get("handlers", {})
        if (namespace not in services.DATA_SERVICES or name in curated
                or name in services.REFUSED or "list" not in handlers
                or "delete" not in handlers):
            continue
        chosen[name] = schema
    # A parent is a type of the same namespace listed without a parent (generic or
    # curated) whose single identifier property the child's list request needs.
    listed_curated = curated_types(listed=True)
    by_id: dict[tuple[str, str], str] = {}
    for name, schema in sorted(found.items()):
        ident = schema.get("primaryIdentifier", [])
        lists_alone = name in chosen and not schema["handlers"]["list"].get(
            "handlerSchema", {}).get("required")
        if (lists_alone or name in listed_curated) and len(ident) == 1:
            by_id.setdefault((name.split("::")[1], ident[0].rsplit("/", 1)[-1]), name)
    rows = []
    for name, schema in chosen.items():
        prefix = _main_prefix(schema)
        if not prefix or prefix not in iam_actions():
            continue
        identifier = tuple(p.rsplit("/", 1)[-1] for p in schema.get("primaryIdentifier", []))
        events = create_events(prefix, schema)
        noun = name.split("::")[-1]
        paths = tuple(id_path(prefix, events, prop, noun) for prop in identifier)
        parent, parent_property, event_only = _parent(schema, by_id)
        handlers = schema["handlers"]
        listing = real(handlers["list"].get("permissions", []))
        deleting = real(handlers["delete"].get("permissions", []))
        if not listing or not deleting:
            continue  # actions newer than AWS's reference we hold: cannot be granted
        rows.append(GenericType(
            type_name=name, service=prefix, event_source=event_source(prefix),
            create_events=events, identifier=identifier,
            id_paths=paths if all(paths) else (),
            list_permissions=listing,
            read_permissions=real(handlers.get("read", {}).get("permissions", [])),
            delete_permissions=deleting,
            parent=parent, parent_property=parent_property,
            defaults=services.DEFAULTS.get(name, ()), event_only=event_only))
    return rows


def curated_types(listed: bool = False) -> frozenset[str]:
    from chalicelib import registry

    return frozenset(t.cfn_type for t in registry.all_types() if t.listing or not listed)


def render() -> str:
    """types.json's exact text for the installed cfn-lint."""
    import cfnlint.version

    rows = build(curated_types())
    document = {"cfn_lint": cfnlint.version.__version__, "region": REGION,
                "types": [row.to_row() for row in rows]}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).replace(
        '},{"', '},\n{"') + "\n"


def write() -> int:
    text = render()
    with open(PATH, "w") as handle:
        handle.write(text)
    return len(json.loads(text)["types"])


if __name__ == "__main__":
    print(f"{write()} generic types written to {PATH}")
