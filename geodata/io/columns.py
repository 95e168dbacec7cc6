"""Map the headers a file really has to a layer's canonical columns.

Sheets write the same column many ways (``人均纯收入（元）``, ``人均纯收入(元/年)``,
``户主 姓名``); shapefiles cut field names to 10 bytes, so ``村集体经济收入`` arrives as
``村集体经济`` in GBK or ``村集体`` in UTF-8. Headers are normalised (NFKC, no spaces,
no trailing unit in brackets, lower case: :func:`geodata.schemas.normalise_header`) before
they are compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from geodata.schemas import LayerSchema, normalise_header

DBF_NAME_BYTES = 10


def _truncations(name: str) -> set[str]:
    """What a shapefile makes of ``name`` when it cuts the field name to 10 bytes."""
    out = set()
    for enc in ("gbk", "utf-8"):
        try:
            raw = name.encode(enc)
        except UnicodeEncodeError:
            continue
        if len(raw) > DBF_NAME_BYTES:
            cut = raw[:DBF_NAME_BYTES].decode(enc, errors="ignore")
            if len(cut) >= 2:
                out.add(normalise_header(cut))
    return out


@cache
def _lookup(layer: LayerSchema) -> dict[str, str]:
    """Normalised spelling → canonical column, full spellings before 10-byte truncations."""
    table: dict[str, str] = {}
    for col in layer.columns:
        for name in col.all_names:
            table.setdefault(normalise_header(name), col.name)
    for col in layer.columns:
        for name in col.all_names:
            for cut in _truncations(name):
                table.setdefault(cut, col.name)
    return table


@dataclass
class ColumnMapping:
    """Which file header feeds which canonical column, and what was left over."""

    found: dict[str, str] = field(default_factory=dict)  # canonical → header as in the file
    unknown: list[str] = field(default_factory=list)  # headers that match nothing
    duplicates: dict[str, list[str]] = field(default_factory=dict)  # canonical → extra headers ignored

    def missing(self, layer: LayerSchema) -> list[str]:
        """Required canonical columns that no header provides."""
        return [c for c in layer.required if c not in self.found]


def match_columns(headers: list[str], layer: LayerSchema, *, overrides: dict[str, str] | None = None) -> ColumnMapping:
    """Match ``headers`` to ``layer``'s columns.

    Parameters
    ----------
    headers
        Header names as found in the file, in file order.
    layer
        The schema to match against.
    overrides
        ``{header: canonical}`` corrections chosen by a person (the /data page);
        an empty canonical name drops the header.

    Returns
    -------
    ColumnMapping
        The first header matching a column wins; later ones are listed in ``duplicates``.

    """
    overrides = overrides or {}
    lookup = _lookup(layer)
    mapping = ColumnMapping()
    for header in headers:
        canonical = overrides.get(header, lookup.get(normalise_header(header)))
        if not canonical:
            if header not in overrides:
                mapping.unknown.append(header)
            continue
        if canonical in mapping.found:
            mapping.duplicates.setdefault(canonical, []).append(header)
        else:
            mapping.found[canonical] = header
    return mapping
