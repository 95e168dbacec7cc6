"""PDF pages with the Chinese font embedded (fpdf2), and PNG pages rasterised from them (pdfium).

Why fpdf2: Debian's Noto Sans CJK is a collection of CFF-outline OpenType faces. fpdf2 embeds
such a face as a subset ``CIDFontType0C`` with a ToUnicode map (vector text, searchable,
copyable); matplotlib's PDF backend writes CFF data as a TrueType stream (matplotlib issue
#20870), which Acrobat and poppler reject. A PNG is the same PDF page drawn by pdfium, so the
picture and the print never differ.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from fpdf import FPDF

from geodata._errors import InputError
from geodata.settings import Settings, get_settings

PAPERS = {"A0": (841.0, 1189.0), "A1": (594.0, 841.0), "A2": (420.0, 594.0), "A3": (297.0, 420.0), "A4": (210.0, 297.0)}
FONT = "cjk"
MM_PER_INCH = 25.4


@functools.cache
def _face_index(path: str, face: str) -> int:
    """The index of the face named ``face`` in a font collection (0 for a single font or when absent)."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection  # noqa: PLC0415 - only to read a collection's face names

    collection = TTCollection(path, lazy=True)
    try:
        names = [font["name"].getDebugName(4) for font in collection.fonts]
    finally:
        collection.close()
    return names.index(face) if face in names else 0


def _font_file(path: str, what: str) -> str:
    if not Path(path).is_file():
        msg = (
            f"the {what} font {path!r} ([print] font_{what}) does not exist: install a Chinese font "
            "(Debian/Ubuntu: apt-get install fonts-noto-cjk) or point the setting at one"
        )
        raise InputError(msg)
    return path


def new_pdf(
    *, paper: str = "A4", landscape: bool = False, settings: Settings | None = None, cls: type[FPDF] = FPDF
) -> FPDF:
    """An empty document (``cls``) in millimetres with the Chinese font as ``FONT`` (regular and ``B``), no breaks."""
    s = (settings or get_settings()).print
    width, height = PAPERS[paper]
    pdf = cls(unit="mm", format=(height, width) if landscape else (width, height))
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(0, 0, 0)
    for style, path in (("", _font_file(s.font_regular, "regular")), ("B", _font_file(s.font_bold, "bold"))):
        pdf.add_font(FONT, style, path, collection_font_number=_face_index(path, s.font_face))
    pdf.set_creator("Battlemap")
    return pdf


def pdf_bytes(pdf: FPDF) -> bytes:
    """The finished document; the font files fpdf2 keeps open (fontTools' lazy reading) are closed."""
    try:
        return bytes(pdf.output())
    finally:
        for font in pdf.fonts.values():
            if (ttfont := getattr(font, "ttfont", None)) is not None:
                ttfont.close()


def page_png(pdf: bytes, *, dpi: int, page: int = 0) -> bytes:
    """One page of ``pdf`` drawn at ``dpi`` as PNG bytes (with the resolution recorded for printing)."""
    import pypdfium2 as pdfium  # noqa: PLC0415 - only for PNG output

    document = pdfium.PdfDocument(pdf)
    try:
        image = document[page].render(scale=dpi / 72.0).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), compress_level=1)
    return out.getvalue()
