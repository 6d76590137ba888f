"""Sites: mines, artisanal sites, concessions, protected areas and the facilities along a chain.

A site is referenced from EPCIS ``readPoint``/``bizLocation`` by its ``id``. Its geometry is kept
as a GeoJSON geometry mapping in WGS 84; pillars that need geometry operations build shapes from it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from oresight.core.minerals import Mineral


class SiteKind(StrEnum):
    """What a site is (the ``kind`` property of a site feature)."""

    MINE = "mine"
    ARTISANAL_SITE = "artisanal_site"
    CONCESSION = "concession"
    PROTECTED_AREA = "protected_area"
    TRADER = "trader"
    PROCESSING_FACILITY = "processing_facility"
    SMELTER = "smelter"
    REFINER = "refiner"
    PORT = "port"
    BORDER_POST = "border_post"
    WAREHOUSE = "warehouse"


EXTRACTION_KINDS = frozenset({SiteKind.MINE, SiteKind.ARTISANAL_SITE, SiteKind.CONCESSION})
"""Kinds of site where material is dug, and so where custody begins."""

GEOMETRY_TYPES = frozenset({"Point", "MultiPoint", "Polygon", "MultiPolygon"})


class Licence(BaseModel):
    """A mining or trading licence and the dates between which it is valid (both inclusive)."""

    model_config = ConfigDict(frozen=True)

    number: str = Field(min_length=1)
    valid_from: date | None = None
    valid_to: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Licence:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(
                f"licence {self.number}: valid_to {self.valid_to} is before "
                f"valid_from {self.valid_from}"
            )
        return self

    def valid_on(self, day: date) -> bool:
        """Whether the licence was valid on ``day``."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_to is not None and day > self.valid_to)


class Site(BaseModel):
    """A place along a mineral supply chain, with its licence and geometry."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    name: str | None = None
    kind: SiteKind
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    operator: str | None = None
    """FtM entity id of the operating party."""
    minerals: tuple[Mineral, ...] = ()
    licence: Licence | None = None
    capacity_t_per_year: float | None = Field(default=None, ge=0)
    capacity_basis: str | None = None
    rmi_smelter_id: str | None = None
    geometry: dict[str, Any] | None = None
    """GeoJSON geometry (WGS 84): Point, MultiPoint, Polygon or MultiPolygon."""
    properties: dict[str, Any] = Field(default_factory=dict)
    """Any other properties of the feature, kept as they came."""

    @field_validator("geometry")
    @classmethod
    def _geometry_type(cls, geometry: dict[str, Any] | None) -> dict[str, Any] | None:
        if geometry is not None and geometry.get("type") not in GEOMETRY_TYPES:
            raise ValueError(
                f"geometry type {geometry.get('type')!r} is not one of "
                f"{', '.join(sorted(GEOMETRY_TYPES))}"
            )
        return geometry

    @property
    def is_extraction_site(self) -> bool:
        """Whether material is dug here."""
        return self.kind in EXTRACTION_KINDS

    def label(self) -> str:
        """A human label: the name with the id, or the id alone."""
        return f"{self.name} ({self.id})" if self.name else self.id
