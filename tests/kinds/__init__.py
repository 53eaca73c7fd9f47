"""How a team creates each resource type in moto, and how a test asks if it exists.

Each module here holds ``KINDS = {cfn_type: (create, exists)}`` for some types:
``create(trail, region, protect=False) -> id`` makes the resource the way a team
would (the trail keeps the CloudTrail event); ``exists(region, id)`` asks moto
directly, not through Monocyte's code. Types moto cannot create are listed in a
module's ``STUBBED`` (tested with botocore's Stubber instead). ``PAGES =
{cfn_type: page(n)}`` gives one page of the type's list call holding the item ``n``,
in the real response shape, for every type (moto or not).
"""
from __future__ import annotations

import importlib
import pkgutil

KINDS: dict = {}
STUBBED: set = set()
PAGES: dict = {}
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    _loaded = importlib.import_module(f"{__name__}.{_module}")
    KINDS.update(getattr(_loaded, "KINDS", {}))
    STUBBED.update(getattr(_loaded, "STUBBED", ()))
    PAGES.update(getattr(_loaded, "PAGES", {}))

from kinds.core import TEMPLATE, bucket_exists  # noqa: E402,F401 - used by tests
