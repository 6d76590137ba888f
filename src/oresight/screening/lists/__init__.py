"""Sanctions list readers: published lists turned into FollowTheMoney entities with their listing.

Each reader reads one format, all or nothing, into a :class:`SanctionsList` of :class:`ListEntry`
(the party as an FtM entity, its programmes, listing date, and the record it came from):

- :func:`read_ofac_sdn`: OFAC's SDN list, legacy CSV (with ``alt.csv`` and ``add.csv``);
- :func:`read_un_sc`: the UN Security Council Consolidated List, XML;
- :func:`read_eu_fsf`: the EU Financial Sanctions Files, XML schema 1.1;
- :func:`read_opensanctions`: OpenSanctions FtM JSON lines, with related entities kept.

:func:`read_list` recognises the format from the content. Bad input is
:class:`~oresight.core.errors.InvalidInput` naming the file, the record and the field.
"""

from oresight.screening.lists.entries import ListEntry, ListKind, SanctionsList
from oresight.screening.lists.eu import parse_eu_fsf, read_eu_fsf
from oresight.screening.lists.ofac import parse_ofac_sdn, read_ofac_sdn
from oresight.screening.lists.opensanctions import parse_opensanctions, read_opensanctions
from oresight.screening.lists.sniff import detect_list_kind, read_list
from oresight.screening.lists.un import parse_un_sc, read_un_sc

__all__ = [
    "ListEntry",
    "ListKind",
    "SanctionsList",
    "detect_list_kind",
    "parse_eu_fsf",
    "parse_ofac_sdn",
    "parse_opensanctions",
    "parse_un_sc",
    "read_eu_fsf",
    "read_list",
    "read_ofac_sdn",
    "read_opensanctions",
    "read_un_sc",
]
