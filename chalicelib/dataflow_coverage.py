"""Which operations that move data (copies, restores, imports, replication set-ups)
Monocyte handles, measured against botocore's models (`monocyte coverage --data`).

An operation is *handled* when a registered type claims its CloudTrail event (the copy
is killed where it lands); *reported* when no type claims it but the event pattern
forwards it and the reaper reports it: as a data flow out of the EU (a replication
set-up on an EU resource, chalicelib.dataflow), or as uncovered (a create-style call
outside the allowed regions, or one of the cross-region calls from anywhere); *exempt* when
uncovered.py names a reason not to report it; *unseen* otherwise: nothing looks at it.
"""
from __future__ import annotations

import dataclasses
import functools
import re

from chalicelib import dataflow, pattern, registry

# Names that copy or move data: a copy, restore, import or replica is new data where
# it lands; a replication or copy set-up sends data on from then on.
_NAMES = re.compile(
    r"^(Copy|Replicate|Restore|Import)[A-Z0-9]"
    r"|^Start\w*(Replication|Copy)"
    r"|^Put\w*Replication"
    r"|^Enable\w*Copy"
    r"|^Create\w*(Replica|Replication|Copy)")
# An input member naming the region the data goes to, on a call that changes
# something (reading, listing or removing a replica moves no data).
_DESTINATION = re.compile(r"(Destination|Target|Replica)Regions?$", re.IGNORECASE)
_READS_OR_REMOVES = re.compile(r"^(Describe|List|Get|Delete|Remove)[A-Z]")

HANDLED, REPORTED, EXEMPT, UNSEEN = "handled", "reported", "exempt", "unseen"


@dataclasses.dataclass(frozen=True)
class DataOperation:
    service: str
    operation: str
    event_source: str
    status: str
    why: str = ""


def _moves_data(model: dict, operation: str) -> bool:
    if _NAMES.search(operation):
        return True
    if _READS_OR_REMOVES.match(operation):
        return False
    shape = model["operations"][operation].get("input", {}).get("shape")
    members = model["shapes"].get(shape, {}).get("members", {}) if shape else {}
    return any(_DESTINATION.search(name) for name in members)


def _status(source: str, operation: str) -> tuple[str, str]:
    from chalicelib import uncovered

    if registry.claims(source, operation):
        return HANDLED, ""
    why = uncovered.exemption(source, operation)
    if why:
        return EXEMPT, why
    if dataflow.covers(source, operation) and (source, operation) in pattern.CROSS_REGION_CALLS:
        # chalicelib.dataflow: a set-up on an EU resource sending data elsewhere (and
        # forwarded from the EU, where it is logged).
        return REPORTED, "data flow out of the EU, reported (the EU source is kept)"
    if (source, operation) in pattern.CROSS_REGION_CALLS:
        return REPORTED, "cross-region call, reported from any region"
    if pattern.is_create_style(operation):
        return REPORTED, "create-style, reported outside the allowed regions"
    return UNSEEN, "not forwarded by the event pattern"


@functools.lru_cache(maxsize=1)
def measure() -> tuple[DataOperation, ...]:
    """Every data-moving operation in this machine's botocore, with its status."""
    import botocore.loaders

    loader = botocore.loaders.create_loader()
    found = []
    for service in loader.list_available_services("service-2"):
        model = loader.load_service_model(service, "service-2")
        meta = model["metadata"]
        # CloudTrail's eventSource, as the sandbox writes it.
        source = f"{meta.get('signingName') or meta.get('endpointPrefix', service)}.amazonaws.com"
        for operation in sorted(model["operations"]):
            # A data-flow row names a call the names miss (a backup plan's copy
            # actions, a keyspace's region list sit deep in the request); so does a
            # cross-region call a type claims (a 2017 global table's replication
            # group, a secret's replica regions): it places data in another region.
            if (_moves_data(model, operation) or dataflow.covers(source, operation)
                    or _claimed_cross_region(source, operation)):
                found.append(DataOperation(service, operation, source,
                                           *_status(source, operation)))
    return tuple(found)


def _claimed_cross_region(source: str, operation: str) -> bool:
    return (source, operation) in pattern.CROSS_REGION_CALLS and bool(
        registry.claims(source, operation))


def totals(operations) -> dict:
    counts = {s: sum(1 for o in operations if o.status == s)
              for s in (HANDLED, REPORTED, EXEMPT, UNSEEN)}
    seen = len(operations) - counts[UNSEEN]
    return {"operations": len(operations), **counts,
            "percent": round(100.0 * seen / len(operations), 1) if operations else 0.0}


def report(as_json: bool = False, show_all: bool = False) -> str:
    """The `coverage --data` text: every operation not handled (or all with
    ``show_all``), then the totals."""
    import json

    from chalicelib import text

    operations = measure()
    total = totals(operations)
    if as_json:
        return json.dumps({"total": total,
                           "operations": [dataclasses.asdict(o) for o in operations]}, indent=2)
    shown = [o for o in operations if show_all or o.status != HANDLED]
    shown = sorted(shown, key=lambda o: ((HANDLED, UNSEEN, EXEMPT, REPORTED).index(o.status),
                                         o.service, o.operation))
    table = text.table([[o.status.upper(), o.service, o.operation, o.why] for o in shown],
                       ["STATUS", "SERVICE", "OPERATION", "WHY"])
    return (f"{table}\n  Data-moving operations: {total['operations']}; handled "
            f"{total[HANDLED]}, reported {total[REPORTED]}, exempt {total[EXEMPT]}, "
            f"unseen {total[UNSEEN]}: {total['percent']}% handled, reported or exempt.")
