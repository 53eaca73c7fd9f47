"""The organization-wide templates: valid CloudFormation, generated from the registry,
and (as far as moto can show it) forwarding what the reaper needs and nothing else."""
from __future__ import annotations

import json
import pathlib

import boto3
import pytest
from cfnlint.api import ManualArgs, lint

from chalicelib import audit, registry, templates
from chalicelib.config import EU_REGIONS, Settings, known_regions
from chalicelib.generic import permissions
from conftest import central_session, load_event, observe_bus

MEMBER = "123456789012"  # moto's default account
CENTRAL = "210987654321"
ORG = "o-a1b2c3d4e5"
HOME = "eu-central-1"


def _render(name, **settings):
    return templates.render(name, Settings(**settings))


def _statements(policy):
    return policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]


# --- every template ---------------------------------------------------------------

@pytest.mark.parametrize("name", templates.NAMES)
def test_every_template_passes_cfn_lint(name):
    template = json.dumps(_render(name))
    problems = lint(template, config=ManualArgs(regions=["eu-central-1"]))
    assert [str(p) for p in problems] == []


@pytest.mark.parametrize("name", templates.NAMES)
def test_every_template_is_plain_json(name):
    template = _render(name)
    assert json.loads(json.dumps(template)) == template
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"


def test_an_unknown_template_is_refused():
    with pytest.raises(KeyError, match="forwarders"):
        templates.render("nope", Settings())


# --- forwarders -------------------------------------------------------------------

def test_the_forwarder_has_the_reapers_own_event_pattern():
    rule = _render("forwarders")["Resources"]["ForwardRule"]
    assert rule["Properties"]["Name"] == "monocyte-forward"
    assert rule["Properties"]["EventBusName"] == "default"
    assert rule["Properties"]["EventPattern"] == registry.event_pattern()


def test_the_forwarder_targets_the_central_bus_with_a_role_allowed_only_to_put_there():
    resources = _render("forwarders")["Resources"]
    (target,) = resources["ForwardRule"]["Properties"]["Targets"]
    bus = {"Fn::Sub": "arn:${AWS::Partition}:events:${HomeRegion}:${CentralAccountId}"
                      ":event-bus/default"}
    assert target["Arn"] == bus
    assert target["RoleArn"] == {"Fn::GetAtt": ["ForwarderRole", "Arn"]}
    role = resources["ForwarderRole"]["Properties"]
    # IAM is global, the StackSet deploys per region: one name per region, and a
    # monocyte-* one, which the SCP keeps out of anyone else's hands.
    assert role["RoleName"] == {"Fn::Sub": "monocyte-forwarder-${AWS::Region}"}
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    (policy,) = role["Policies"]
    (grant,) = policy["PolicyDocument"]["Statement"]
    assert (grant["Effect"], grant["Action"], grant["Resource"]) == \
        ("Allow", "events:PutEvents", bus)


def test_the_forwarder_is_not_made_in_the_central_accounts_home_region():
    template = _render("forwarders")
    assert template["Parameters"]["HomeRegion"]["Default"] == "eu-central-1"
    assert template["Conditions"]["IsCentralHome"] == {"Fn::And": [
        {"Fn::Equals": [{"Ref": "AWS::AccountId"}, {"Ref": "CentralAccountId"}]},
        {"Fn::Equals": [{"Ref": "AWS::Region"}, {"Ref": "HomeRegion"}]}]}
    assert template["Conditions"]["Forward"] == {"Fn::Not": [{"Condition": "IsCentralHome"}]}
    for name in ("ForwardRule", "ForwarderRole"):
        assert template["Resources"][name]["Condition"] == "Forward"


# --- member role ------------------------------------------------------------------

def test_the_member_role_may_do_exactly_what_the_registry_needs():
    template = _render("member-role")
    role = template["Resources"]["MemberRole"]["Properties"]
    assert "Policies" not in role, "no inline policy: managed ones, cut to IAM's quota"
    documents = [template["Resources"][ref["Ref"]]["Properties"]["PolicyDocument"]
                 for ref in role["ManagedPolicyArns"]]
    granted = [s for d in documents for s in _statements(d) if s["Effect"] == "Allow"]
    # The fire drill's statement stands apart: it may create only monocyte-drill-* queues.
    assert templates.DRILL_STATEMENT in granted
    granted = [s for s in granted if s != templates.DRILL_STATEMENT]
    actions = [a for s in granted for a in s["Action"]]
    generic = set(permissions.member_actions())
    assert set(actions) == (set(registry.iam_actions()) | set(templates.MEMBER_EXTRA_ACTIONS)
                            | generic)
    assert len(actions) == len(set(actions))
    # The only wildcards are the generic layer's, each checked against AWS's reference
    # (tests/test_generic_permissions.py).
    assert not any("*" in action for action in set(actions) - generic)
    assert all("NotAction" not in s for s in granted)


