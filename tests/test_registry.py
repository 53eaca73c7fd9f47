"""The registry as a whole: every entry is complete, consistent and covered."""
from __future__ import annotations

import json
import pathlib
import re

import botocore.session
import jmespath
import pytest

from chalicelib import iam, reaper, registry
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.sandbox import CallLog
from conftest import EVENTS, load_event
from kinds import KINDS

ROOT = pathlib.Path(__file__).parent.parent
EVENT_ENTRIES = [(t, e) for t in registry.all_types() for e in t.events]


def _ids(entries):
    return [f"{t.cfn_type}:{e.name}" for t, e in entries]


def test_type_names_are_cloudformations():
    for rtype in registry.all_types():
        assert rtype.cfn_type.count("::") == 2 and rtype.cfn_type.startswith("AWS::")


def test_services_exist_in_botocore():
    available = botocore.session.get_session().get_available_services()
    for rtype in registry.all_types():
        assert rtype.service in available, rtype.cfn_type


@pytest.mark.parametrize("rtype, event", EVENT_ENTRIES, ids=_ids(EVENT_ENTRIES))
def test_every_create_event_compiles_and_has_a_recorded_sample(rtype, event):
    jmespath.compile(event.ids)
    # tests/events/PREFIX.EventName.json, or PREFIX.EventName.VARIANT.json when one
    # event has several shapes (classic and v2 load balancers share a name).
    prefix = f"{event.source.split('.')[0]}.{event.name}"
    samples = sorted(EVENTS.glob(f"{prefix}.json")) + sorted(EVENTS.glob(f"{prefix}.*.json"))
    assert samples, f"record a real {event.name} event at {EVENTS / prefix}.json"
    found = {t["type"] for s in samples
             for t in reaper.explain(load_event(s.stem), Settings())["targets"]}
    assert rtype.cfn_type in found


@pytest.mark.parametrize("rtype, event", EVENT_ENTRIES, ids=_ids(EVENT_ENTRIES))
def test_every_create_event_is_an_operation_of_its_service(rtype, event):
    model = botocore.session.get_session().get_service_model(rtype.service)
    assert re.sub(r"\d{8}$", "", event.name) in model.operation_names
    # CloudTrail names the service by its endpoint prefix, or by its signing name
    # where they differ (SageMaker); directory-bucket calls of the s3 client are
    # logged by s3express.
    sources = {f"{model.endpoint_prefix}.amazonaws.com", f"{model.signing_name}.amazonaws.com"}
    sources |= {"s3express.amazonaws.com"} if rtype.service == "s3" else set()
    assert event.source in sources


@pytest.mark.parametrize("cfn_type", sorted(KINDS))
def test_every_call_a_kill_makes_is_declared_in_the_types_actions(cfn_type, aws, trail):
    create, _ = KINDS[cfn_type]
    create(trail, "us-east-1", protect=cfn_type != "AWS::CloudFormation::Stack")
    calls = CallLog()
    clients = Clients(Settings(dry_run=False), session_factory=calls.session)
    [outcome] = reaper.reap(trail.events[-1], Settings(dry_run=False), clients)
    assert outcome.action == reaper.KILLED
    declared = set(registry.get(cfn_type).actions)
    for service, operation, _ in calls.calls:
        assert set(iam.actions_of(service, operation)) <= declared | {"sts:GetCallerIdentity"}, (
            f"{cfn_type} calls {service}:{operation} without declaring it")


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_stage_policy_files_are_generated_from_the_registry(stage):
    on_disk = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    assert on_disk == iam.reaper_policy(stage), (
        "regenerate with: monocyte policy --stage STAGE > .chalice/policy-STAGE.json")


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_policy_has_no_wildcard_action(stage):
    for statement in iam.reaper_policy(stage)["Statement"]:
        assert all("*" not in action for action in statement["Action"])
