"""The Remarks column of OFAC's SDN CSV, read into FtM property values.

OFAC packs everything that has no column of its own into Remarks, as ``; ``-separated clauses
that start with a label: ``DOB 13 Jan 1967; alt. DOB 13 Jan 1970; POB Dushanbe, Tajikistan;
a.k.a. 'BONT'; Passport D-001829-00 (Liberia) issued 10 Jul 1998; Linked To: MAHAN AIR.`` The
labels are stable but the grammar is loose, so this reads the common labels only and leaves
every other clause (and the whole text, which the reader keeps in ``notes``) as written:

- ``a.k.a.``, ``f.k.a.``, ``n.k.a.`` names in quotes are OFAC's *weak* aliases (short or generic
  names that OFAC itself says are not enough to identify the party; its strong aliases are in
  ``alt.csv``), so they become ``weakAlias`` whatever their kind;
- dates (``DOB``, ``Organization Established Date``, ``Aircraft Manufacture Date``) are ``01 Jan
  1960``, ``Jan 1960``, ``1960`` or ``circa 1960``, read to ISO prefixes; a range ``1960 to 1962``
  gives every year in it (see :func:`~oresight.screening.lists.proxies.year_span`);
- identifiers drop their trailing ``(Country)`` and ``issued ...``/``expires ...`` parts;
- ``Linked To:`` names and aircraft operators are names of other parties, not properties.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from followthemoney import registry

from oresight.screening.lists.proxies import collapse, year_span

__all__ = ["Remarks", "ofac_dates", "parse_remarks"]

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_DATE = re.compile(r"(?:(\d{1,2}) )?(?:([A-Za-z]{3})[a-z]* )?(\d{4})")
_RANGE = re.compile(r"(.+?) to (.+)")
_ALIAS_START = re.compile(r"[afn]\.k\.a\.\s+'")
_IMO = re.compile(
    r"(?:Vessel Registration Identification|Identification Number|Company Number)"
    r" IMO (\d{7})"
)
_IDENTIFIER = re.compile(r"(.+?)(?:\s+\([^)]*\))?(?:,?\s+(?:issued|expires|Issue Date)\b.*)?")


@dataclass(frozen=True, slots=True)
class Remarks:
    """What the remarks say: (FtM property, value) pairs, and names of linked parties."""

    values: tuple[tuple[str, str], ...]
    linked_names: tuple[str, ...]


def parse_remarks(text: str) -> Remarks:
    """Read the common labelled clauses of an SDN remark; other clauses are left to ``notes``."""
    values: list[tuple[str, str]] = []
    linked: list[str] = []
    for clause in _clauses(text):
        imo = _IMO.match(clause)
        if imo is not None:
            values.append(("imoNumber", f"IMO{imo[1]}"))
            continue
        label = _LABEL.match(clause)
        if label is not None:
            _READER_OF[label.group()](clause[label.end() :].strip(), values, linked)
    return Remarks(values=tuple(values), linked_names=tuple(linked))


def ofac_dates(text: str) -> list[str]:
    """ISO date prefixes of an OFAC date, ``circa`` date, or date range; ``[]`` if unreadable."""
    value = text.strip().rstrip(".")
    if value.lower().startswith("circa "):
        value = value[len("circa ") :]
    span = _RANGE.fullmatch(value)
    if span is not None:
        first, last = _one_date(span[1]), _one_date(span[2])
        if first is None or last is None:
            return []
        return year_span(int(first[:4]), int(last[:4]))
    one = _one_date(value)
    return [one] if one is not None else []


def _one_date(text: str) -> str | None:
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    day, month_name, year = match.groups()
    if month_name is None:
        return None if day is not None else year
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    if day is None:
        return f"{year}-{month:02d}"
    try:
        return date(int(year), month, int(day)).isoformat()
    except ValueError:  # 30 Feb
        return None


def _clauses(text: str) -> list[str]:
    """The remark split into clauses, ``alt.`` prefixes and the remark's full stop removed.

    Only the last clause loses its full stop (``Linked To: X CO., LTD.`` keeps its dot within the
    remark). A quoted alias may itself hold ``; `` (``a.k.a. 'X; Y'``): its pieces are joined.
    """
    clauses: list[str] = []
    pending: str | None = None
    for piece in re.split(r";\s+", collapse(text).removesuffix(".")):
        if pending is not None:
            pending = f"{pending}; {piece}"
            if pending.rstrip(".").endswith("'"):
                clauses.append(pending)
                pending = None
            continue
        clause = piece.removeprefix("alt. ").strip()
        if _ALIAS_START.match(clause) and not clause.rstrip(".").endswith("'"):
            pending = clause
            continue
        clauses.append(clause)
    if pending is not None:
        clauses.append(pending)
    return [clause.strip() for clause in clauses if clause.strip(" .")]


_Reader = Callable[[str, list[tuple[str, str]], list[str]], None]


def _values(prop: str, read: Callable[[str], list[str]]) -> _Reader:
    def reader(rest: str, values: list[tuple[str, str]], linked: list[str]) -> None:
        values.extend((prop, value) for value in read(rest) if value)

    return reader


def _alias(rest: str, values: list[tuple[str, str]], linked: list[str]) -> None:
    name = rest.strip("'\"").strip()
    if name:
        values.append(("weakAlias", name))


def _place(rest: str, values: list[tuple[str, str]], linked: list[str]) -> None:
    values.append(("birthPlace", rest))
    # The country ends the place, and may itself hold a comma: "Congo, Democratic Republic of the".
    parts = [part.strip() for part in rest.split(",")]
    for size in (1, 2):
        country = registry.country.clean(", ".join(parts[-size:])) if len(parts) >= size else None
        if country is not None:
            values.append(("birthCountry", country))
            return


def _linked(rest: str, values: list[tuple[str, str]], linked: list[str]) -> None:
    name = rest.removeprefix(":").strip()
    if name:
        linked.append(name)


def _identifier(rest: str) -> list[str]:
    match = _IDENTIFIER.fullmatch(rest)
    return [match[1].strip()] if match is not None else [rest]


def _gender(rest: str) -> list[str]:
    return [rest.lower()] if rest.lower() in {"male", "female"} else []


def _as_is(rest: str) -> list[str]:
    return [rest]


# Labels are matched at the start of a clause, in this order; IMO numbers are read first, since
# OFAC files them under three labels that otherwise hold other identifiers.
_READERS: tuple[tuple[str, _Reader], ...] = (
    ("a.k.a.", _alias),
    ("f.k.a.", _alias),
    ("n.k.a.", _alias),
    ("DOB ", _values("birthDate", ofac_dates)),
    ("POB ", _place),
    ("nationality ", _values("nationality", _as_is)),
    ("citizen ", _values("citizenship", _as_is)),
    ("Gender ", _values("gender", _gender)),
    ("Passport ", _values("passportNumber", _identifier)),
    ("Diplomatic Passport ", _values("passportNumber", _identifier)),
    ("National ID No. ", _values("idNumber", _identifier)),
    ("Cedula No. ", _values("idNumber", _identifier)),
    ("D.N.I. ", _values("idNumber", _identifier)),
    ("Personal ID Card ", _values("idNumber", _identifier)),
    ("Identification Number ", _values("idNumber", _identifier)),
    ("Registration ID ", _values("registrationNumber", _identifier)),
    ("Registration Number ", _values("registrationNumber", _identifier)),
    ("Business Registration Number ", _values("registrationNumber", _identifier)),
    ("Commercial Registry Number ", _values("registrationNumber", _identifier)),
    ("Company Number ", _values("registrationNumber", _identifier)),
    ("Tax ID No. ", _values("taxNumber", _identifier)),
    ("V.A.T. Number ", _values("vatCode", _identifier)),
    ("Legal Entity Number ", _values("leiCode", _identifier)),
    ("SWIFT/BIC ", _values("swiftBic", _identifier)),
    ("Website ", _values("website", _as_is)),
    ("Email Address ", _values("email", _as_is)),
    ("Phone Number ", _values("phone", _as_is)),
    ("Telephone ", _values("phone", lambda rest: [rest.removeprefix("No.").strip()])),
    ("Organization Established Date ", _values("incorporationDate", ofac_dates)),
    ("MMSI ", _values("mmsi", _identifier)),
    ("Vessel Year of Build ", _values("buildDate", ofac_dates)),
    ("Aircraft Manufacture Date ", _values("buildDate", ofac_dates)),
    ("Aircraft Model ", _values("model", _as_is)),
    ("Aircraft Manufacturer's Serial Number (MSN) ", _values("serialNumber", _as_is)),
    ("Aircraft Tail Number ", _values("registrationNumber", _as_is)),
    ("Aircraft Operator ", _linked),
    ("Linked To", _linked),
)
_READER_OF = dict(_READERS)
# One pattern for all labels, tried in the order above (alternatives match first to last).
_LABEL = re.compile("|".join(re.escape(label) for label, _ in _READERS))