def test_the_member_role_trusts_only_the_central_reaper_of_the_organization():
    template = _render("member-role")
    role = template["Resources"]["MemberRole"]["Properties"]
    assert role["RoleName"] == {"Ref": "MemberRoleName"}
    assert template["Parameters"]["MemberRoleName"]["Default"] == "monocyte-member"
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": {"Fn::Sub": (
        "arn:${AWS::Partition}:iam::${CentralAccountId}:root")}}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}},
        "ArnLike": {"aws:PrincipalArn": {"Fn::Sub": (
            "arn:${AWS::Partition}:iam::${CentralAccountId}:role/${ReaperRolePattern}")}}}


def test_the_member_role_name_follows_the_setting():
    template = _render("member-role", member_role="reaper-target")
    assert template["Parameters"]["MemberRoleName"]["Default"] == "reaper-target"


# --- central ----------------------------------------------------------------------

def test_the_central_bus_admits_only_the_organization():
    template = _render("central")
    policy = template["Resources"]["OrganizationBusPolicy"]
    assert policy["Type"] == "AWS::Events::EventBusPolicy"
    statement = policy["Properties"]["Statement"]
    assert statement["Action"] == "events:PutEvents"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID":
                                                       {"Ref": "OrganizationId"}}}


def test_the_scan_queue_outlives_the_scan_and_gives_up_into_its_dead_letter_queue():
    resources = _render("central")["Resources"]
    queue = resources["ScanQueue"]["Properties"]
    dlq = resources["ScanDeadLetterQueue"]["Properties"]
    assert queue["QueueName"] == "monocyte-scan"
    assert queue["VisibilityTimeout"] == 960 > 900
    assert queue["SqsManagedSseEnabled"] and dlq["SqsManagedSseEnabled"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["ScanDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3}
    assert dlq["QueueName"] == "monocyte-scan-dlq"
    assert dlq["MessageRetentionPeriod"] == 14 * 86400


def test_the_central_verdict_table_is_the_audit_table():
    template = _render("central")
    assert template["Parameters"]["VerdictTableName"]["Default"] == "monocyte-verdicts-prod"
    table = template["Resources"]["VerdictTable"]
    assert table == audit.template({"Ref": "VerdictTableName"})["Resources"]["VerdictTable"]
    assert set(template["Outputs"]) == {"ScanQueueUrl", "ScanQueueArn",
                                        "ScanDeadLetterQueueUrl", "ScanDeadLetterQueueArn",
                                        "VerdictTableName", "ReapDeadLetterQueueUrl",
                                        "ReapDeadLetterQueueArn", "ReportBucketName"}


# --- scp --------------------------------------------------------------------------

def _deny_regions(document):
    (deny,) = [s for s in document["Statement"] if s["Sid"] == "DenyAllOutsideAllowedRegions"]
    return deny


@pytest.mark.parametrize("allowed", [frozenset(EU_REGIONS), frozenset({"eu-west-2"}),
                                     frozenset(EU_REGIONS) | {"eu-west-2", "eu-central-2"}])
def test_the_scp_denies_outside_exactly_the_allowed_regions(allowed):
    deny = _deny_regions(templates.scp_document(Settings(allowed_regions=allowed)))
    assert deny["Effect"] == "Deny" and deny["Resource"] == "*"
    assert "Action" not in deny
    assert deny["Condition"]["StringNotEquals"] == {"aws:RequestedRegion": sorted(allowed)}


def test_the_scp_spares_the_global_services():
    not_action = _deny_regions(templates.scp_document(Settings()))["NotAction"]
    for service in ("iam", "organizations", "sts", "cloudfront", "route53", "support"):
        assert f"{service}:*" in not_action
    assert len(not_action) == len(set(not_action))


def test_the_scp_exempts_monocytes_roles_and_guards_them():
    document = templates.scp_document(Settings())
    deny = _deny_regions(document)
    exempt = deny["Condition"]["ArnNotLike"]["aws:PrincipalARN"]
    assert exempt == ["arn:aws:iam::*:role/monocyte-*", "arn:aws:iam::*:role/stacksets-exec-*"]
    (guard,) = [s for s in document["Statement"] if s["Sid"] == "ProtectReservedRoles"]
    assert guard["Resource"][0] == "arn:aws:iam::*:role/monocyte-*"
    assert {"iam:CreateRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy"} \
        <= set(guard["Action"])


def test_the_scp_template_takes_the_exemption_and_central_account_as_parameters():
    template = _render("scp")
    policy = template["Resources"]["RegionDenyPolicy"]["Properties"]
    assert policy["Type"] == "SERVICE_CONTROL_POLICY"
    assert template["Parameters"]["ExemptRoleArnPattern"]["Default"] == \
        "arn:aws:iam::*:role/monocyte-*"
    assert policy["Content"] == templates.scp_document(
        Settings(), {"Ref": "ExemptRoleArnPattern"}, {"Ref": "CentralAccountId"})


@pytest.mark.parametrize("allowed", [frozenset(EU_REGIONS), known_regions()],
                         ids=["eu", "every-region"])
def test_the_scp_fits_the_size_limit(allowed):
    document = templates.scp_document(Settings(allowed_regions=allowed),
                                      central_account_id=CENTRAL)
    text = templates.minified(document)
    assert json.loads(text) == document
    # Whitespace inside the strings counts too; the policy has none.
    assert not any(c.isspace() for c in text)
    assert len(text) <= templates.SCP_MAX_CHARS == 5120


# --- verdicts ---------------------------------------------------------------------

def test_the_verdicts_template_is_the_audit_template():
    prod = json.loads((pathlib.Path(__file__).parents[1] / ".chalice" / "config.json")
                      .read_text())["stages"]["prod"]["environment_variables"]
    # Unset, it names the prod stage's table, not one no stage uses.
    assert _render("verdicts") == audit.template(prod["MONOCYTE_AUDIT_TABLE"])
    assert _render("verdicts", audit_table="monocyte-verdicts-dev") == \
        audit.template("monocyte-verdicts-dev")
    assert templates.render("verdicts", Settings(), table="t") == audit.template("t")


# --- in moto: the forwarders, deployed, deliver what the reaper needs ---------------
#
# What moto 5.2.5 emulates here, and what it does not:
# - CloudFormation: the forwarders template is created by moto's CloudFormation,
#   conditions (Fn::And/Fn::Equals/Fn::Not, AWS::AccountId, AWS::Region) included; the
#   rule, its target (with RoleArn) and the role are real moto objects.
# - EventBridge: put_events on the member's default bus runs moto's pattern matching
#   (plain value lists, which is all our pattern uses) and sends a matching event to the
#   event-bus target in the other account and region. moto accepts an "aws.ec2" source
#   from a client; real EventBridge refuses "aws.*" sources in PutEvents, where only
#   CloudTrail puts them. So the test puts the recorded CloudTrail detail itself.
# - Not emulated: moto does not assume the target's RoleArn, does not enforce the
#   central bus policy (aws:PrincipalOrgID) nor IAM, and re-puts the forwarded event
#   with the central account and region in its envelope, where real EventBridge keeps
#   the original "account" and "region" (the reaper reads detail.recipientAccountId and
#   detail.awsRegion first, so it places the resource the same either way).


def _central_session():
    return central_session(CENTRAL, HOME)


def _deploy_forwarders(session, region):
    cfn = session.client("cloudformation", region_name=region)
    cfn.create_stack(StackName="StackSet-monocyte-forwarders-1",
                     TemplateBody=json.dumps(_render("forwarders")),
                     Parameters=[{"ParameterKey": "CentralAccountId",
                                  "ParameterValue": CENTRAL}],
                     Capabilities=["CAPABILITY_IAM"])
    # moto lists a resource left out by its condition (and the WaitConditionHandle,
    # which it does not model) as an entry without a logical id: skip those.
    return {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(
        StackName="StackSet-monocyte-forwarders-1")["StackResources"]
        if r.get("LogicalResourceId")}


def _put(events, source, detail):
    answer = events.put_events(Entries=[{
        "Source": source, "DetailType": registry.CLOUDTRAIL_DETAIL_TYPE,
        "Detail": json.dumps(detail)}])
    assert answer["FailedEntryCount"] == 0


@pytest.fixture
def deployed(aws):
    """The forwarders in the member account's us-east-1, and an observer on the
    central account's home bus."""
    resources = _deploy_forwarders(boto3.Session(), "us-east-1")
    received = observe_bus(_central_session(), HOME)
    return resources, received


def test_moto_creates_the_forwarder_as_the_template_says(deployed):
    resources, _ = deployed
    assert {"ForwardRule", "ForwarderRole"} <= set(resources)
    assert "NothingToForward" not in resources
    events = boto3.client("events", region_name="us-east-1")
    rule = events.describe_rule(Name="monocyte-forward")
    assert json.loads(rule["EventPattern"]) == registry.event_pattern()
    (target,) = events.list_targets_by_rule(Rule="monocyte-forward")["Targets"]
    assert target["Arn"] == f"arn:aws:events:{HOME}:{CENTRAL}:event-bus/default"
    role_name = target["RoleArn"].rsplit("/", 1)[1]
    role = boto3.client("iam").get_role(RoleName=role_name)["Role"]
    assert role["Arn"] == target["RoleArn"]


def test_a_create_call_is_forwarded_to_the_central_bus(deployed):
    _, received = deployed
    recorded = load_event("ec2.RunInstances")
    _put(boto3.client("events", region_name="us-east-1"), recorded["source"],
         recorded["detail"])
    (forwarded,) = received()
    assert forwarded["source"] == "aws.ec2"
    assert forwarded["detail-type"] == registry.CLOUDTRAIL_DETAIL_TYPE
    assert forwarded["detail"] == recorded["detail"]


def test_what_the_reaper_does_not_want_stays_in_the_member_account(deployed):
    _, received = deployed
    events = boto3.client("events", region_name="us-east-1")
    read_only = load_event("ec2.DescribeInstances.readonly")
    assert read_only["detail"]["eventName"] == "DescribeInstances"
    _put(events, "aws.ec2", read_only["detail"])
    # A global service's create (IAM logs in us-east-1) and a failed create: the
    # pattern itself drops them (a Glue CreateTable here is an uncovered create now,
    # forwarded so that it is reported: tests/test_uncovered.py).
    iam = dict(load_event("dynamodb.CreateTable")["detail"],
               eventSource="iam.amazonaws.com", eventName="CreateRole")
    _put(events, "aws.iam", iam)
    _put(events, "aws.ec2", load_event("ec2.RunInstances.failed")["detail"])
    assert received() == []


# moto does not model the WaitConditionHandle that stands in for the forwarder there.
@pytest.mark.filterwarnings("ignore:Tried to parse .*WaitConditionHandle:UserWarning")
def test_no_forwarder_in_the_central_accounts_home_region(aws):
    central = _central_session()
    resources = _deploy_forwarders(central, HOME)
    assert not {"ForwardRule", "ForwarderRole"} & set(resources)
    events = central.client("events", region_name=HOME)
    assert [r["Name"] for r in events.list_rules()["Rules"]] == []
    # ...but in its other regions, and in the home region of the others, there is one.
    assert "ForwardRule" in _deploy_forwarders(central, "us-east-1")
    assert "ForwardRule" in _deploy_forwarders(boto3.Session(), HOME)


# moto's CloudFormation has no AWS::Events::EventBusPolicy: it skips it (with this
# warning), so the organization condition on the bus is checked above, not here.
@pytest.mark.filterwarnings("ignore:Tried to parse .*EventBusPolicy:UserWarning")
def test_moto_creates_the_central_stack(aws):
    central = _central_session()
    cfn = central.client("cloudformation", region_name=HOME)
    cfn.create_stack(StackName="monocyte-central", TemplateBody=json.dumps(_render("central")),
                     Parameters=[{"ParameterKey": "OrganizationId", "ParameterValue": ORG}])
    outputs = {o["OutputKey"]: o["OutputValue"] for o in
               cfn.describe_stacks(StackName="monocyte-central")["Stacks"][0]["Outputs"]}
    sqs = central.client("sqs", region_name=HOME)
    attributes = sqs.get_queue_attributes(QueueUrl=outputs["ScanQueueUrl"],
                                          AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "960"
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": outputs["ScanDeadLetterQueueArn"], "maxReceiveCount": 3}
    assert outputs["ScanQueueArn"].endswith(f":{CENTRAL}:monocyte-scan")
    assert outputs["VerdictTableName"] == "monocyte-verdicts-prod"
    table = central.client("dynamodb", region_name=HOME).describe_table(
        TableName="monocyte-verdicts-prod")["Table"]
    assert table["KeySchema"] == audit.KEY_SCHEMA
