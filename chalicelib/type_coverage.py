"""How many CloudFormation types Monocyte covers, per type and per service: curated
(a hand-written module), generic (Cloud Control lists and deletes it), event-only
(generic, but found only through its create event), refused (deletion needs care we
do not give) or not covered; and whether its service holds data.

The universe is the pinned cfn-lint's type index for the generic table's region
(read at CLI time only, never in the Lambda). Curated types count as data-holding:
each was chosen because it can hold or expose data."""
from __future__ import annotations

import collections
import json
import os

STATES = ("curated", "generic", "event-only", "refused", "not covered")


def _universe() -> list[str]:
    import cfnlint

    from chalicelib.generic.generate import REGION

    path = os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas", "providers",
                        f"{REGION}.json")
    with open(path) as handle:
        return sorted(json.load(handle))


def types() -> list[dict]:
    """One row per CloudFormation type: name, service namespace, state, data."""
    from chalicelib import registry
    from chalicelib.generic import load, services

    curated = {t.cfn_type for t in registry.all_types()}
    generic = load()
    rows = []
    for name in sorted(set(_universe()) | curated):
        namespace = name.split("::")[1]
        if name in curated:
            state = "curated"
        elif name in generic:
            state = "event-only" if generic[name].event_only else "generic"
        elif name in services.REFUSED:
            state = "refused"
        else:
            state = "not covered"
        rows.append({"type": name, "service": namespace, "state": state,
                     "data": namespace in services.DATA_SERVICES or name in curated})
    return rows


def covered(row: dict) -> bool:
    return row["state"] in ("curated", "generic", "event-only")


def summary(rows: list[dict]) -> dict:
    def count(subset):
        states = collections.Counter(r["state"] for r in subset)
        return {"types": len(subset), "covered": sum(1 for r in subset if covered(r)),
                **{state: states.get(state, 0) for state in STATES}}

    return {"overall": count(rows), "data": count([r for r in rows if r["data"]])}


def by_service(rows: list[dict]) -> list[dict]:
    """Per namespace: its counts, data services first, then by types covered."""
    grouped: dict[str, list[dict]] = collections.defaultdict(list)
    for row in rows:
        grouped[row["service"]].append(row)
    found = []
    for service, subset in grouped.items():
        states = collections.Counter(r["state"] for r in subset)
        found.append({"service": service, "data": any(r["data"] for r in subset),
                      "types": len(subset), "covered": sum(1 for r in subset if covered(r)),
                      **{state: states.get(state, 0) for state in STATES}})
    found.sort(key=lambda s: (not s["data"], -s["covered"], s["service"]))
    return found
