"""The generic layer: CloudFormation types Cloud Control lists and deletes, from a
table generated from AWS's provider schemas (see table.py)."""
from chalicelib.generic.table import GenericType, by_event, is_default, load

__all__ = ["GenericType", "by_event", "is_default", "load"]
