"""read_list: the format of a list file told from its content, whatever its name."""

from __future__ import annotations

from pathlib import Path

import pytest

from oresight.core.errors import InvalidInput, UnknownFormat
from oresight.screening.lists import ListKind, detect_list_kind, read_list
from tests.screening.test_lists_eu import EXPORT
from tests.screening.test_lists_ofac import SDN
from tests.screening.test_lists_opensanctions import COMPANY, SANCTION, lines
from tests.screening.test_lists_un import SMALL

SAMPLES = {
    ListKind.US_OFAC_SDN: SDN.encode("latin-1"),
    ListKind.UN_SC_CONSOLIDATED: SMALL.encode(),
    ListKind.EU_FSF: EXPORT.encode(),
    ListKind.OPENSANCTIONS: lines(COMPANY, SANCTION),
}


@pytest.mark.parametrize("kind", list(ListKind))
def test_format_is_told_from_content_not_name(kind: ListKind, tmp_path: Path) -> None:
    path = tmp_path / "download.dat"
    path.write_bytes(SAMPLES[kind])
    assert detect_list_kind(SAMPLES[kind]) is kind
    result = read_list(path)
    assert result.list_id == kind.value
    assert result.source_file == str(path)
    assert len(result.entries) >= 1


def test_utf16_xml_with_byte_order_mark_is_recognised() -> None:
    data = SMALL.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert detect_list_kind(data) is ListKind.UN_SC_CONSOLIDATED


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"name,country\nKivu Minerals,CD\n",
        b'{"type": "FeatureCollection", "features": []}\n',
        b"<html><body>Not found</body></html>",
        b'<export xmlns="http://example.org/other"/>',
        bytes(range(256)),
    ],
)
def test_unknown_format_is_refused_naming_the_file(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "list.xml"
    path.write_bytes(data)
    assert detect_list_kind(data) is None
    with pytest.raises(UnknownFormat) as caught:
        read_list(path)
    assert caught.value.file == str(path)
    assert "not a sanctions list oresight reads" in caught.value.message


def test_kind_given_skips_detection(tmp_path: Path) -> None:
    path = tmp_path / "sdn.csv"
    path.write_bytes(SAMPLES[ListKind.UN_SC_CONSOLIDATED])
    assert read_list(path, kind="un_sc_consolidated").list_id == "un_sc_consolidated"
    with pytest.raises(InvalidInput) as caught:
        read_list(path, kind=ListKind.US_OFAC_SDN)
    assert caught.value.file == str(path)
    with pytest.raises(InvalidInput) as caught:
        read_list(path, kind="interpol_red_notices")
    assert "unknown list kind" in caught.value.message


def test_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    with pytest.raises(InvalidInput) as caught:
        read_list(path)
    assert caught.value.file == str(path)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("sanctions/ofac_sdn_2024-05-03.csv", ListKind.US_OFAC_SDN),
        ("sanctions/un_sc_consolidated_2018-10-29.xml", ListKind.UN_SC_CONSOLIDATED),
        ("ftm/yente_zala_entities.ftm.json", ListKind.OPENSANCTIONS),
        ("ftm/yente_t1_entities.ftm.json", ListKind.OPENSANCTIONS),
    ],
)
def test_published_files_are_recognised(shared_data: Path, name: str, kind: ListKind) -> None:
    source = shared_data / "screening" / name
    if not source.is_file():
        pytest.skip(f"{source} is not in the shared data")
    assert detect_list_kind(source.read_bytes()) is kind
