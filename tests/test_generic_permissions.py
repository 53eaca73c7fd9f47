"""The generic layer's IAM actions, compressed: nothing needed is lost, and the
wildcards reach no more than metadata reads (List*/Describe*) or deletes."""
from __future__ import annotations

import fnmatch

from chalicelib.generic import permissions


def _granted(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def test_every_needed_action_is_granted_by_the_compressed_set():
    granted = permissions.compressed()
    for action in permissions.exact():
        assert any(_granted(p, action) for p in granted), action


def test_list_and_describe_wildcards_match_only_metadata_reads():
    for pattern in permissions.compressed():
        if pattern.endswith(("List*", "Describe*")):
            levels = permissions.access_levels()[pattern.split(":")[0]]
            for action in permissions.expand(pattern):
                assert levels[action.split(":")[1]] in permissions.METADATA_LEVELS, action


def test_delete_wildcards_match_only_deletes():
    for pattern in permissions.compressed():
        if pattern.endswith("Delete*"):
            assert all(a.split(":")[1].startswith("Delete") for a in permissions.expand(pattern))


def test_cloud_control_actions_are_real_and_included():
    levels = permissions.access_levels()["cloudformation"]
    for action in permissions.CLOUD_CONTROL:
        assert action.split(":")[1] in levels
        assert action in permissions.exact()


def test_compression_shrinks_the_list():
    assert len(permissions.compressed()) < len(permissions.exact()) * 0.75


def test_member_actions_hold_no_data_read_no_side_write_no_global_service():
    from chalicelib import iam

    for action in permissions.member_actions():
        prefix, _, name = action.partition(":")
        assert prefix not in iam.GLOBAL_SERVICES, action
        assert name.endswith("*") or name.startswith("Delete") or iam.is_read(action) or (
            action in iam.OUTSIDE_ONLY_READS), action
        if "*" not in name and not name.startswith("Delete"):
            assert permissions.access_levels()[prefix][name] in ("List", "Read"), action
    for left_out in ("secretsmanager:GetSecretValue", "cassandra:Select", "iam:PutRolePolicy",
                     "lakeformation:GetDataAccess", "quicksight:DescribeDataSetPermissions"):
        assert left_out not in permissions.member_actions()
    for action in permissions.CLOUD_CONTROL:
        assert any(_granted(p, action) for p in permissions.member_actions()), action


def test_the_checked_in_member_actions_are_derived_from_the_table_and_awss_reference():
    with open(permissions.MEMBER_ACTIONS_PATH) as handle:
        assert handle.read() == permissions.member_actions_text(), (
            "regenerate with: monocyte generate-generic")
