"""The PDF report's page layout: the bundled font and what it can draw, styles, colours, the A4
page template with its footer, and headings that are link targets and outline entries."""

from __future__ import annotations

import io
import unicodedata
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph

FONT = "Vera"
"""The report font, Bitstream Vera, bundled with reportlab (``reportlab/fonts``)."""
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

    def __init__(self, buffer: io.BytesIO, *, title: str, footer: str, total_pages: int | None):
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
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(A4[0] - MARGIN, 8 * mm, number)
        room = FRAME_WIDTH - pdfmetrics.stringWidth(number, FONT, 7.5) - 6 * mm
        footer = shorten(self._footer_text, 200)
        while footer and pdfmetrics.stringWidth(footer, FONT, 7.5) > room:
            footer = footer[:-2] + "…"
        canvas.drawString(MARGIN, 8 * mm, footer)
        canvas.restoreState()


@lru_cache(maxsize=1)
def font_coverage() -> frozenset[int]:
    """Register the bundled fonts once; the code points every one of them can draw."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    covered: set[int] | None = None
    for name, file in FONT_FILES.items():
        font = TTFont(name, file)
        if name not in registered:
            pdfmetrics.registerFont(font)
        points = set(font.face.charToGlyph)
        covered = points if covered is None else covered & points
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold="VeraBd", italic="VeraIt")
    # Control, format and private-use characters are never drawn, whatever the font maps.
    return frozenset(cp for cp in covered or () if unicodedata.category(chr(cp))[0] != "C")


class Text:
    """Turns data into paragraph markup the report font can draw, noting any replacement."""

    def __init__(self) -> None:
        self.coverage = font_coverage()
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


def make_style(name: str, size: float, **extra: Any) -> ParagraphStyle:
    extra.setdefault("leading", size * 1.3)
    extra.setdefault("textColor", INK)
    extra.setdefault("fontName", FONT)
    # reportlab would otherwise squeeze spaces by up to 5 % and let a line run past its margin.
    extra.setdefault("spaceShrinkage", 0)
    return ParagraphStyle(name, fontSize=size, **extra)


BODY = make_style("body", 9, spaceAfter=4)
MUTED_BODY = make_style("muted", 8.5, textColor=MUTED, spaceAfter=4)
CELL = make_style("cell", 7.5)
CELL_NUM = make_style("cell-num", 7.5, alignment=2)
HEAD_CELL = make_style("head-cell", 7.5, fontName="VeraBd")
H1 = make_style("h1", 18, spaceAfter=4, fontName="VeraBd")
H2 = make_style("h2", 13.5, spaceBefore=12, spaceAfter=6, fontName="VeraBd")
H3 = make_style("h3", 11, spaceBefore=8, spaceAfter=4, fontName="VeraBd")
H4 = make_style("h4", 9.5, spaceBefore=14, spaceAfter=3, fontName="VeraBd")
BIG = make_style("big", 14, fontName="VeraBd", leading=17)

Cell = str | list[Flowable]
"""A table cell: paragraph markup, or flowables stacked in the cell."""
