"""Safe reading of list XML into record elements, every error located by line and column.

Lists are downloaded from the web and read unattended, so the parser trusts nothing: a document
type declaration is refused outright (no internal entities, hence no "billion laughs"; no external
entities or DTDs, hence nothing fetched or read from disk), as is any entity declaration that
might reach expat another way. Element and attribute names are kept without their namespace; a
reader checks the root's namespace where the format has one.

Records (``INDIVIDUAL``, ``sanctionEntity``) are handed out detached from the tree, each with its
line and its name for errors (``INDIVIDUAL 12``, counting each tag from 1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import NoReturn
from xml.etree.ElementTree import Element
from xml.parsers import expat

from oresight.core.errors import InvalidInput

__all__ = ["XmlDocument", "XmlRecord", "parse_xml_records", "text_of"]

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SEPARATOR = " "  # expat's namespace separator: a character that no XML name holds


@dataclass(frozen=True, slots=True)
class XmlRecord:
    """One record element, detached from the document, with where it was read."""

    label: str
    line: int
    element: Element


@dataclass(frozen=True, slots=True)
class XmlDocument:
    """The root element (its attributes and the non-record content) and the records, in order."""

    root: Element
    namespace: str | None
    records: tuple[XmlRecord, ...]


class _Refused(Exception):
    """Raised inside an expat handler to stop the parse; turned into InvalidInput."""


def parse_xml_records(
    data: bytes, *, file: str | None, record_tags: Collection[str]
) -> XmlDocument:
    """Parse XML bytes, detaching the elements named in ``record_tags`` as records.

    Malformed or truncated XML, a DOCTYPE, or bytes that are no XML text raise
    :class:`InvalidInput` naming the file, the record being read, and the line and column.
    """
    if b"\x00" in data and not data.startswith(_UTF16_BOMS):
        message = "the file holds NUL bytes: not XML text (UTF-16 without a byte-order mark?)"
        raise InvalidInput(message, file=file)
    builder = _Builder(frozenset(record_tags))
    parser = expat.ParserCreate(namespace_separator=_SEPARATOR)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external
    parser.StartElementHandler = lambda name, attributes: builder.start(
        name, attributes, parser.CurrentLineNumber
    )
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        where = f"line {exc.lineno}, column {exc.offset + 1}"
        message = f"malformed XML at {where}: {expat.ErrorString(exc.code)}"
        raise InvalidInput(message, file=file, record=builder.open_record) from None
    except _Refused as exc:
        where = f"line {parser.CurrentLineNumber}, column {parser.CurrentColumnNumber + 1}"
        raise InvalidInput(f"{exc} (at {where})", file=file, record=builder.open_record) from None
    assert builder.root is not None  # expat refuses a document without a root element
    return XmlDocument(
        root=builder.root, namespace=builder.namespace, records=tuple(builder.records)
    )


def text_of(element: Element | None, tag: str | None = None) -> str:
    """The text of an element (or of its first child ``tag``), white space collapsed.

    Lists wrap long text over lines and pad values with spaces; ``""`` when absent.
    """
    if element is not None and tag is not None:
        element = element.find(tag)
    if element is None or element.text is None:
        return ""
    return " ".join(element.text.split())


class _Builder:
    """Builds elements from expat events; record elements are detached as they close."""

    def __init__(self, record_tags: frozenset[str]) -> None:
        self.record_tags = record_tags
        self.root: Element | None = None
        self.namespace: str | None = None
        self.records: list[XmlRecord] = []
        self.open_record: str | None = None
        self._stack: list[tuple[Element, list[str]]] = []
        self._record_depth: int | None = None
        self._record_line = 0
        self._counts: Counter[str] = Counter()

    def start(self, name: str, attributes: dict[str, str], line: int) -> None:
        namespace, tag = _split(name)
        element = Element(tag, {_split(key)[1]: value for key, value in attributes.items()})
        if self.root is None:
            self.root, self.namespace = element, namespace
        elif self._record_depth is None and tag in self.record_tags:
            self._counts[tag] += 1
            self.open_record = f"{tag} {self._counts[tag]}"
            self._record_depth, self._record_line = len(self._stack), line
        else:
            self._stack[-1][0].append(element)
        self._stack.append((element, []))

    def end(self, name: str) -> None:
        element, chunks = self._stack.pop()
        if chunks:
            element.text = "".join(chunks)
        if self._record_depth == len(self._stack):
            assert self.open_record is not None
            self.records.append(XmlRecord(self.open_record, self._record_line, element))
            self.open_record, self._record_depth = None, None

    def data(self, text: str) -> None:
        self._stack[-1][1].append(text)


def _split(name: str) -> tuple[str | None, str]:
    namespace, _, local = name.rpartition(_SEPARATOR)
    return namespace or None, local


def _refuse_doctype(*_: object) -> NoReturn:
    raise _Refused("a document type declaration (DOCTYPE) is refused in a sanctions list")


def _refuse_entity(*_: object) -> NoReturn:
    raise _Refused("an entity declaration is refused in a sanctions list")


def _refuse_external(*_: object) -> NoReturn:
    raise _Refused("an external entity reference is refused in a sanctions list")
