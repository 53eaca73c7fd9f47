"""The global services the pattern and triage leave out are read from a checked-in file
(a cold start must not parse every botocore model); it must match what the pinned
botocore says."""
from chalicelib import pattern


def test_the_checked_in_global_services_match_the_pinned_botocore():
    assert pattern.global_services() == pattern.compute_global_services(), (
        "regenerate: python -c 'from chalicelib import pattern; pattern.write_global()'")
