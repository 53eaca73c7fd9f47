"""Properties that hold for any input (hypothesis): no delete call ever reaches an
allowed region, and no event makes the reaper raise."""
from __future__ import annotations

import copy
import dataclasses

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from chalicelib import reaper, registry
from chalicelib.config import Settings, known_regions
from chalicelib.generic import scanning
from conftest import EVENTS, load_event

REGIONS = sorted(known_regions())
SAMPLES = sorted(p.stem for p in EVENTS.glob("*.json"))


class FakeClient:
    """A client of one region. As Cloud Control it finds every resource asked for and
    records each delete with its region, so generic types are held to the same rule."""
    deletes: list = []
    bucket_region: str | None = None  # where S3 says a bucket is (None: us-east-1)

    def __init__(self, region: str):
        self.region = region

    def get_bucket_location(self, Bucket, ExpectedBucketOwner=None):
        # A replication rule's destination bucket is located (replica_buckets).
        return {"LocationConstraint": FakeClient.bucket_region}

    def get_resource(self, TypeName, Identifier):
        return {"TypeName": TypeName,
                "ResourceDescription": {"Identifier": Identifier, "Properties": "{}"}}

    def list_resources(self, TypeName, **more):
        return {"TypeName": TypeName, "ResourceDescriptions": []}

    def delete_resource(self, TypeName, Identifier):
        FakeClient.deletes.append(self.region)
        return {"ProgressEvent": {"TypeName": TypeName, "Identifier": Identifier,
                                  "Operation": "DELETE", "OperationStatus": "SUCCESS"}}


class FakeClients:
    """Stands in for chalicelib.aws.Clients: no network, remembers nothing."""

    def client(self, service, region, account=None):
        return FakeClient(region)


def recording_registry(monkeypatch, live_region):
    """Every type's live check says the resource exists (in ``live_region`` when
    drawn), and every delete is recorded with the region of its client."""
    deletes = []
    real_get = registry.get

    def inspect(client, resource_id):
        return registry.Live(region=live_region)

    def delete(client, resource_id, live, force):
        deletes.append(client.region)
        return []

    monkeypatch.setattr(registry, "get", lambda name: dataclasses.replace(
        real_get(name), inspect=inspect, delete=delete))
    monkeypatch.setattr(FakeClient, "deletes", deletes)
    monkeypatch.setattr(FakeClient, "bucket_region", live_region)
    return deletes


json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(
    max_size=20)
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=10), inner, max_size=4), max_leaves=20)


@st.composite
def mutated_events(draw):
    """A recorded create event with its region, account, constraint and any field
    replaced by whatever hypothesis draws."""
    event = copy.deepcopy(load_event(draw(st.sampled_from(SAMPLES))))
    detail = event["detail"]
    detail["awsRegion"] = draw(st.sampled_from(REGIONS) | st.text(max_size=12))
    constraint = draw(st.none() | st.sampled_from(REGIONS + ["EU", ""]))
    if isinstance(detail.get("requestParameters"), dict) and constraint is not None:
        detail["requestParameters"]["CreateBucketConfiguration"] = {
            "LocationConstraint": constraint}
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(["requestParameters", "responseElements", "top"]))
        key, value = draw(st.text(max_size=12)), draw(json_value)
        if where == "top":
            detail[key] = value
        elif isinstance(detail.get(where), dict):
            detail[where][key] = value
    return event


allowed_sets = st.sets(st.sampled_from(REGIONS), min_size=1, max_size=8)


@hsettings(max_examples=300, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=mutated_events(), allowed=allowed_sets,
       live_region=st.none() | st.sampled_from(REGIONS))
def test_no_delete_is_ever_made_in_an_allowed_region(monkeypatch, event, allowed,
                                                      live_region):
    deletes = recording_registry(monkeypatch, live_region)
    settings = Settings(allowed_regions=frozenset(allowed), dry_run=False)
    outcomes = reaper.reap(event, settings, FakeClients())
    assert not set(deletes) & allowed
    for outcome in outcomes:
        if outcome.action == reaper.KILLED:
            assert outcome.region not in allowed
            # A curated live check may place the resource elsewhere; Cloud Control is
            # asked in the event's region only, and its answer is for that region.
            assert live_region in (None, outcome.region) or scanning.is_generic(outcome.type)


@hsettings(max_examples=300, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=json_value | st.dictionaries(st.sampled_from(
    ["detail-type", "source", "account", "region", "detail", "id", "version"]), json_value))
def test_no_input_makes_the_reaper_raise(monkeypatch, event):
    recording_registry(monkeypatch, None)
    reaper.reap(event, Settings(dry_run=False), FakeClients())


@hsettings(max_examples=200, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(detail=st.dictionaries(st.sampled_from(
    ["eventSource", "eventName", "awsRegion", "recipientAccountId", "errorCode", "readOnly",
     "requestParameters", "responseElements", "userIdentity", "eventTime"]), json_value))
def test_no_cloudtrail_detail_makes_the_reaper_raise(monkeypatch, detail):
    recording_registry(monkeypatch, None)
    event = {"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
             "account": "123456789012", "detail": detail}
    reaper.reap(event, Settings(dry_run=False), FakeClients())


def test_a_deeply_nested_or_huge_event_is_handled(monkeypatch):
    recording_registry(monkeypatch, None)
    event = load_event("ec2.RunInstances")
    deep: dict = {}
    cursor = deep
    for _ in range(500):
        cursor["x"] = {}
        cursor = cursor["x"]
    event["detail"]["requestParameters"]["nested"] = deep
    event["detail"]["responseElements"]["instancesSet"]["items"] *= 2000
    outcomes = reaper.reap(event, Settings(dry_run=False), FakeClients())
    assert {o.id for o in outcomes} == {"i-0abc1234def567890", "i-0abc1234def567891"}
