"""One module per AWS service; each declares ``TYPES``, a tuple of ResourceType."""
