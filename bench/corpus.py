"""How Monocyte judges real, public CloudTrail records (tests/corpus/).

Each record is wrapped as EventBridge delivers it and handed to ``reaper.explain``,
the same function ``monocyte explain`` calls, so nothing here talks to AWS. The
expected outcome of each record is its label in tests/corpus/index.csv, taken from
AWS's documentation, not from our code:

- a CloudFormation type: right when we kill (or would kill) a target of that type;
- ``data-flow``: a copy or replication set-up, right when we report it or kill the copy;
- ``ignore``: read-only, failed, global or a defender's call, right when we do not kill
  it and do not report it.

Run: ``.venv/bin/python bench/corpus.py`` (add ``--json`` for machine-readable output).
"""
from __future__ import annotations

import argparse
import collections
import csv
import json
import pathlib
import sys
from typing import Any, Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chalicelib import config, reaper  # noqa: E402
from chalicelib.errors import EventError  # noqa: E402

SPECIAL = ("ignore", "data-flow")


def load() -> Iterator[tuple[dict, dict]]:
    """(index row, raw record) pairs in file order."""
    with open(CORPUS / "index.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    lines = (CORPUS / "records.jsonl").read_text().splitlines()
    for row in rows:
        yield row, json.loads(lines[int(row["line"]) - 1])


def as_eventbridge(record: dict) -> dict:
    """The record as EventBridge's "AWS API Call via CloudTrail" envelope carries it."""
    account = (record.get("recipientAccountId")
               or (record.get("userIdentity") or {}).get("accountId") or "123456789012")
    return {"version": "0", "id": record.get("eventID", "corpus"),
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws." + record["eventSource"].split(".")[0],
            "account": account, "time": record.get("eventTime"),
            "region": record["awsRegion"], "resources": [], "detail": record}


def said(answer: dict) -> str:
    """What we said, in one short phrase for the misses table."""
    if answer["decision"] in ("kill", "spare"):
        kinds = sorted({f"{t['decision']} {t['type']}" for t in answer["targets"]})
        return ", ".join(kinds)
    return f"{answer['decision']}: {answer['reason']}"[:90]


def grade(label: str, answer: dict) -> str:
    """right / wrong / uncovered for one record's answer against its label."""
    decision = answer["decision"]
    if label == "ignore":
        return "right" if decision in ("ignore", "spare") else "wrong"
    if label == "data-flow":
        if decision in ("report", "kill"):
            return "right"
        return "uncovered" if decision == "ignore" else "wrong"
    if any(t["type"] == label and t["decision"] == "kill" for t in answer["targets"]):
        return "right"
    if decision in ("report", "ignore"):
        return "uncovered"
    return "wrong"


def judge_all(settings: Any) -> list[dict]:
    results = []
    for row, record in load():
        try:
            answer = reaper.explain(as_eventbridge(record), settings)
        except EventError as error:
            answer = {"decision": "malformed", "reason": str(error), "targets": []}
        results.append({"line": int(row["line"]), "eventSource": row["eventSource"],
                        "eventName": row["eventName"], "label": row["label"],
                        "region": record["awsRegion"], "decision": answer["decision"],
                        "said": said(answer), "grade": grade(row["label"], answer)})
    return results


def summary(results: list[dict]) -> dict:
    classes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in results:
        cls = r["label"] if r["label"] in SPECIAL else "type"
        classes[cls][r["grade"]] += 1
        classes["all"][r["grade"]] += 1
    return {cls: {g: counts.get(g, 0) for g in ("right", "wrong", "uncovered")}
            for cls, counts in sorted(classes.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    results = judge_all(config.from_env({}))
    totals = summary(results)
    misses = [r for r in results if r["grade"] != "right"]
    if args.json:
        print(json.dumps({"records": len(results), "classes": totals, "misses": misses},
                         indent=2))
        return 0
    print(f"{len(results)} records from tests/corpus/ (allowed regions: the EU defaults)\n")
    print(f"{'class':<10} {'right':>6} {'wrong':>6} {'uncovered':>10}")
    for cls, counts in totals.items():
        print(f"{cls:<10} {counts['right']:>6} {counts['wrong']:>6} {counts['uncovered']:>10}")
    if misses:
        print(f"\n{'grade':<10} {'eventSource':<28} {'eventName':<34} {'expected':<28} said")
        for r in misses:
            print(f"{r['grade']:<10} {r['eventSource']:<28} {r['eventName']:<34} "
                  f"{r['label']:<28} {r['said']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
