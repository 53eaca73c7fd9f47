"""Generic types killed through Cloud Control: moto makes the resources, the stand-in
(chalicelib/generic/standin.py) speaks Cloud Control over them, the engine decides.
Six services, each created in us-east-1 with an EU twin that must survive."""
from __future__ import annotations

import dataclasses

import boto3
import pytest

from chalicelib.generic import engine, standin
from conftest import make_served

OUT, EU = "us-east-1", "eu-central-1"


@dataclasses.dataclass(frozen=True)
class Row:
    type_name: str
    identifier: tuple
    id_paths: tuple = ()
    parent: str | None = None


TYPES = {name: Row(name, (kind.key,)) for name, kind in standin.KINDS.items()}


def _athena_primary(gtype, properties) -> bool:
    # The rule the generated table holds for Athena: AWS makes 'primary' in every region.
    return gtype.type_name == "AWS::Athena::WorkGroup" and properties.get("Name") == "primary"


@pytest.fixture
def cloudcontrol(aws):
    with standin.serving():
        yield lambda region: boto3.client("cloudcontrol", region, config=engine.CLIENT_CONFIG)


@pytest.mark.parametrize("type_name", sorted(TYPES))
def test_the_event_path_kills_a_generic_type_and_its_eu_twin_survives(cloudcontrol, type_name):
    gtype = TYPES[type_name]
    victim, twin = make_served(type_name, OUT, "abroad"), make_served(type_name, EU, "abroad")
    out = cloudcontrol(OUT)
    assert engine.live(out, gtype, victim) is not None
    assert engine.delete(out, gtype, victim, poll_seconds=0)[0] == engine.KILLED
    assert engine.live(out, gtype, victim) is None
    assert engine.live(cloudcontrol(EU), gtype, twin) is not None
    assert engine.delete(out, gtype, victim, poll_seconds=0)[0] == engine.GONE


def test_a_scan_unit_finds_every_generic_resource_outside_the_eu_but_aws_defaults(cloudcontrol):
    made = {name: make_served(name, OUT, "abroad") for name in TYPES}
    for name in TYPES:
        make_served(name, EU, "at-home")
    out = cloudcontrol(OUT)
    results = dict(engine.scan(out, TYPES.values(), _athena_primary))
    found = {gtype.type_name: [i for i, _ in hits] for gtype, hits in results.items()}
    assert found == {name: [identifier] for name, identifier in made.items()}
    for gtype, hits in results.items():
        for identifier, _ in hits:
            assert engine.delete(out, gtype, identifier, poll_seconds=0)[0] == engine.KILLED
    eu = dict(engine.scan(cloudcontrol(EU), TYPES.values(), _athena_primary))
    assert all(len(hits) == 1 for hits in eu.values())


def test_a_type_whose_identifier_is_not_in_the_record_is_swept(cloudcontrol):
    gtype = TYPES["AWS::Backup::BackupVault"]
    for name in ("one", "two"):
        make_served(gtype.type_name, OUT, name)
    detail = {"eventName": "CreateBackupVault", "requestParameters": None}
    assert engine.identifier_from(gtype, detail) is None
    swept = engine.findings(cloudcontrol(OUT), gtype, _athena_primary)
    assert sorted(i for i, _ in swept) == ["one", "two"]


def test_athenas_primary_workgroup_is_never_a_finding(cloudcontrol):
    gtype = TYPES["AWS::Athena::WorkGroup"]
    listed = [i for i, _ in engine.list_resources(cloudcontrol(OUT), gtype)]
    assert listed == ["primary"]  # AWS (and moto) make it in every region
    assert engine.findings(cloudcontrol(OUT), gtype, _athena_primary) == []


def test_the_sandbox_serves_cloud_control_over_its_moto_server():
    from chalicelib import sandbox

    with sandbox.moto_server():
        boto3.client("backup", OUT).create_backup_vault(BackupVaultName="abroad")
        out = boto3.client("cloudcontrol", OUT)
        gtype = TYPES["AWS::Backup::BackupVault"]
        assert [i for i, _ in engine.list_resources(out, gtype)] == ["abroad"]
        assert engine.delete(out, gtype, "abroad", poll_seconds=0)[0] == engine.KILLED
        assert boto3.client("backup", OUT).list_backup_vaults()["BackupVaultList"] == []
