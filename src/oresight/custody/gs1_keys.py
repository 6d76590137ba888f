"""GS1 keys in their canonical GS1 Digital Link form, as the CBV 2.0 event hash needs them.

EPCIS lets the same object be named three ways: an EPC URI (``urn:epc:id:sgtin:...``), an EPC
class or pattern URI (``urn:epc:class:lgtin:...``, ``urn:epc:idpat:sgtin:...``) or a GS1 Digital
Link URI on any domain. CBV 2.0 section 8.9 (event hash ID, rules 17 and 18) fixes one spelling:
the canonical Digital Link URI on ``https://id.gs1.org``, with no query string, and with only the
finest level of identification (a serial wins over a lot, a consumer product variant is dropped).

The conversion from EPC URIs follows the GS1 EPC Tag Data Standard (TDS 2.x, section 6) and the
Digital Link URI syntax (release 1.2, section 4.11). Anything that is not a recognisable GS1 key is
returned as ``None`` so the caller keeps the value unchanged.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

CANONICAL_DL_ORIGIN = "https://id.gs1.org"

# One EPC URI component that carries free text (serials, asset references): characters TDS allows
# raw, or a %-escape.
_TEXT = r"(?:%[0-9A-Fa-f]{2}|[!'()*+,\-.0-9:;=A-Z_a-z])+"

# Characters that EPC URIs may carry raw but that are reserved in a Digital Link path segment; the
# reference test vectors escape exactly these and keep existing %-escapes as they are.
_DL_ESCAPES = {"!": "%21", "(": "%28", ")": "%29", "*": "%2A", "+": "%2B", ",": "%2C", ":": "%3A"}

# Digital Link path segments that name a primary key: numeric application identifier or the short
# name of Digital Link 1.0, mapped to the AI.
_PRIMARY_KEYS = {
    "00": "00", "sscc": "00", "01": "01", "gtin": "01", "253": "253", "gdti": "253",
    "255": "255", "gcn": "255", "401": "401", "ginc": "401", "402": "402", "gsin": "402",
    "414": "414", "gln": "414", "417": "417", "party": "417", "8003": "8003", "grai": "8003",
    "8004": "8004", "giai": "8004", "8006": "8006", "itip": "8006", "8010": "8010", "cpid": "8010",
    "8017": "8017", "gsrnp": "8017", "8018": "8018", "gsrn": "8018",
}  # fmt: skip
_QUALIFIERS = {
    "22": "22", "cpv": "22", "10": "10", "lot": "10", "21": "21", "ser": "21", "235": "235",
    "254": "254", "glnx": "254", "8011": "8011", "cpsn": "8011",
}  # fmt: skip

# Which qualifier to keep for each primary key, finest first (rule 18 III).
_FINEST_QUALIFIER = {"01": ("21", "235", "10"), "8006": ("21", "10"), "414": ("254",),
                     "8010": ("8011",)}  # fmt: skip

# How a primary key value must look before we dare to rewrite a URI; a wrong guess would change the
# meaning of a URI that only happens to contain "/01/" in its path.
_KEY_VALUE = {
    "00": r"\d{18}", "01": r"\d{8}|\d{12,14}", "253": r"\d{13}.{0,17}", "255": r"\d{13}\d{0,12}",
    "401": r".{1,30}", "402": r"\d{17}", "414": r"\d{13}", "417": r"\d{13}",
    "8003": r"\d{14}.{0,16}", "8004": r".{1,30}", "8006": r"\d{18}", "8010": r".{1,30}",
    "8017": r"\d{18}", "8018": r"\d{18}",
}  # fmt: skip


def check_digit(digits: str) -> str:
    """Return the GS1 mod-10 check digit for ``digits`` (the key without its check digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def _escape(component: str) -> str:
    return "".join(_DL_ESCAPES.get(char, char) for char in component)


def _gtin(company_prefix: str, item_reference: str) -> str:
    # The first digit of the EPC item reference is the GTIN indicator digit.
    body = item_reference[:1] + company_prefix + item_reference[1:]
    return body + check_digit(body)


def _with_check(body: str) -> str:
    return body + check_digit(body)


def _split(body: str, parts: int) -> list[str] | None:
    # Only the last component may hold dots (serials and asset references may).
    fields = body.split(".", parts - 1)
    if len(fields) != parts or not re.fullmatch(r"\d{6,12}", fields[0]):
        return None
    return fields


def _numeric_reference(fields: list[str], total: int) -> bool:
    # Company prefix and the numeric reference after it have a fixed number of digits together;
    # with a 12-digit company prefix the reference is empty.
    reference = fields[1]
    return (reference == "" or reference.isdigit()) and len(fields[0]) + len(reference) == total


def _epc_id(scheme: str, body: str) -> str | None:
    """Convert the part after ``urn:epc:id:`` (``scheme`` and ``body``) to a Digital Link path."""
    if scheme in ("sgtin", "upui"):
        fields = _split(body, 3)
        if not fields or not re.fullmatch(r"\d+", fields[1]) or len("".join(fields[:2])) != 13:
            return None
        if not re.fullmatch(_TEXT, fields[2]):
            return None
        qualifier = "21" if scheme == "sgtin" else "235"
        return f"01/{_gtin(fields[0], fields[1])}/{qualifier}/{_escape(fields[2])}"
    if scheme == "itip":
        fields = _split(body, 5)
        if not fields or len("".join(fields[:2])) != 13 or not re.fullmatch(_TEXT, fields[4]):
            return None
        if not all(re.fullmatch(r"\d{2}", f) for f in fields[2:4]) or not fields[1].isdigit():
            return None
        gtin = _gtin(fields[0], fields[1])
        return f"8006/{gtin}{fields[2]}{fields[3]}/21/{_escape(fields[4])}"
    if scheme in ("sscc", "gsrn", "gsrnp", "gsin"):
        fields = _split(body, 2)
        total = {"sscc": 17, "gsrn": 17, "gsrnp": 17, "gsin": 16}[scheme]
        if not fields or not fields[1].isdigit() or len("".join(fields)) != total:
            return None
        ai = {"sscc": "00", "gsrn": "8018", "gsrnp": "8017", "gsin": "402"}[scheme]
        if scheme == "sscc":  # the extension digit leads the SSCC
            return f"00/{_with_check(fields[1][:1] + fields[0] + fields[1][1:])}"
        return f"{ai}/{_with_check(fields[0] + fields[1])}"
    if scheme == "pgln":
        fields = _split(body, 2)
        if not fields or not _numeric_reference(fields, 12):
            return None
        return f"417/{_with_check(fields[0] + fields[1])}"
    if scheme in ("sgln", "grai", "gdti", "sgcn", "cpi"):
        fields = _split(body, 3)
        if not fields or not re.fullmatch(_TEXT, fields[2]):
            return None
        if scheme == "cpi":
            if not re.fullmatch(_TEXT, fields[1]) or not fields[2].isdigit():
                return None
            return f"8010/{_escape(fields[0] + fields[1])}/8011/{fields[2]}"
        if not _numeric_reference(fields, 12):
            return None
        key = _with_check(fields[0] + fields[1])
        if scheme == "sgln":
            extension = "" if fields[2] == "0" else f"/254/{_escape(fields[2])}"
            return f"414/{key}{extension}"
        if scheme == "grai":
            return f"8003/0{key}{_escape(fields[2])}"
        if scheme == "sgcn" and not fields[2].isdigit():
            return None
        return f"{'253' if scheme == 'gdti' else '255'}/{key}{_escape(fields[2])}"
    if scheme in ("giai", "ginc"):
        fields = _split(body, 2)
        if not fields or not re.fullmatch(_TEXT, fields[1]):
            return None
        return f"{'8004' if scheme == 'giai' else '401'}/{fields[0]}{_escape(fields[1])}"
    return None


def _epc_pattern(scheme: str, body: str) -> str | None:
    """Convert an EPC pattern URI whose last component is ``*`` to the Digital Link of its class."""
    if not body.endswith(".*"):
        return None
    fields = body[:-2].split(".")
    if not re.fullmatch(r"\d{6,12}", fields[0]):
        return None
    if scheme in ("sgtin", "upui") and len(fields) == 2:
        if not fields[1].isdigit() or len(fields[0] + fields[1]) != 13:
            return None
        return f"01/{_gtin(fields[0], fields[1])}"
    if scheme == "itip" and len(fields) == 4 and all(f.isdigit() for f in fields[1:]):
        return f"8006/{_gtin(fields[0], fields[1])}{fields[2]}{fields[3]}"
    if scheme == "cpi" and len(fields) == 2 and re.fullmatch(_TEXT, fields[1]):
        return f"8010/{_escape(fields[0] + fields[1])}"
    if scheme in ("grai", "gdti", "sgcn") and len(fields) == 2:
        if not _numeric_reference(fields, 12):
            return None
        if scheme == "grai":
            return f"8003/0{_with_check(fields[0] + fields[1])}"
        return f"{'253' if scheme == 'gdti' else '255'}/{_with_check(fields[0] + fields[1])}"
    return None


def _epc_uri_to_path(uri: str) -> str | None:
    match = re.fullmatch(r"urn:epc:(id|idpat|class):([a-z]+):(.+)", uri)
    if match is None:
        return None
    kind, scheme, body = match.groups()
    if kind == "id":
        return _epc_id(scheme, body)
    if kind == "idpat":
        return _epc_pattern(scheme, body)
    if scheme != "lgtin":
        return None
    fields = _split(body, 3)
    if not fields or not fields[1].isdigit() or len(fields[0] + fields[1]) != 13:
        return None
    if not re.fullmatch(_TEXT, fields[2]):
        return None
    return f"01/{_gtin(fields[0], fields[1])}/10/{_escape(fields[2])}"


def _digital_link_to_path(uri: str) -> str | None:
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    for index, segment in enumerate(segments[:-1]):
        ai = _PRIMARY_KEYS.get(segment)
        value = segments[index + 1]
        if ai is None or not re.fullmatch(_KEY_VALUE[ai], value):
            continue
        rest = segments[index + 2 :]
        if len(rest) % 2:
            return None
        qualifiers: dict[str, str] = {}
        for name, qualifier_value in zip(rest[::2], rest[1::2], strict=True):
            code = _QUALIFIERS.get(name)
            if code is None:
                return None
            qualifiers[code] = qualifier_value
        if ai == "01":  # GTIN-8, -12 and -13 are written as GTIN-14 in canonical form
            value = value.zfill(14)
        path = f"{ai}/{value}"
        for code in _FINEST_QUALIFIER.get(ai, ()):
            if code in qualifiers:
                return f"{path}/{code}/{qualifiers[code]}"
        return path
    return None


def canonical_gs1_uri(value: str) -> str | None:
    """Return the constrained canonical GS1 Digital Link URI for a GS1 key, or ``None``.

    ``value`` may be an EPC URI, EPC class URI, EPC pattern URI or GS1 Digital Link URI on any
    domain. ``None`` means "not a GS1 key this function recognises"; callers keep the value as is.
    """
    if value.startswith("urn:epc:"):
        path = _epc_uri_to_path(value)
    elif value.startswith(("http://", "https://")):
        path = _digital_link_to_path(value)
    else:
        path = None
    return None if path is None else f"{CANONICAL_DL_ORIGIN}/{path}"
