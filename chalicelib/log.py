"""Structured logging: every outcome is one JSON line on the ``monocyte`` logger."""
from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger("monocyte")


def emit(kind: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one JSON object ``{"log": kind, ...fields}`` as a single line."""
    logger.log(level, json.dumps({"log": kind, **fields}, default=str, sort_keys=False))


def configure(level: int = logging.INFO) -> None:
    """For the command line: bare JSON lines on stderr (Lambda has its own handler)."""
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
