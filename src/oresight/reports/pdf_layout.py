"""The PDF report's page layout: its font (bundled, or a TrueType family the user names) and what
it can draw, styles, colours, the A4 page template with its footer, and headings that are link
targets and outline entries."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph

from oresight.core.errors import InvalidInput

FONT = "Vera"
"""The default report font, Bitstream Vera, bundled with reportlab (``reportlab/fonts``)."""
FONT_FILES = {"Vera": "Vera.ttf", "VeraBd": "VeraBd.ttf", "VeraIt": "VeraIt.ttf"}

MARGIN = 18 * mm
FRAME_WIDTH = A4[0] - 2 * MARGIN
ROOM_BELOW = {0: 130.0, 1: 90.0, 2: 150.0}
"""Points a heading of each outline level needs below it, else it starts the next page."""
MAX_HEADING_CHARS = 300  # a heading must fit on one page: it never splits across two

INK = colors.HexColor("#1d2327")
MUTED = colors.HexColor("#5c666d")
RULE = colors.HexColor("#d5dadd")
PANEL = colors.HexColor("#f5f7f8")
LINK = "#1a5fb4"
LEVEL_COLOURS = {"critical": "#8b1a1a", "high": "#c0392b", "medium": "#b9770e", "low": "#2e6f9e"}
"""Severity and risk-band colours, the same as the HTML report's."""


def shorten(text: str, limit: int = MAX_HEADING_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Heading(Paragraph):
    """A heading that is also a link target and an entry in the PDF outline."""

    def __init__(self, markup: str, style: ParagraphStyle, key: str, title: str, level: int):
        super().__init__(f'<a name="{key}"/>{markup}', style)
        self.outline = (key, title, level)

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        return []  # a heading moves to the next page whole


class Document(BaseDocTemplate):
    """A4 pages with a footer; headings become outline entries as they are laid out."""

    def __init__(
        self,
        buffer: io.BytesIO,
        *,
        title: str,
        footer: str,
        total_pages: int | None,
        font: ReportFont,
    ):
        super().__init__(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN,
            title=title,
            author="oresight",
            subject="Supply-chain due-diligence report",
            creator="oresight",
        )
        self._footer_text = footer
        self._total_pages = total_pages
        self._font = font.regular
        frame = Frame(
            MARGIN,
            MARGIN,
            FRAME_WIDTH,
            A4[1] - 2 * MARGIN,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="body",
        )
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._footer)])

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, Heading):
            key, title, level = flowable.outline
            self.canv.addOutlineEntry(title, key, level=level, closed=level >= 1)

    def _footer(self, canvas: Canvas, document: BaseDocTemplate) -> None:
        number = f"Page {document.page}"
        if self._total_pages is not None:
            number += f" of {self._total_pages}"
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, 12 * mm, A4[0] - MARGIN, 12 * mm)
        font = self._font
        canvas.setFont(font, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(A4[0] - MARGIN, 8 * mm, number)
        room = FRAME_WIDTH - pdfmetrics.stringWidth(number, font, 7.5) - 6 * mm
        footer = shorten(self._footer_text, 200)
        while footer and pdfmetrics.stringWidth(footer, font, 7.5) > room:
            footer = footer[:-2] + "…"
        canvas.drawString(MARGIN, 8 * mm, footer)
        canvas.restoreState()


@dataclass(frozen=True)
class ReportFont:
    """The font family a report is set in: the reportlab names of its regular, bold and italic
    faces (registered), and the characters all three can draw."""

    label: str
    regular: str
    bold: str
    italic: str
    coverage: frozenset[int]


@lru_cache(maxsize=1)
def bundled_font() -> ReportFont:
    """Bitstream Vera, bundled with reportlab: Latin-1 and the usual signs, the same everywhere."""
    faces = [_face(name, file) for name, file in FONT_FILES.items()]
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold="VeraBd", italic="VeraIt")
    return ReportFont("Bitstream Vera", FONT, "VeraBd", "VeraIt", _drawable(faces))


BOLD_SUFFIXES = ("-Bold", "Bd", "bd", "_Bold", "-bold")
ITALIC_SUFFIXES = ("-Oblique", "-Italic", "It", "i", "_Italic", "-italic")
"""How font families name their bold and italic files beside the regular one (DejaVuSans-Bold,
VeraBd, NotoSans-Italic, arialbd...): tried in turn on the regular file's stem, without a
trailing ``-Regular``."""


def load_font(regular: Path, *, bold: Path | None = None, italic: Path | None = None) -> ReportFont:
    """A TrueType family to set a report in, from its regular face's file: the bold and italic
    faces are the files given, else the family's files beside it, else the regular face.

    Raises :class:`InvalidInput` naming the file that is missing or is no TrueType font
    reportlab can embed (OpenType CFF and collections are not)."""
    bold = bold or _sibling(regular, BOLD_SUFFIXES)
    italic = italic or _sibling(regular, ITALIC_SUFFIXES)
    return _load_family(regular.resolve(), bold.resolve(), italic.resolve())


