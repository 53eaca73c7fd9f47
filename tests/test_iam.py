"""The generated IAM keeps the prime directive by construction: every destructive
action is denied in every allowed region (but the named replica removals), allowed
outside; no data read; the dry-run role holds no destructive action; sizes within
IAM's quotas. moto does not enforce IAM, so the policies are evaluated here, and
checked with parliament (PyPI), whose action data also classifies every action."""
from __future__ import annotations

import fnmatch
import functools
import json
import os
import re

import pytest

from chalicelib import iam, templates
from chalicelib.config import EU_REGIONS, Settings
from chalicelib.generic import permissions

OUTSIDE = ("us-east-1", "us-west-2", "ap-southeast-2", "eu-west-2", "eu-central-2", "sa-east-1")
SETTINGS = Settings()


@functools.lru_cache(maxsize=1)
def access_levels() -> dict[str, str]:
    """parliament's copy of AWS's Service Authorization Reference: action -> level."""
    import parliament

    path = os.path.join(os.path.dirname(parliament.__file__), "iam_definition.json")
    with open(path) as handle:
        data = json.load(handle)
    return {f"{s['prefix']}:{p['privilege']}".lower(): p["access_level"]
            for s in data for p in s["privileges"]}


def _resolved(value):
    """The policy as IAM sees it once CloudFormation has filled in its ``Fn::Sub``s
    (parliament, like IAM, reads only plain ARNs)."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return (value["Fn::Sub"].replace("${AWS::Partition}", "aws")
                .replace("${AWS::AccountId}", "123456789012"))
    if isinstance(value, dict):
        return {key: _resolved(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item) for item in value]
    return value


def documents(dry_run: bool = False) -> list[dict]:
    template = templates.render("member-role", SETTINGS)
    role = template["Resources"]["DryRunRole" if dry_run else "MemberRole"]["Properties"]
    return [_resolved(template["Resources"][ref["Ref"]]["Properties"]["PolicyDocument"])
            for ref in role["ManagedPolicyArns"]]


@functools.lru_cache(maxsize=None)
def _pattern(pattern: str):
    return re.compile(fnmatch.translate(pattern.lower()))


def _matches(patterns, value: str) -> bool:
    patterns = [patterns] if isinstance(patterns, str) else patterns
    return any(_pattern(p).match(value.lower()) for p in patterns)


def _condition_holds(condition: dict, context: dict) -> bool:
    for operator, keys in condition.items():
        for key, wanted in keys.items():
            wanted = [wanted] if isinstance(wanted, str) else wanted
            if operator == "StringEquals":
                if context.get(key) not in wanted:
                    return False
            else:
                raise AssertionError(f"the evaluator does not know {operator}: teach it")
    return True


def evaluate(docs: list[dict], action: str, region: str, resource: str = "*") -> str:
    """IAM's identity-policy logic for one request: an explicit Deny wins, then an
    Allow, else the implicit deny. ``resource`` '*' stands for any resource the
    statement could name."""
    context = {"aws:RequestedRegion": region}
    allowed = False
    for statement in (s for d in docs for s in d["Statement"]):
        if not _matches(statement["Action"], action):
            continue
        if resource != "*" and not _matches(statement["Resource"], resource):
            continue
        if not _condition_holds(statement.get("Condition", {}), context):
            continue
        if statement["Effect"] == "Deny":
            return "Deny"
        allowed = True
    return "Allow" if allowed else "ImplicitDeny"


def granted(docs: list[dict]) -> set[str]:
    """Every action an Allow names, wildcards expanded over AWS's reference
    (parliament's data), but for the reads of customer data: an unconditional Deny of
    the same documents takes those back (test_no_role_reads_customer_data)."""
    named = {a for d in docs for s in d["Statement"] if s["Effect"] == "Allow"
             for a in s["Action"]}
    expanded = {e for a in named for e in (permissions.expand(a) if "*" in a else (a,))}
    assert all(permissions.expand(a) for a in named if "*" in a), "a wildcard matching nothing"
    return expanded - iam.NEVER_GRANTED


PROD = documents()
DRY = documents(dry_run=True)


@pytest.mark.parametrize("action", sorted(granted(PROD)))
def test_every_action_is_denied_in_each_allowed_region_and_allowed_outside(action):
    # A removal denied on the allowed regions' ARNs: here asked of a replica outside.
    arn = "arn:aws:dynamodb:us-east-1:1:table/t" if action in iam._EXCEPTION_DENIED_ON else "*"
    inside = {evaluate(PROD, action, region, arn) for region in EU_REGIONS}
    if iam.region_guarded(action) or action in iam.OUTSIDE_ONLY_READS:
        assert inside == {"Deny"}, f"{action} must be denied in every allowed region"
    else:
        assert inside == {"Allow"}, f"{action} is a read or a named replica removal"
    assert {evaluate(PROD, action, region, arn) for region in OUTSIDE} == {"Allow"}


def test_every_non_read_action_by_awss_own_classification_is_region_guarded():
    """Not our verb list alone: AWS's access level (Write, Permissions management,
    Tagging) of each granted action, from parliament's data."""
    levels = access_levels()
    for action in granted(PROD):
        level = levels[action.lower()]
        if level not in ("List", "Read"):
            assert action in iam.REPLICA_REMOVALS or {
                evaluate(PROD, action, r) for r in EU_REGIONS} == {"Deny"}, (action, level)


