"""Monocyte: deletes AWS resources created outside the allowed regions."""
