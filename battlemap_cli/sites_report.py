"""``battlemap sites --report FILE.docx|.pdf``: the site-selection report for the planning meeting."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from battlemap_cli.documents import county_name, write_atomically
from geodata._errors import InputError
from geodata.settings import get_settings
from geodata.store import Store
from layers.i18n import t

if TYPE_CHECKING:
    from layers.site_report import SiteReport

REPORT_FORMATS = (".docx", ".pdf")


def check_reports(reports: list[str], lang: str) -> list[Path]:
    """The report paths, refused before any work when the suffix is not .docx/.pdf or the folder is missing."""
    paths = [Path(r) for r in reports]
    for path in paths:
        if path.suffix.lower() not in REPORT_FORMATS:
            raise InputError(t("site_report_bad_suffix", lang, path=str(path)))
        if not path.parent.exists():
            msg = f"--report: folder {path.parent} does not exist"
            raise InputError(msg)
    return paths


def report_bytes(report: SiteReport, *, docx: bool, lang: str) -> bytes:
    """The report as .docx (the map as a picture) or .pdf (the map as vectors, the font embedded)."""
    from layers.bulletin_docx import bulletin_docx  # noqa: PLC0415 - document libraries only when asked
    from layers.bulletin_pdf import bulletin_pdf  # noqa: PLC0415
    from layers.print_views import map_png  # noqa: PLC0415
    from layers.site_report import report_doc, suitability_map  # noqa: PLC0415

    text = report_doc(report, lang=lang)
    view = suitability_map(report, lang=lang)
    if not docx:
        return bulletin_pdf(text, [view], lang=lang)
    dpi = get_settings().print.image_dpi
    return bulletin_docx(text, [map_png(view, width_mm=166, height_mm=120, dpi=dpi, size=6.5, lang=lang)])


def write_reports(paths: list[Path], report: SiteReport, *, lang: str) -> None:
    """Write each report through a temporary file (nothing half-written on failure)."""
    for path in paths:
        write_atomically(path, report_bytes(report, docx=path.suffix.lower() == ".docx", lang=lang))


def county_of(store: Store) -> str:
    """The county's name as the documents print it."""
    return county_name(store.read("villages"), store.read_or_none("regions"))
