"""How much of AWS Monocyte watches, measured against botocore's own models.

Every regional service's create-style operations (Create*, Run*, Copy*, …) are
where data can appear outside the EU; an operation is handled when a registered
type claims its CloudTrail event.
"""
from __future__ import annotations

import dataclasses
import functools
import re

from chalicelib import registry

# Operation name prefixes that make something new.
CREATE_PREFIXES = ("Create", "Run", "Copy", "Replicate", "Register", "Request", "Import",
                   "Restore", "Allocate", "Launch", "Clone", "Duplicate")
# Global services log in us-east-1 and are never resources of this system (design).
GLOBAL_SERVICES = frozenset({"iam", "cloudfront", "route53", "organizations", "sts"})


@dataclasses.dataclass
class ServiceCoverage:
    service: str
    operations: list[str]
    handled: list[str]

    @property
    def percent(self) -> float:
        return 100.0 * len(self.handled) / len(self.operations) if self.operations else 0.0

    def to_dict(self) -> dict:
        return {"service": self.service, "operations": len(self.operations),
                "handled": sorted(self.handled), "percent": round(self.percent, 1),
                "missing": sorted(set(self.operations) - set(self.handled))}


def is_create(operation: str) -> bool:
    return any(re.match(f"{prefix}[A-Z0-9]", operation) for prefix in CREATE_PREFIXES)


@functools.lru_cache(maxsize=1)
def _claimed() -> frozenset[tuple[str, str]]:
    """(endpoint prefix, operation) of every registered event; CloudTrail adds an API
    version to some names (Lambda's CreateFunction20150331), which is dropped."""
    return frozenset((e.source.split(".")[0], re.sub(r"\d{8}$", "", e.name))
                     for t in registry.all_types() for e in t.events)


def _global(loader) -> set[str]:
    endpoints = loader.load_data("endpoints")["partitions"][0]["services"]
    return {name for name, data in endpoints.items() if data.get("isRegionalized") is False}


def measure() -> list[ServiceCoverage]:
    """Every regional service with create-style operations, from this machine's botocore."""
    import botocore.loaders

    loader = botocore.loaders.create_loader()
    global_prefixes = _global(loader) | GLOBAL_SERVICES
    claimed = _claimed()
    found = []
    for service in loader.list_available_services("service-2"):
        model = loader.load_service_model(service, "service-2")
        prefix = model["metadata"].get("endpointPrefix", service)
        if service in GLOBAL_SERVICES or prefix in global_prefixes and service != "s3":
            continue  # S3's endpoint is global, its buckets are not
        # CloudTrail's eventSource is usually the endpoint prefix, sometimes the signing
        # name (SageMaker: endpoint api.sagemaker, events from sagemaker.amazonaws.com).
        names = {prefix, model["metadata"].get("signingName", prefix), service}
        ours = {op for op in model["operations"] if any((n, op) in claimed for n in names)}
        # A claimed call that creates without a create-style name (DynamoDB's
        # UpdateTable adding a replica) counts too.
        operations = sorted(op for op in model["operations"] if is_create(op) or op in ours)
        if operations:
            handled = [op for op in operations if op in ours]
            found.append(ServiceCoverage(service, operations, handled))
    return found


def totals(services: list[ServiceCoverage]) -> dict:
    operations = sum(len(s.operations) for s in services)
    handled = sum(len(s.handled) for s in services)
    return {"services": len(services),
            "services_watched": sum(1 for s in services if s.handled),
            "operations": operations, "handled": handled,
            "percent": round(100.0 * handled / operations, 1) if operations else 0.0}