def test_the_replica_removals_cannot_remove_an_eu_replica():
    assert set(iam.REPLICA_REMOVALS) == {"secretsmanager:RemoveRegionsFromReplication",
                                         "dynamodb:UpdateTable", "dynamodb:DeleteTableReplica"}
    for region in EU_REGIONS:
        arn = f"arn:aws:dynamodb:{region}:111111111111:table/customers"
        assert evaluate(PROD, "dynamodb:DeleteTableReplica", "eu-central-1", arn) == "Deny"
    us = "arn:aws:dynamodb:us-east-1:111111111111:table/customers"
    assert evaluate(PROD, "dynamodb:DeleteTableReplica", "eu-central-1", us) == "Allow"


def test_no_role_reads_customer_data():
    for docs in (PROD, DRY):
        for action in iam.NEVER_GRANTED:
            for region in EU_REGIONS + OUTSIDE:
                assert evaluate(docs, action, region) != "Allow", action
    # The reads a kill needs that show data work only where everything is killed.
    for action in iam.OUTSIDE_ONLY_READS:
        assert {evaluate(PROD, action, r) for r in EU_REGIONS} == {"Deny"}
    # Even a bucket policy granting us GetObject cannot: our own explicit deny wins.
    assert any(s["Effect"] == "Deny" and "s3:GetObject" in s["Action"]
               and "Condition" not in s for d in PROD for s in d["Statement"])


def test_api_gateway_reaches_the_apis_never_the_api_keys():
    key = "arn:aws:apigateway:us-east-1::/apikeys/abc123"
    api = "arn:aws:apigateway:us-east-1::/restapis/abc123"
    assert evaluate(PROD, "apigateway:GET", "us-east-1", key) == "ImplicitDeny"
    assert evaluate(PROD, "apigateway:DELETE", "us-east-1", key) == "ImplicitDeny"
    assert evaluate(PROD, "apigateway:DELETE", "us-east-1", api) == "Allow"
    assert evaluate(PROD, "apigateway:DELETE", "eu-west-1",
                    api.replace("us-east-1", "eu-west-1")) == "Deny"


def test_the_dry_run_role_holds_no_destructive_action():
    levels = access_levels()
    actions = granted(DRY)
    assert actions, "it lists and describes"
    assert all(levels[a.lower()] in ("List", "Read") for a in actions), sorted(
        a for a in actions if levels[a.lower()] not in ("List", "Read"))
    assert not any(iam.region_guarded(a) and a not in iam.OUTSIDE_ONLY_READS for a in actions)


def test_no_global_service_is_granted_but_for_the_doctors_reads():
    """A global service has no region for aws:RequestedRegion to guard: nothing of one
    is granted but the plain reads the doctor needs (a forwarder role's policies)."""
    levels = access_levels()
    global_actions = {a for a in granted(PROD) if a.split(":")[0] in iam.GLOBAL_SERVICES}
    assert global_actions <= set(templates.MEMBER_EXTRA_ACTIONS)
    assert all(levels[a.lower()] in ("List", "Read") for a in global_actions)


