"""RDS automated backups: moto 5 has no StartDBInstanceAutomatedBackupsReplication,
Stop... or DeleteDBInstanceAutomatedBackup, so they are tested with botocore's Stubber
(tests/test_stubbed_rds_backups.py)."""
from __future__ import annotations

ACCOUNT = "123456789012"
BACKUP = "AWS::RDS::DBInstanceAutomatedBackup"

STUBBED = {BACKUP}

# One replicated backup (its Region is the source's, not the scanned us-west-2).
PAGES = {
    BACKUP: lambda n: {"DBInstanceAutomatedBackups": [{
        "DBInstanceArn": f"arn:aws:rds:eu-central-1:{ACCOUNT}:db:orders-{n}",
        "DbiResourceId": "db-ORDERSEUEXAMPLE7Q3RZL5KXW4", "Region": "eu-central-1",
        "DBInstanceIdentifier": f"orders-{n}", "Status": "replicating", "Engine": "postgres",
        "AllocatedStorage": 20, "Encrypted": True, "BackupRetentionPeriod": 7,
        "DBInstanceAutomatedBackupsArn": n}]},
}
