"""Validation problems and the report that collects them, for people and for machines."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located precisely enough to fix it.

    ``row`` is the row number a person sees in the source (Excel row, CSV line,
    feature number starting at 1); ``None`` when the problem concerns the whole file
    or a whole column.
    """

    kind: str
    severity: Severity
    reason: str
    file: str = ""
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: Any = None

    def describe(self) -> str:
        """Return one line: where, what value, why."""
        where = [Path(self.file).name] if self.file else []
        if self.sheet:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        value = "" if self.value is None else f" value {self.value!r}:"
        return f"{self.severity.upper()} [{self.kind}] {', '.join(where)}:{value} {self.reason}"


@dataclass
class Report:
    """All problems found in one input, gathered before anything is written."""

    file: str = ""
    layer: str = ""
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add(self, kind: str, severity: Severity, reason: str, **where: Any) -> None:
        """Record a problem; ``where`` takes sheet, row, column, value (file defaults to ours)."""
        where.setdefault("file", self.file)
        self.problems.append(Problem(kind=kind, severity=severity, reason=reason, **where))

    def extend(self, other: Report) -> None:
        """Append the problems of another report (e.g. a reader's) to this one."""
        self.problems.extend(other.problems)

    @property
    def errors(self) -> list[Problem]:
        """Problems that refuse the import."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems that were repaired; the import goes ahead."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing refuses the import."""
        return not self.errors

    def counts(self) -> dict[str, int]:
        """Number of problems per ``severity:kind``, sorted by key."""
        return dict(sorted(Counter(f"{p.severity}:{p.kind}" for p in self.problems).items()))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary plus every problem."""
        return {
            "file": self.file,
            "layer": self.layer,
            "rows": self.rows,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "counts": self.counts(),
            "problems": [_jsonable(asdict(p)) for p in self.problems],
        }

    def write_json(self, path: str | Path) -> None:
        """Write :meth:`as_dict` to ``path`` as UTF-8 JSON (Chinese kept readable)."""
        Path(path).write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=2), "utf-8")

    def format_text(self, *, limit: int = 50) -> str:
        """A human summary: counts per kind, then the first ``limit`` problems."""
        head = (
            f"{self.file or '<input>'} → {self.layer or '?'}: {self.rows} rows, "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings"
        )
        lines = [head]
        lines += [f"  {n:>6}  {k}" for k, n in self.counts().items()]
        ordered = self.errors + self.warnings
        lines += [p.describe() for p in ordered[:limit]]
        if len(ordered) > limit:
            lines.append(f"... and {len(ordered) - limit} more (use --report FILE.json for all)")
        return "\n".join(lines)


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    """Make numpy scalars and other odd values JSON-serialisable."""
    out = {}
    for k, v in d.items():
        if v is None or isinstance(v, (str, int, float, bool)):
            out[k] = v
        elif hasattr(v, "item"):
            out[k] = v.item()
        else:
            out[k] = str(v)
    return out


@dataclass
class RowProblems:
    """Adds problems for rows of one table, translating positions to the row numbers a person sees."""

    report: Report
    rows: Any  # numpy array: source row number of each position
    sheet: str | None = None

    def at(
        self,
        i: int,
        kind: str,
        reason: str,
        *,
        column: str | None = None,
        value: Any = None,
        severity: Severity = "error",
    ) -> None:
        """One problem at position ``i``."""
        self.report.add(
            kind,
            severity,
            reason,
            sheet=self.sheet,
            row=int(self.rows[i]),
            column=column,
            value=None if value is None else str(value),
        )

    def flag(
        self,
        kind: str,
        reason: str,
        mask: Any,
        *,
        column: str | None = None,
        values: Any = None,
        severity: Severity = "error",
    ) -> None:
        """One problem per position where ``mask`` is true; ``values`` (a Series or array) supplies the value."""
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            value = None if values is None else (values.iloc[i] if hasattr(values, "iloc") else values[i])
            self.at(int(i), kind, reason, column=column, value=value, severity=severity)