def test_the_lambda_policies_only_reach_their_stages_member_role():
    for stage, role in (("dev", iam.DRY_RUN_ROLE), ("prod", iam.MEMBER_ROLE)):
        policy = iam.reaper_policy(stage)
        [assume] = [s for s in policy["Statement"] if "sts:AssumeRole" in s["Action"]]
        assert assume["Resource"] == f"arn:*:iam::*:role/{role}"
        assert len(iam.minified(policy)) <= iam.ROLE_INLINE_MAX_CHARS
        resources = {s["Resource"] for s in policy["Statement"]}
        assert "*" not in resources, "no resource action of its own"


def test_the_dry_run_role_holds_the_prod_roles_read_policies_and_nothing_else():
    """Shared so the template carries the reads once; a write policy is never shared."""
    template = templates.render("member-role", SETTINGS)
    refs = {role: [r["Ref"] for r in template["Resources"][role]["Properties"][
        "ManagedPolicyArns"]] for role in ("MemberRole", "DryRunRole")}
    assert refs["DryRunRole"] == refs["MemberRole"][:len(refs["DryRunRole"])]
    assert len(refs["MemberRole"]) > len(refs["DryRunRole"]), "prod holds the deletes too"


def test_a_folded_deny_never_hides_a_read_in_the_allowed_regions():
    """``svc:Verb*`` in a Deny: no granted read (wildcards expanded) falls under it."""
    reads = {a for a in granted(DRY) if a not in iam.OUTSIDE_ONLY_READS}
    for action in sorted(reads):
        assert {evaluate(PROD, action, r) for r in EU_REGIONS} == {"Allow"}, action


def test_every_policy_fits_iams_quotas():
    for docs in (PROD, DRY):
        assert len(docs) <= iam.MANAGED_POLICIES_PER_ROLE
        assert all(len(iam.minified(d)) <= iam.MANAGED_POLICY_MAX_CHARS for d in docs)


def test_a_registry_of_thousands_of_actions_is_cut_to_the_size_quota():
    """The generic layer may grow iam_actions() to thousands over ~100 services."""
    levels = access_levels()
    services = sorted({a.split(":")[0] for a in levels})[:100]
    actions = [a for a in sorted(levels) if a.split(":")[0] in services][:3000]
    docs = iam.member_policies(actions, EU_REGIONS)
    assert all(len(iam.minified(d)) <= iam.MANAGED_POLICY_MAX_CHARS for d in docs)
    assert granted(docs) >= {a for a in actions if a not in iam.NEVER_GRANTED}
    print(f"{len(actions)} actions -> {len(docs)} managed policies")


def test_parliament_finds_nothing_above_low_but_the_reviewed_one():
    """parliament's auditors over every generated policy. One finding is reviewed and
    accepted: s3:PutBucketPolicy (the cut-off's deny-everything policy) 'could grant
    GetObject'. Our own explicit deny of every data read wins over any such grant to
    us, public access is blocked before the policy is written, and the action is
    denied in every allowed region; it is needed outside them."""
    import parliament
    from parliament import analyze_policy_string

    reviewed = {"Possible resource policy privilege escalation on * due to s3:GetObject "
                "not being allowed, but does allow s3:PutBucketPolicy",
                "Possible resource policy privilege escalation on * due to s3:PutObject "
                "not being allowed, but does allow s3:PutBucketPolicy"}
    policies = PROD + DRY + [iam.reaper_policy("dev"), iam.reaper_policy("prod")]
    for document in policies:
        found = analyze_policy_string(json.dumps(document)).findings
        levels = [(f.issue, parliament.config.get(f.issue, {}).get("severity"), str(f.detail))
                  for f in found]
        serious = [f for f in levels if f[1] not in ("LOW", "INFO") and f[2] not in reviewed]
        assert not serious


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_stage_policy_files_are_generated(stage):
    path = os.path.join(os.path.dirname(__file__), "..", ".chalice", f"policy-{stage}.json")
    with open(path) as handle:
        assert json.load(handle) == iam.reaper_policy(stage), (
            "regenerate with: monocyte policy --stage STAGE > .chalice/policy-STAGE.json")


def test_the_dev_stage_assumes_the_dry_run_role():
    path = os.path.join(os.path.dirname(__file__), "..", ".chalice", "config.json")
    with open(path) as handle:
        stages = json.load(handle)["stages"]
    assert stages["dev"]["environment_variables"]["MONOCYTE_MEMBER_ROLE"] == iam.DRY_RUN_ROLE
    assert stages["dev"]["environment_variables"]["MONOCYTE_DRY_RUN"] == "true"
