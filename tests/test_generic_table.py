"""The generic table: generated from the pinned cfn-lint's schemas (and still equal
to them), never overlapping the curated layer or the refused types, and made only of
real things: every create event an operation of its service's botocore model, every
permission an action of AWS's reference."""
from __future__ import annotations

import re

import pytest

from chalicelib import registry
from chalicelib.generic import by_event, generate, is_default, load, services
from chalicelib.generic.table import GenericType


def test_checked_in_table_matches_the_pinned_schemas():
    with open(generate.PATH) as handle:
        checked_in = handle.read()
    assert checked_in == generate.render(), "run `make generic` and review the diff"


def test_table_is_large_and_carries_the_reported_misses():
    table = load()
    assert len(table) >= 400
    for name in ("AWS::Cognito::UserPool", "AWS::Cognito::IdentityPool", "AWS::MSK::Cluster",
                 "AWS::SageMaker::Endpoint", "AWS::Transfer::Server",
                 "AWS::CodeCommit::Repository", "AWS::DataSync::Task"):
        assert name in table, name


def test_curated_and_refused_types_are_never_generic():
    curated = {t.cfn_type for t in registry.all_types()}
    assert not curated & set(load())
    assert not set(services.REFUSED) & set(load())


def test_every_type_is_of_a_reviewed_data_service():
    for name in load():
        assert name.split("::")[1] in services.DATA_SERVICES, name


def test_every_create_event_is_an_operation_of_its_botocore_model():
    for gtype in load().values():
        models = generate.botocore_services(gtype.service)
        for name in gtype.create_events:
            operation = re.sub(r"\d{8}(v\d)?$", "", name)
            assert any(operation in generate.botocore_model(m)["operations"] for m in models), (
                gtype.type_name, name)


def test_every_permission_is_a_real_iam_action():
    known = generate.iam_actions()
    for gtype in load().values():
        assert gtype.list_permissions, gtype.type_name
        for action in (*gtype.list_permissions, *gtype.read_permissions,
                       *gtype.delete_permissions):
            prefix, _, name = action.partition(":")
            assert known.get(prefix, {}).get(name.lower()) == name, (gtype.type_name, action)


def test_parents_are_listed_types():
    listed = set(load()) | {t.cfn_type for t in registry.listed_types()}
    for gtype in load().values():
        if gtype.parent:
            assert gtype.parent in listed and gtype.parent_property, gtype.type_name
            assert not gtype.event_only


def test_by_event_finds_the_cognito_user_pool():
    found = by_event("cognito-idp.amazonaws.com", "CreateUserPool")
    assert [g.type_name for g in found] == ["AWS::Cognito::UserPool"]
    assert found[0].id_paths == ("responseElements.userPool.id",)
    assert by_event("cognito-idp.amazonaws.com", "DescribeUserPool") == ()


def test_cloudtrail_spellings_come_from_the_alias_table():
    assert by_event("states.amazonaws.com", "CreateActivity")
    assert all(g.event_source != "stepfunctions.amazonaws.com" for g in load().values())


@pytest.mark.parametrize("type_name, properties", [
    (name, {rule["property"]: rule.get("equals", rule.get("prefix", "") + "x")})
    for name, rules in services.DEFAULTS.items() for rule in rules])
def test_each_default_mark_spares_what_aws_made(type_name, properties):
    gtype = load().get(type_name) or GenericType(type_name, "x",
                                                 defaults=services.DEFAULTS[type_name])
    assert is_default(gtype, properties)
    assert not is_default(gtype, {key: "mine" for key in properties})


def test_load_reads_the_file_once():
    assert load() is load()
