"""Where moto answers differently from AWS in a way that would make the emulator lie
to Monocyte, it is corrected here, once, for the sandbox (demo, tests) and nothing
else: the registry keeps asking AWS's real questions. Nothing here runs in Lambda.
"""
from __future__ import annotations

_APPLIED = False


def apply() -> None:
    """Correct moto in this process (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    _snapshots_honour_owner_ids()
    _no_node_groups_of_a_gone_cluster()
    _cloudformation_role_policies_are_json()
    _cloudtrail_history_is_empty()
    _cross_region_replicas_can_be_deleted()
    _no_import_tasks_or_fpga_images()
    _redshift_snapshot_types_are_filtered()
    _APPLIED = True


def _redshift_snapshot_types_are_filtered() -> None:
    # moto's DescribeClusterSnapshots ignores SnapshotType when no cluster or snapshot
    # is named: SnapshotType=manual also returns the automated snapshots, which AWS
    # does not (and which nobody can delete; chalicelib/resources/redshift_snapshots.py).
    from moto.redshift.models import RedshiftBackend

    described = RedshiftBackend.describe_cluster_snapshots

    def describe_cluster_snapshots(self, cluster_identifier=None, snapshot_identifier=None,
                                   snapshot_type=None):
        found = described(self, cluster_identifier, snapshot_identifier, snapshot_type)
        return [s for s in found if snapshot_type in (None, s.snapshot_type)]

    RedshiftBackend.describe_cluster_snapshots = describe_cluster_snapshots


def _snapshots_honour_owner_ids() -> None:
    # moto's DescribeSnapshots ignores OwnerIds: OwnerIds=["self"] also returns the
    # ~1300 snapshots behind moto's seeded public AMIs, which AWS never shows an
    # account as its own; a scan would try to kill them all.
    from moto.core.responses import ActionResult
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    def describe_snapshots(self):
        filters = self._filters_from_querystring()
        owners = self._get_param("OwnerIds", [])
        if owners:
            filters["owner-id"] = [self.current_account if o == "self" else o for o in owners]
        snapshots = self.ec2_backend.describe_snapshots(
            snapshot_ids=self._get_param("SnapshotIds", []), filters=filters)
        return ActionResult({"Snapshots": snapshots})

    ElasticBlockStore.describe_snapshots = describe_snapshots


def _no_node_groups_of_a_gone_cluster() -> None:
    # moto answers ListNodegroups for a cluster that is gone with a 500 (a KeyError);
    # AWS answers ResourceNotFoundException, as moto does for the other calls. A scan
    # meets it: a cluster's kill and its node groups' are decided side by side.
    from moto.eks.exceptions import ResourceNotFoundException
    from moto.eks.models import EKSBackend

    listed = EKSBackend.list_nodegroups

    def list_nodegroups(self, cluster_name, *args, **kwargs):
        if cluster_name not in self.clusters:
            raise ResourceNotFoundException(clusterName=cluster_name, nodegroupName=None,
                                            fargateProfileName=None, addonName=None,
                                            message=f"No cluster found for name: {cluster_name}.")
        return listed(self, cluster_name, *args, **kwargs)

    EKSBackend.list_nodegroups = list_nodegroups


def _cloudformation_role_policies_are_json() -> None:
    # moto's CloudFormation keeps a role's inline policy (its Policies property) as the
    # template's dict, and GetRolePolicy then answers that dict's Python repr; AWS
    # answers the JSON document. The doctor reads the forwarders' role policies.
    import json

    from moto.iam.models import Role

    put = Role.put_policy

    def put_policy(self, policy_name, policy_json):
        if not isinstance(policy_json, str):
            policy_json = json.dumps(policy_json)
        return put(self, policy_name, policy_json)

    Role.put_policy = put_policy

# What the sandbox's CloudTrail history holds (LookupEvents): none by default, as in
# a fresh account; a test may put records here (CloudTrail's own event shape).
TRAIL_HISTORY: list[dict] = []


def _cloudtrail_history_is_empty() -> None:
    # moto has no LookupEvents at all (NotImplementedError): it answers from
    # TRAIL_HISTORY, filtered by the one lookup attribute Monocyte uses (EventName).
    import json

    from moto.cloudtrail.responses import CloudTrailResponse

    def lookup_events(self):
        wanted = {a["AttributeKey"]: a["AttributeValue"]
                  for a in self._get_param("LookupAttributes", [])}
        events = [{"EventId": r["eventID"], "EventName": r["eventName"],
                   "EventSource": r["eventSource"], "ReadOnly": "false",
                   "CloudTrailEvent": json.dumps(r)}
                  for r in TRAIL_HISTORY if r.get("awsRegion") == self.region
                  and wanted.get("EventName", r["eventName"]) == r["eventName"]]
        return json.dumps({"Events": events})

    CloudTrailResponse.lookup_events = lookup_events


def _cross_region_replicas_can_be_deleted() -> None:
    # moto records a cross-region read replica on its primary by ARN but removes it by
    # identifier, so deleting the replica fails with a 500 (ValueError); AWS deletes
    # it. Killing a US replica of an EU database is exactly that delete.
    from moto.rds.models import DBInstance

    def remove_replica(self, replica):
        for key in (replica.db_instance_identifier, replica.db_instance_arn):
            if key in self.replicas:
                self.replicas.remove(key)

    DBInstance.remove_replica = remove_replica


def _no_import_tasks_or_fpga_images() -> None:
    # moto implements no EC2 import, FPGA image call: their list calls answer a 500
    # web page, which a scan of the sandbox reports as failed units in every region.
    # moto can make neither, so the true answer is an empty list.
    from moto.core.responses import ActionResult
    from moto.ec2.responses import EC2Response

    for method, key in (("describe_import_image_tasks", "ImportImageTasks"),
                        ("describe_import_snapshot_tasks", "ImportSnapshotTasks"),
                        ("describe_fpga_images", "FpgaImages")):
        setattr(EC2Response, method, lambda self, key=key: ActionResult({key: []}))
