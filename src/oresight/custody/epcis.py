"""GS1 EPCIS 2.0 JSON / JSON-LD in and out: the custody pillar's door for custody events.

The reader lives in :mod:`oresight.custody.epcis_read`, the writer in
:mod:`oresight.custody.epcis_write`, and the CBV terms they share in
:mod:`oresight.custody.vocabulary`; import from here.
"""

from oresight.custody.epcis_read import (
    looks_like_epcis,
    read_epcis,
    read_epcis_file,
    read_event,
)
from oresight.custody.epcis_write import event_to_json, format_time, write_epcis

__all__ = [
    "event_to_json",
    "format_time",
    "looks_like_epcis",
    "read_epcis",
    "read_epcis_file",
    "read_event",
    "write_epcis",
]
