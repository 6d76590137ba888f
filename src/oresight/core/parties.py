"""Parties: companies, people and organisations, as FollowTheMoney (FtM) entities.

oresight does not invent its own party model: a party is an FtM entity (``id``, ``schema`` and
multi-valued ``properties``). Custody events point at parties by FtM entity id.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class PartyRole(StrEnum):
    """The role in which a party appears on a custody event (CBV source/destination types)."""

    OWNING_PARTY = "owning_party"
    POSSESSING_PARTY = "possessing_party"
    LOCATION = "location"


class PartyRef(BaseModel):
    """A reference from a custody event to a party, by FtM entity id."""

    model_config = ConfigDict(frozen=True)

    role: PartyRole
    party_id: str = Field(min_length=1)


class Party(BaseModel):
    """An FtM entity: the id, the schema name, and its multi-valued properties."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    schema_name: str = Field(min_length=1)
    properties: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    caption: str | None = None

    def first(self, prop: str) -> str | None:
        """The first value of a property, or ``None``."""
        values = self.properties.get(prop, ())
        return values[0] if values else None

    def label(self) -> str:
        """A human label: the caption with the id, or the id alone."""
        return f"{self.caption} ({self.id})" if self.caption else self.id
