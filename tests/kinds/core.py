"""The seven original types: EC2 instances and volumes, stacks, RDS instances and
snapshots, DynamoDB tables, S3 buckets (see kinds/__init__.py for the contract)."""
from __future__ import annotations

import uuid

import boto3
from botocore.exceptions import ClientError

TEMPLATE = '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}'


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _image(ec2) -> str:
    # One of the AMIs moto ships in every region; DescribeImages is slow in moto.
    return "ami-12c6146b"


def create_instance(trail, region, protect=False):
    ec2 = boto3.client("ec2", region)
    reply = trail.call(ec2, "run_instances", ImageId=_image(ec2), MinCount=1, MaxCount=1)
    instance_id = reply["Instances"][0]["InstanceId"]
    if protect:
        ec2.modify_instance_attribute(InstanceId=instance_id,
                                      DisableApiTermination={"Value": True})
    return instance_id


def instance_exists(region, instance_id):
    ec2 = boto3.client("ec2", region)
    found = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return found[0]["Instances"][0]["State"]["Name"] not in ("terminated", "shutting-down")


def create_volume(trail, region, protect=False):
    ec2 = boto3.client("ec2", region)
    return trail.call(ec2, "create_volume", AvailabilityZone=f"{region}a", Size=8)["VolumeId"]


def volume_exists(region, volume_id):
    try:
        boto3.client("ec2", region).describe_volumes(VolumeIds=[volume_id])
        return True
    except ClientError:
        return False


def create_stack(trail, region, protect=False):
    cfn = boto3.client("cloudformation", region)
    return trail.call(cfn, "create_stack", StackName=_name("stack"), TemplateBody=TEMPLATE,
                      EnableTerminationProtection=protect)["StackId"]


def stack_exists(region, stack_id):
    try:
        stacks = boto3.client("cloudformation", region).describe_stacks(StackName=stack_id)
    except ClientError:
        return False
    return stacks["Stacks"][0]["StackStatus"] != "DELETE_COMPLETE"


def create_db_instance(trail, region, protect=False):
    rds = boto3.client("rds", region)
    name = _name("db")
    trail.call(rds, "create_db_instance", DBInstanceIdentifier=name, Engine="postgres",
               DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
               MasterUserPassword="secret-password", DeletionProtection=protect)
    return name


def db_instance_exists(region, name):
    try:
        boto3.client("rds", region).describe_db_instances(DBInstanceIdentifier=name)
        return True
    except ClientError:
        return False


def create_db_snapshot(trail, region, protect=False):
    rds = boto3.client("rds", region)
    db = _name("snapdb")
    rds.create_db_instance(DBInstanceIdentifier=db, Engine="postgres",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                           MasterUsername="admin", MasterUserPassword="secret-password")
    name = _name("snap")
    trail.call(rds, "create_db_snapshot", DBSnapshotIdentifier=name, DBInstanceIdentifier=db)
    return name


def db_snapshot_exists(region, name):
    try:
        boto3.client("rds", region).describe_db_snapshots(DBSnapshotIdentifier=name)
        return True
    except ClientError:
        return False


def create_table(trail, region, protect=False):
    ddb = boto3.client("dynamodb", region)
    name = _name("table")
    trail.call(ddb, "create_table", TableName=name, BillingMode="PAY_PER_REQUEST",
               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
               DeletionProtectionEnabled=protect)
    return name


def table_exists(region, name):
    try:
        boto3.client("dynamodb", region).describe_table(TableName=name)
        return True
    except ClientError:
        return False


def create_bucket(trail, region, protect=False):
    s3 = boto3.client("s3", region)
    name = _name("bucket")
    extra = {} if region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": region}}
    trail.call(s3, "create_bucket", Bucket=name, **extra)
    # Data in it, versioned, so the kill has to empty every version first.
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two"):
        s3.put_object(Bucket=name, Key="data.csv", Body=body)
    s3.delete_object(Bucket=name, Key="data.csv")
    s3.create_multipart_upload(Bucket=name, Key="big.bin")
    return name


def bucket_exists(region, name):
    try:
        boto3.client("s3", region).head_bucket(Bucket=name)
        return True
    except ClientError:
        return False


KINDS = {
    "AWS::EC2::Instance": (create_instance, instance_exists),
    "AWS::EC2::Volume": (create_volume, volume_exists),
    "AWS::CloudFormation::Stack": (create_stack, stack_exists),
    "AWS::RDS::DBInstance": (create_db_instance, db_instance_exists),
    "AWS::RDS::DBSnapshot": (create_db_snapshot, db_snapshot_exists),
    "AWS::DynamoDB::Table": (create_table, table_exists),
    "AWS::S3::Bucket": (create_bucket, bucket_exists),
}


# One item per page of each list call, in its real response shape (test_scan).
PAGES = {
    "AWS::EC2::Instance": lambda n: {"Reservations": [{"Instances": [{"InstanceId": n}]}]},
    "AWS::EC2::Volume": lambda n: {"Volumes": [{"VolumeId": n, "Attachments": []}]},
    "AWS::CloudFormation::Stack": lambda n: {"StackSummaries": [{
        "StackId": n, "StackName": "s", "CreationTime": "2026-01-01T00:00:00Z",
        "StackStatus": "CREATE_COMPLETE"}]},
    "AWS::RDS::DBInstance": lambda n: {"DBInstances": [{"DBInstanceIdentifier": n}]},
    "AWS::RDS::DBSnapshot": lambda n: {"DBSnapshots": [{"DBSnapshotIdentifier": n}]},
    "AWS::DynamoDB::Table": lambda n: {"TableNames": [n]},
    "AWS::S3::Bucket": lambda n: {"Buckets": [{"Name": n, "BucketRegion": "us-west-2"}]},
}
