"""ElastiCache global datastores: what a replication group's kill must do first when
the group is a member of one.

A global datastore is a primary replication group and up to two secondaries, each
in its own region, the primary replicating every write to them:

- ``CreateReplicationGroup`` with ``GlobalReplicationGroupId`` (sent to the
  secondary's region) adds a secondary, a copy of the primary's data there: it is
  AWS::ElastiCache::ReplicationGroup's event (elasticache.py), the group killed where
  it lives, an EU one spared without a call. ``CreateGlobalReplicationGroup`` (sent
  to the primary's region) moves no data: it only makes an existing primary global.
  No type claims it, so that its EU primary, the source of every copy, is never
  named as a target; outside the allowed regions it is reported as uncovered, and
  its primary there is killed as the group it is (below).
- A **secondary** outside the allowed regions cannot be deleted while it is a
  member: it is disassociated first (``DisassociateGlobalReplicationGroup``, sent to
  its own region with ``ReplicationGroupRegion`` that region, as Terraform's AWS
  provider does; the member role's region guard keeps it out of the allowed
  regions), which leaves it a standalone group, then deleted. The EU primary keeps
  running and is never called.
- A **primary** outside with a secondary in an allowed region is spared
  (``Live.also_in``): the EU copy lives on it, and only a failover, by a human, can
  move the primary home. With every secondary outside, it waits (deferred) until
  their own kills have removed them; alone, its datastore is deleted
  (``DeleteGlobalReplicationGroup`` with ``RetainPrimaryReplicationGroup``, which
  AWS requires before the primary can go), then the group itself.

The datastore has no region of its own (its ARN has none) and is never a target.
"""
from __future__ import annotations

from chalicelib.errors import NotReady

TYPES = ()  # the members are AWS::ElastiCache::ReplicationGroup's (elasticache.py)

SECONDARY = "SECONDARY"
# Codes the replication-group type adds to its not-ready ones: the datastore is
# busy (a member joining or leaving, a failover).
NOT_READY = ("InvalidGlobalReplicationGroupState", "InvalidGlobalReplicationGroupStateFault")
ACTIONS = ("elasticache:DescribeGlobalReplicationGroups",
           "elasticache:DisassociateGlobalReplicationGroup",
           "elasticache:DeleteGlobalReplicationGroup")


def membership(client, group: dict) -> tuple[dict, tuple[str, ...]]:
    """(facts for the kill, the other members' regions) of a replication group as
    DescribeReplicationGroups shows it; ({}, ()) when it is in no datastore."""
    info = group.get("GlobalReplicationGroupInfo") or {}
    global_id = info.get("GlobalReplicationGroupId")
    if not global_id:
        return {}, ()
    role = str(info.get("GlobalReplicationGroupMemberRole") or "").upper()
    if role == SECONDARY:
        return {"global": global_id, "role": role}, ()
    # The primary (or a role we do not know, judged the same careful way): where
    # its other members are decides whether it may go.
    try:
        found = client.describe_global_replication_groups(
            GlobalReplicationGroupId=global_id, ShowMemberInfo=True)["GlobalReplicationGroups"]
    except client.exceptions.GlobalReplicationGroupNotFoundFault:
        return {}, ()  # the datastore went away since: a standalone group
    here = client.meta.region_name
    members = found[0].get("Members", []) if found else []
    others = sorted({m["ReplicationGroupRegion"] for m in members
                     if m.get("ReplicationGroupRegion") and (
                         m.get("ReplicationGroupRegion") != here
                         or m.get("ReplicationGroupId") != group.get("ReplicationGroupId"))})
    return {"global": global_id, "role": role or "PRIMARY", "others": others}, tuple(others)


def leave(client, group_id: str, facts: dict) -> list[str]:
    """Take the group out of its datastore, in its own region; notes of what was done.
    Raises NotReady while other members must go first."""
    global_id = facts.get("global")
    if not global_id:
        return []
    here = client.meta.region_name
    try:
        if facts.get("role") == SECONDARY:
            client.disassociate_global_replication_group(
                GlobalReplicationGroupId=global_id, ReplicationGroupId=group_id,
                ReplicationGroupRegion=here)
            return [f"disassociated from global datastore {global_id}"]
        if facts.get("others"):
            # All outside (an allowed one spares it before this): their kills first.
            raise NotReady(f"primary of global datastore {global_id}: its secondaries in "
                           f"{', '.join(facts['others'])} are removed first")
        client.delete_global_replication_group(GlobalReplicationGroupId=global_id,
                                               RetainPrimaryReplicationGroup=True)
        return [f"global datastore {global_id} deleted (it held only this group)"]
    except client.exceptions.GlobalReplicationGroupNotFoundFault:
        return []  # gone since the live check: the group stands alone
