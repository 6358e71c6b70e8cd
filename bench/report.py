"""Figures of a bench run and the final table (figure, value, baseline, ratio, target, verdict)."""

from __future__ import annotations

from dataclasses import dataclass

PASS, FAIL, INFO, PENDING = "PASS", "FAIL", "info", "PENDING"


@dataclass(frozen=True)
class Figure:
    """One printed figure; `limit` applies to `ratio` when a baseline exists, else to `value`."""

    name: str
    value: float | None
    unit: str
    limit: float | None = None
    baseline: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or self.baseline is None or self.baseline <= 0:
            return None
        return self.value / self.baseline

    @property
    def target(self) -> str:
        if self.limit is None:
            return "-"
        return f"ratio <= {self.limit:g}" if self.baseline is not None else f"<= {self.limit:g}"

    @property
    def verdict(self) -> str:
        if self.value is None:
            return PENDING
        if self.limit is None:
            return INFO
        measured = self.ratio if self.baseline is not None else self.value
        return PASS if measured is not None and measured <= self.limit else FAIL


def pending(name: str, unit: str, limit: float | None, note: str) -> Figure:
    """A figure that could not be measured in this run (shown as PENDING with the reason)."""
    return Figure(name, None, unit, limit, note=note)


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    text = f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


HEADER = ("figure", "value", "baseline", "ratio", "target", "result")


def rows(figures: list[Figure]) -> list[tuple[str, ...]]:
    """The table cells of `figures`, header first."""
    out: list[tuple[str, ...]] = [HEADER]
    for f in figures:
        ratio = "-" if f.ratio is None else f"{f.ratio:.2f}"
        result = f"{f.verdict} ({f.note})" if f.note else f.verdict
        out.append(
            (f.name, _num(f.value, f.unit), _num(f.baseline, f.unit), ratio, f.target, result)
        )
    return out


def render_text(figures: list[Figure]) -> str:
    """A fixed-width table for the terminal."""
    table = rows(figures)
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(figures: list[Figure]) -> str:
    """The same table as GitHub markdown (bench/RESULTS.md)."""
    table = rows(figures)
    lines = ["| " + " | ".join(r) + " |" for r in table]
    lines.insert(1, "|" + "---|" * len(HEADER))
    return "\n".join(lines)
