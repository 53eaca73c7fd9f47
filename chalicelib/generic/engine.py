"""The one engine for generic types: Cloud Control lists, reads and deletes any of them.

A generic type is a row of the generated table (:mod:`chalicelib.generic.table`), not a
module: what identifies it, where the event carries that, and which resources AWS made
by itself.  Everything here takes the row and a ``cloudcontrol`` client, so the event
path and the scan share it, and the tests drive it with a Stubber or the moto stand-in.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Iterator, Sequence

import jmespath
from botocore.config import Config

from chalicelib.errors import AwsError, NotFound, cloud_control_errors

# The outcome words the reaper records (same spelling as reaper.KILLED etc.; not imported
# so the engine loads without the reaper).
KILLED, DEFERRED, FAILED, GONE = "killed", "deferred", "failed", "gone"

# Cloud Control throttles per account and region: botocore's adaptive mode slows the
# client down on ThrottlingException instead of failing the scan unit.
CLIENT_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 10})

# How long a delete is watched before it is left to a later run (deferred): most
# handlers finish in seconds; a Lambda must not idle on the slow ones. The first look
# comes soon (a quick handler is done before a fixed 2 s wait would end: a cold start
# paid that wait whole), later ones back off to POLL_SECONDS: about 10 s in all.
POLLS = 7
FIRST_POLL_SECONDS = 0.25
POLL_SECONDS = 2.0
# ListResources pages listed at once per (account, region): Cloud Control's quotas are
# per account, so a few threads are enough to hide latency without being throttled.
SCAN_WORKERS = 4

# Composite identifiers are joined with a pipe, as Cloud Control spells them.
SEPARATOR = "|"


def identifier_from(gtype: Any, detail: dict) -> str | None:
    """The resource's Cloud Control identifier read from a CloudTrail record's detail.

    None when the table knows no path or the record lacks a part: then the caller
    sweeps the type instead of guessing.
    """
    paths: Sequence[str] = getattr(gtype, "id_paths", ()) or ()
    if not paths or len(paths) != len(gtype.identifier):
        return None
    parts = []
    for path in paths:
        value = jmespath.search(path, detail)
        if value is None or isinstance(value, (dict, list)) or str(value) == "":
            return None
        parts.append(str(value))
    return SEPARATOR.join(parts)


def _properties(description: dict) -> dict:
    try:
        value = json.loads(description.get("Properties") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def list_resources(client: Any, gtype: Any, parent_model: dict | None = None,
                   on_page: Callable[[], None] | None = None) -> Iterator[tuple[str, dict]]:
    """Every (identifier, properties) of the type in the client's account and region.

    ``parent_model`` is the parent's identifying properties, for types listed per parent.
    """
    params: dict[str, Any] = {"TypeName": gtype.type_name}
    if parent_model:
        params["ResourceModel"] = json.dumps(parent_model, sort_keys=True)
    with cloud_control_errors():
        for page in client.get_paginator("list_resources").paginate(**params):
            if on_page:
                on_page()  # the scan counts its calls
            for description in page.get("ResourceDescriptions", []):
                identifier = description.get("Identifier")
                if identifier:
                    yield identifier, _properties(description)


def findings(client: Any, gtype: Any, is_default: Callable[[Any, dict], bool],
             parent_models: Iterable[dict] | None = None,
             on_page: Callable[[], None] | None = None) -> list[tuple[str, dict]]:
    """What a sweep or a scan kills: every listed resource but AWS's own defaults.

    In a region outside the allowed set every listed resource is a target.
    """
    found = []
    for model in (parent_models if gtype.parent else [None]) or []:
        for identifier, properties in list_resources(client, gtype, model, on_page):
            if not is_default(gtype, properties):
                found.append((identifier, properties))
    return found


def live(client: Any, gtype: Any, identifier: str) -> dict | None:
    """The resource's current properties, or None when it does not exist (any more)."""
    try:
        with cloud_control_errors():
            answer = client.get_resource(TypeName=gtype.type_name, Identifier=identifier)
    except NotFound:
        return None
    return _properties(answer.get("ResourceDescription", {}))


def _verdict(progress: dict) -> tuple[str, str] | None:
    status = progress.get("OperationStatus")
    if status == "SUCCESS":
        return KILLED, "deleted through Cloud Control"
    if status == "FAILED":
        if progress.get("ErrorCode") == "NotFound":
            return GONE, "already deleted"
        parts = [progress.get("ErrorCode"), progress.get("StatusMessage")]
        return FAILED, "Cloud Control: " + (": ".join(p for p in parts if p) or "FAILED")
    if status in ("CANCEL_COMPLETE",):
        return DEFERRED, "delete request cancelled; a later run retries"
    return None  # PENDING, IN_PROGRESS, CANCEL_IN_PROGRESS: keep watching


def delete(client: Any, gtype: Any, identifier: str, polls: int = POLLS,
           poll_seconds: float = POLL_SECONDS,
           sleep: Callable[[float], None] = time.sleep) -> tuple[str, str]:
    """Delete one resource and watch the request briefly: (action, reason).

    SUCCESS is killed, FAILED is failed with the handler's message, not found is gone,
    still running after the polls is deferred (the retry queue takes it).
    """
    try:
        with cloud_control_errors():
            progress = client.delete_resource(TypeName=gtype.type_name,
                                              Identifier=identifier)["ProgressEvent"]
    except NotFound:
        return GONE, "already deleted"
    token = progress.get("RequestToken")
    for attempt in range(polls):
        verdict = _verdict(progress)
        if verdict:
            return verdict
        if not token:
            break
        sleep(min(poll_seconds, FIRST_POLL_SECONDS * 2 ** attempt))
        with cloud_control_errors():
            progress = client.get_resource_request_status(
                RequestToken=token)["ProgressEvent"]
    return _verdict(progress) or (DEFERRED, f"delete still {progress.get('OperationStatus', 'running')} "
                                  f"(request {token}); a later run checks again")


def scan(client: Any, gtypes: Iterable[Any], is_default: Callable[[Any, dict], bool],
         parents: Callable[[Any], list[dict]] = lambda gtype: [],
         workers: int = SCAN_WORKERS) -> Iterator[tuple[Any, list[tuple[str, dict]] | AwsError]]:
    """List many types in one (account, region), a few at a time.

    Yields (type, findings) or (type, error): one type failing does not stop the unit.
    """
    def one(gtype: Any) -> tuple[Any, Any]:
        try:
            return gtype, findings(client, gtype, is_default, parents(gtype))
        except AwsError as error:
            return gtype, error

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        yield from pool.map(one, list(gtypes))
