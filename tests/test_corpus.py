"""The public CloudTrail corpus (tests/corpus/) is well-formed, and on it no record
labelled ``ignore`` that sits in an allowed region or a global service is ever judged
kill. The coverage figure itself lives in bench/corpus.py: it moves as coverage grows."""
from __future__ import annotations

import csv
import importlib.util
import json
import pathlib

import cfnlint
import pytest

from chalicelib import config, reaper

CORPUS = pathlib.Path(__file__).parent / "corpus"
# bench/ is scripts, not a package: load the wrapper the benchmark uses from its file.
_spec = importlib.util.spec_from_file_location(
    "bench_corpus", pathlib.Path(__file__).parent.parent / "bench" / "corpus.py")
bench_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_corpus)
PROVIDERS = pathlib.Path(cfnlint.__file__).parent / "data" / "schemas" / "providers"
# Services whose calls CloudTrail records whatever the caller's region: never ours to kill.
GLOBAL = {"iam", "sts", "signin", "organizations", "cloudfront", "route53", "billingconsole",
          "sso", "support"}


def index_rows() -> list[dict]:
    with open(CORPUS / "index.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def records() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "records.jsonl").read_text().splitlines()]


def cloudformation_types() -> set[str]:
    return set(json.loads((PROVIDERS / "us-east-1.json").read_text()))


def test_every_line_is_one_cloudtrail_record():
    for number, line in enumerate((CORPUS / "records.jsonl").read_text().splitlines(), 1):
        record = json.loads(line)
        assert isinstance(record, dict), number
        for field in ("eventSource", "eventName", "awsRegion", "eventTime"):
            assert isinstance(record.get(field), str) and record[field], (number, field)


def test_the_index_names_each_line_once_and_matches_it():
    rows, lines = index_rows(), records()
    assert [int(row["line"]) for row in rows] == list(range(1, len(lines) + 1))
    for row, record in zip(rows, lines):
        assert (row["eventSource"], row["eventName"]) == (record["eventSource"],
                                                          record["eventName"]), row["line"]
        assert row["source"] and row["reason"], row["line"]


def test_every_label_is_a_cloudformation_type_or_a_special_label():
    known = cloudformation_types() | set(bench_corpus.SPECIAL)
    unknown = {row["label"] for row in index_rows()} - known
    assert not unknown


def test_failed_calls_are_labelled_ignore():
    for row, record in zip(index_rows(), records()):
        if record.get("errorCode"):
            assert row["label"] == "ignore", row["line"]


@pytest.mark.parametrize("allowed", ["eu", "record"])
def test_nothing_labelled_ignore_in_an_allowed_region_or_global_is_killed(allowed):
    """The prime directive on real records: under the EU defaults, and again with each
    record's own region allowed (so every one of them sits in an allowed region)."""
    settings = config.from_env({})
    checked = 0
    for row, record in zip(index_rows(), records()):
        service = record["eventSource"].split(".")[0]
        if allowed == "record":
            settings = config.from_env({"MONOCYTE_ALLOWED_REGIONS": record["awsRegion"]})
        elif not (record["awsRegion"] in settings.allowed_regions or service in GLOBAL):
            continue
        if row["label"] != "ignore" and allowed == "eu":
            continue
        answer = reaper.explain(bench_corpus.as_eventbridge(record), settings)
        assert answer["decision"] != "kill", (row["line"], row["eventName"], answer)
        checked += 1
    assert checked > 0