@lru_cache(maxsize=8)
def _load_family(regular: Path, bold: Path, italic: Path) -> ReportFont:
    names = [_register_file(path) for path in (regular, bold, italic)]
    faces = [face for face, _ in names]
    family = names[0][1]
    pdfmetrics.registerFontFamily(family, normal=family, bold=names[1][1], italic=names[2][1])
    return ReportFont(str(regular), family, names[1][1], names[2][1], _drawable(faces))


def _sibling(regular: Path, suffixes: tuple[str, ...]) -> Path:
    stem = regular.stem.removesuffix("-Regular").removesuffix("-Book")
    for suffix in suffixes:
        for extension in (regular.suffix, regular.suffix.lower(), regular.suffix.upper()):
            candidate = regular.with_name(stem + suffix + extension)
            if candidate.is_file():
                return candidate
    return regular


def _register_file(path: Path) -> tuple[TTFont, str]:
    """Register one font file under a name made from its content; the face and the name."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot read the font file: {error.strerror}", file=str(path)) from None
    name = "oresight-" + hashlib.sha256(data).hexdigest()[:16]
    try:
        face = _face(name, str(path))
    except (TTFError, ValueError, KeyError, IndexError) as error:
        raise InvalidInput(
            f"not a TrueType font the PDF report can embed ({error})", file=str(path)
        ) from None
    return face, name


def _face(name: str, file: str) -> TTFont:
    """The registered font ``name`` read from ``file`` (registered now if it was not)."""
    if name in pdfmetrics.getRegisteredFontNames():
        registered = pdfmetrics.getFont(name)
        assert isinstance(registered, TTFont)
        return registered
    font = TTFont(name, file)
    pdfmetrics.registerFont(font)
    return font


def _drawable(faces: list[TTFont]) -> frozenset[int]:
    covered = set.intersection(*(set(face.face.charToGlyph) for face in faces))
    # Control, format and private-use characters are never drawn, whatever the font maps.
    return frozenset(cp for cp in covered if unicodedata.category(chr(cp))[0] != "C")


class Text:
    """Turns data into paragraph markup the report font can draw, noting any replacement."""

    def __init__(self, font: ReportFont) -> None:
        self.coverage = font.coverage
        self.replaced = False

    def __call__(self, value: object) -> str:
        return escape(self.printable(str(value)))

    def printable(self, text: str) -> str:
        """``text`` with every character the font lacks replaced: by the letter without its
        accent where there is one, else by ``[U+XXXX]``."""
        if all(ord(ch) in self.coverage for ch in text):
            return text
        out: list[str] = []
        for ch in text:
            if ord(ch) in self.coverage:
                out.append(ch)
            elif ch.isspace():
                out.append(" ")
            else:
                self.replaced = True
                base = "".join(
                    c
                    for c in unicodedata.normalize("NFKD", ch)
                    if ord(c) in self.coverage and not unicodedata.combining(c)
                )
                out.append(base or f"[U+{ord(ch):04X}]")
        return "".join(out)


def make_style(name: str, size: float, font: str, **extra: Any) -> ParagraphStyle:
    extra.setdefault("leading", size * 1.3)
    extra.setdefault("textColor", INK)
    # reportlab would otherwise squeeze spaces by up to 5 % and let a line run past its margin.
    extra.setdefault("spaceShrinkage", 0)
    return ParagraphStyle(name, fontSize=size, fontName=font, **extra)


class Styles:
    """The report's paragraph styles, in one font family."""

    def __init__(self, font: ReportFont) -> None:
        regular, bold = font.regular, font.bold
        self.body = make_style("body", 9, regular, spaceAfter=4)
        self.muted_body = make_style("muted", 8.5, regular, textColor=MUTED, spaceAfter=4)
        self.cell = make_style("cell", 7.5, regular)
        self.cell_num = make_style("cell-num", 7.5, regular, alignment=2)
        self.head_cell = make_style("head-cell", 7.5, bold)
        self.h1 = make_style("h1", 18, bold, spaceAfter=4)
        self.h2 = make_style("h2", 13.5, bold, spaceBefore=12, spaceAfter=6)
        self.h3 = make_style("h3", 11, bold, spaceBefore=8, spaceAfter=4)
        self.h4 = make_style("h4", 9.5, bold, spaceBefore=14, spaceAfter=3)
        self.big = make_style("big", 14, bold, leading=17)


Cell = str | list[Flowable]
"""A table cell: paragraph markup, or flowables stacked in the cell."""
