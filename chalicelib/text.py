"""Plain-text output for people: aligned tables."""
from __future__ import annotations


def table(rows: list[list[str]], header: list[str]) -> str:
    """Rows under a header, columns aligned, indented two spaces."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join("  " + line for line in lines)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 hole', '2 holes': a number with its noun agreeing."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
