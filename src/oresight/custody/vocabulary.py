"""GS1 Core Business Vocabulary (CBV 2.0) terms and the EPCIS 2.0 JSON-LD context.

A CBV term travels in three spellings:

* the bare short name that EPCIS 2.0 JSON uses (``shipping``), which the standard JSON-LD context
  expands;
* the CBV 2.0 web URI (``https://ref.gs1.org/cbv/BizStep-shipping``);
* the CBV 1.x URN that EPCIS 1.x XML used (``urn:epcglobal:cbv:bizstep:shipping``).

The reader keeps whatever spelling a document used; code that compares terms calls the
``normalise_*`` functions, which return the short name (or ``None`` for a value that is not a CBV
term, such as a company's own URI). The writer turns the spellings the EPCIS JSON schema refuses
(the URN and the pre-release ``ns.gs1.org`` URI) into short names.

Term lists follow the CBV 2.0 JSON-LD context files published with EPCIS 2.0.

The module also holds the rest of the vocabulary the EPCIS reader and writer share: which fields
each event type has, the prefixes the standard context declares, and oresight's ``ore:`` lot
master data terms.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from oresight.core.custody import ORE_NAMESPACE, EventType, LotMasterData
from oresight.core.errors import InvalidInput
from oresight.core.minerals import MaterialForm, parse_mineral

EPCIS_CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
"""The standard EPCIS 2.0 JSON-LD context that every document the writer produces declares."""

CBV_URI_BASE = "https://ref.gs1.org/cbv/"
"""Base of CBV 2.0 web URIs."""

# Other bases seen for CBV URIs: plain http, and the pre-release ns.gs1.org base.
_LEGACY_URI_BASES = ("http://ref.gs1.org/cbv/", "https://ns.gs1.org/cbv/", "http://ns.gs1.org/cbv/")
# The EPCIS 2.0 JSON schema refuses values in these spellings ("vocab-other-uri"), so the writer
# must give a CBV term in them as its short name.
_JSON_FORBIDDEN = ("urn:epcglobal:cbv:", "https://ns.gs1.org/cbv/", "http://ns.gs1.org/cbv/")

STANDARD_PREFIXES: Mapping[str, str] = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": CBV_URI_BASE,
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": "https://gs1.org/voc/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}
"""Prefixes the standard EPCIS 2.0 context already declares; documents need not repeat them."""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """One CBV vocabulary: its terms and the prefixes of its URI and URN spellings."""

    name: str
    uri_prefix: str
    """Prefix of the CBV 2.0 URI after :data:`CBV_URI_BASE`, such as ``BizStep-``."""
    urn_prefix: str
    """The CBV 1.x URN prefix, such as ``urn:epcglobal:cbv:bizstep:``."""
    terms: frozenset[str]

    def short_name(self, value: str) -> str | None:
        """The short name of ``value`` in any spelling, or ``None`` when it is not a term."""
        candidate = value
        if value.startswith(self.urn_prefix):
            candidate = value[len(self.urn_prefix) :]
        else:
            for base in (CBV_URI_BASE, *_LEGACY_URI_BASES):
                if value.startswith(base + self.uri_prefix):
                    candidate = value[len(base) + len(self.uri_prefix) :]
                    break
        return candidate if candidate in self.terms else None

    def uri(self, value: str) -> str:
        """The CBV 2.0 web URI of a term; ValueError when ``value`` is not one."""
        return CBV_URI_BASE + self.uri_prefix + self._require(value)

    def urn(self, value: str) -> str:
        """The CBV 1.x URN of a term; ValueError when ``value`` is not one."""
        return self.urn_prefix + self._require(value)

    def json_value(self, value: str) -> str:
        """``value`` in a spelling EPCIS 2.0 JSON accepts, changed only where it must be.

        A CBV term spelled as a URN or a pre-release URI becomes its short name; any other value
        (a short name, a CBV 2.0 URI, a company's own URI) is returned as it is.
        """
        short = self.short_name(value)
        return short if short is not None and value.startswith(_JSON_FORBIDDEN) else value

    def _require(self, value: str) -> str:
        short = self.short_name(value)
        if short is None:
            accepted = ", ".join(sorted(self.terms))
            raise ValueError(f"{value!r} is not a CBV {self.name}; expected one of {accepted}")
        return short


BIZ_STEPS = Vocabulary(
    "business step",
    "BizStep-",
    "urn:epcglobal:cbv:bizstep:",
    frozenset(
        {
            "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
            "creating_class_instance", "cycle_counting", "decommissioning", "departing",
            "destroying", "disassembling", "dispensing", "encoding", "entering_exiting",
            "holding", "inspecting", "installing", "killing", "loading", "other", "packing",
            "picking", "receiving", "removing", "repackaging", "repairing", "replacing",
            "reserving", "retail_selling", "sampling", "sensor_reporting", "shipping",
            "staging_outbound", "stock_taking", "stocking", "storing", "transporting",
            "unloading", "unpacking", "void_shipping",
        }
    ),
)  # fmt: skip

DISPOSITIONS = Vocabulary(
    "disposition",
    "Disp-",
    "urn:epcglobal:cbv:disp:",
    frozenset(
        {
            "active", "available", "completeness_inferred", "completeness_verified",
            "conformant", "container_closed", "container_open", "damaged", "destroyed",
            "dispensed", "disposed", "encoded", "expired", "in_progress", "in_transit",
            "inactive", "mismatch_class", "mismatch_instance", "mismatch_quantity",
            "needs_replacement", "no_pedigree_match", "non_conformant", "non_sellable_other",
            "partially_dispensed", "recalled", "reserved", "retail_sold", "returned",
            "sellable_accessible", "sellable_not_accessible", "stolen", "unavailable", "unknown",
        }
    ),
)  # fmt: skip

SOURCE_DEST_TYPES = Vocabulary(
    "source/destination type",
    "SDT-",
    "urn:epcglobal:cbv:sdt:",
    frozenset({"owning_party", "possessing_party", "location"}),
)

BIZ_TRANSACTION_TYPES = Vocabulary(
    "business transaction type",
    "BTT-",
    "urn:epcglobal:cbv:btt:",
    frozenset(
        {
            "bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv",
            "rma", "testprd", "testres", "upevt",
        }
    ),
)  # fmt: skip

ERROR_REASONS = Vocabulary(
    "error reason",
    "ER-",
    "urn:epcglobal:cbv:er:",
    frozenset({"did_not_occur", "incorrect_data"}),
)


def _normalise(vocabulary: Vocabulary, value: object) -> str | None:
    return vocabulary.short_name(value) if isinstance(value, str) else None


def normalise_biz_step(value: object) -> str | None:
    """The CBV short name of a business step in any spelling, else ``None``.

    ``None`` also answers a value that is not a string or a company-specific step URI, so that a
    caller can tell "a standard step" from "something else" in one comparison.
    """
    return _short_biz_step(value) if isinstance(value, str) else None


@lru_cache(maxsize=4096)
def _short_biz_step(value: str) -> str | None:
    # Rules ask this of every event; a record uses a handful of spellings.
    return BIZ_STEPS.short_name(value)


def normalise_disposition(value: object) -> str | None:
    """The CBV short name of a disposition in any spelling, else ``None``."""
    return _normalise(DISPOSITIONS, value)


def normalise_source_dest_type(value: object) -> str | None:
    """The CBV short name of a source/destination type in any spelling, else ``None``."""
    return _normalise(SOURCE_DEST_TYPES, value)


def normalise_biz_transaction_type(value: object) -> str | None:
    """The CBV short name of a business transaction type in any spelling, else ``None``."""
    return _normalise(BIZ_TRANSACTION_TYPES, value)


def normalise_error_reason(value: object) -> str | None:
    """The CBV short name of an error-declaration reason in any spelling, else ``None``."""
    return _normalise(ERROR_REASONS, value)


# EPCIS 2.0 event fields

DOCUMENT_TYPES = ("EPCISDocument", "EPCISQueryDocument")

COMMON_FIELDS = frozenset(
    {"@context", "type", "eventID", "eventTime", "eventTimeZoneOffset", "recordTime"}
    | {"certificationInfo", "errorDeclaration"}
)
_WHERE_WHAT_WHY = frozenset(
    {"bizStep", "disposition", "readPoint", "bizLocation", "bizTransactionList"}
    | {"sourceList", "destinationList", "sensorElementList"}
)
_CHILDREN = frozenset({"action", "parentID", "childEPCs", "childQuantityList"})

TYPE_FIELDS: dict[EventType, frozenset[str]] = {
    EventType.OBJECT: _WHERE_WHAT_WHY
    | {"action", "epcList", "quantityList", "persistentDisposition", "ilmd"},
    EventType.AGGREGATION: _WHERE_WHAT_WHY | _CHILDREN,
    EventType.ASSOCIATION: _WHERE_WHAT_WHY | _CHILDREN,
    EventType.TRANSACTION: _WHERE_WHAT_WHY | {"action", "parentID", "epcList", "quantityList"},
    EventType.TRANSFORMATION: _WHERE_WHAT_WHY
    | {"inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList"}
    | {"transformationID", "persistentDisposition", "ilmd"},
}
"""The standard fields of each event type, besides :data:`COMMON_FIELDS` (EPCIS 2.0 schema)."""

STANDARD_FIELDS = COMMON_FIELDS.union(*TYPE_FIELDS.values())


# The ore: extension

ORE_TERMS = ("mineral", "form", "gradePercent")
"""Terms of oresight's ``ore:`` extension in ``ilmd``."""


def parse_lot_master(
    ilmd: Mapping[str, Any], namespaces: Mapping[str, str]
) -> LotMasterData | None:
    """Read the ``ore:`` mineral extension from an ``ilmd`` object, or ``None`` when absent.

    Keys count as oresight's when their prefix maps to :data:`ORE_NAMESPACE`, when they are the
    full IRI, or when they use the undeclared prefix ``ore`` (a common slip). Raises
    :class:`InvalidInput` naming the ``ilmd`` key of a value that is not valid.
    """
    prefixes = [prefix for prefix, iri in namespaces.items() if iri == ORE_NAMESPACE]
    if "ore" not in namespaces:
        prefixes.append("ore")
    values: dict[str, tuple[str, Any]] = {}
    for term in ORE_TERMS:
        keys = [f"{p}:{term}" for p in prefixes] + [ORE_NAMESPACE + term]
        found = [(key, ilmd[key]) for key in keys if key in ilmd]
        if len({json.dumps(v, sort_keys=True) for _, v in found}) > 1:
            raise InvalidInput(
                f"conflicting values for ore:{term}: {found}", field=f"ilmd.{found[1][0]}"
            )
        if found:
            values[term] = found[0]
    if not values:
        return None
    fields: dict[str, Any] = {}
    if "mineral" in values:
        key, raw = values["mineral"]
        try:
            if not isinstance(raw, str):
                raise ValueError(f"expected a mineral name, found {raw!r}")
            fields["mineral"] = parse_mineral(raw)
        except ValueError as exc:
            raise InvalidInput(str(exc), field=f"ilmd.{key}") from None
    if "form" in values:
        key, raw = values["form"]
        if not isinstance(raw, str) or raw.strip().lower() not in set(MaterialForm):
            accepted = ", ".join(MaterialForm)
            raise InvalidInput(
                f"unknown material form {raw!r}; expected one of {accepted}", field=f"ilmd.{key}"
            )
        fields["form"] = MaterialForm(raw.strip().lower())
    if "gradePercent" in values:
        key, raw = values["gradePercent"]
        fields["grade_percent"] = _grade(raw, f"ilmd.{key}")
    return LotMasterData(**fields)


def _grade(raw: object, field: str) -> float:
    grade: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        grade = float(raw)
    elif isinstance(raw, str):
        try:
            grade = float(raw)
        except ValueError:
            grade = None
    if grade is None or not math.isfinite(grade) or not 0 <= grade <= 100:
        raise InvalidInput(
            f"expected a grade in mass % between 0 and 100, found {raw!r}", field=field
        )
    return grade
