"""OpenSearch Service domains.

The OpenSearch API (boto3 ``opensearch``) shares the endpoint prefix ``es`` with the
older Elasticsearch API, so CloudTrail logs it as ``es.amazonaws.com`` and IAM says
``es:``. Its create event is ``CreateDomain``; the legacy API's
``CreateElasticsearchDomain`` is an operation of the ``es`` client, not this one
(the scan still finds such domains: both APIs list the same domains). The id is the
domain name. DeleteDomain takes no final snapshot.

ListDomainNames has no botocore paginator: the API answers every domain in one
response, and the scan makes one plain call for it.
"""
from __future__ import annotations

from chalicelib.errors import NotReady
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType


def inspect_domain(client, name: str) -> Live | None:
    status = client.describe_domain(DomainName=name)["DomainStatus"]
    if status.get("Deleted"):
        return None
    return Live(facts={"processing": bool(status.get("Processing"))})


def delete_domain(client, name: str, live: Live, force: bool) -> list[str]:
    try:
        client.delete_domain(DomainName=name)
    except client.exceptions.ValidationException as error:
        # Refused while the domain is still being created or changed: a later run.
        if live.facts.get("processing"):
            raise NotReady(f"domain {name} is still processing: {error}") from error
        raise
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::OpenSearchService::Domain",
        service="opensearch",
        events=(CreateEvent("es.amazonaws.com", "CreateDomain",
                            "detail.responseElements.domainStatus.domainName"
                            " || detail.requestParameters.domainName"),),
        inspect=inspect_domain,
        delete=delete_domain,
        listing=Listing("list_domain_names", "DomainNames[]", "DomainName"),
        actions=("es:ListDomainNames", "es:DescribeDomain", "es:DeleteDomain"),
        not_found=("ResourceNotFoundException",),
    ),
)
