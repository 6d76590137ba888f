"""The demo world's sanctions list: a small list in OFAC's SDN legacy CSV layout.

Every entry is FICTITIOUS, as are the demo's parties. Two entries are demo parties under a
variant of their name, as lists and trade records spell them differently:

* the Bukavu comptoir *Comptoir Minier du Lac Kivu SARL* is listed as ``COMPTOIR MINIER LAC-KIVU``
  (no article, a hyphen, no legal form) under the DRCONGO programme;
* *Désiré Kaze Irakoze* is listed as ``KAZE IRAKOZE, Desire`` (family name first, no accent)
  under the BURUNDI programme. He owns 90 % of *Mugamba Metals Export SURL*, the Bujumbura
  exporter: a front company blocked under OFAC's 50 % rule although it is listed nowhere.

Two more entries resemble no demo party closely enough to match. The file is written as OFAC
publishes it: no header, twelve columns, text quoted, latin-1, CRLF, ``-0-`` for an empty
field, and the list date in its name (the CSV holds none).
"""

from __future__ import annotations

from pathlib import Path

from oresight.sim.manifest import ExpectedKind, PlantedProblem
from oresight.sim.world import PARTY_BY_KEY

SANCTIONS_DIR = "sanctions"
SANCTIONS_FILE = "demo_sdn_2024-05-03.csv"
NULL = "-0- "

# ent_num, SDN_Name, SDN_Type, Program, Remarks
_ENTRIES = (
    ("90001", "COMPTOIR MINIER LAC-KIVU", "", "DRCONGO",
     "Avenue Lumumba, Bukavu, Sud-Kivu, Congo, Democratic Republic of the; "
     "Registration ID 6171301 (Congo, Democratic Republic of the)."),
    ("90002", "KAZE IRAKOZE, Desire", "individual", "BURUNDI",
     "DOB 14 Feb 1969; POB Bujumbura, Burundi; nationality Burundi."),
    ("90003", "NORTH KIVU FRONTIER LOGISTICS SPRL", "", "DRCONGO",
     "Goma, Nord-Kivu, Congo, Democratic Republic of the."),
    ("90004", "NDIKUMANA, Theophile", "individual", "BURUNDI",
     "DOB 1971; nationality Burundi."),
)  # fmt: skip


def write_demo_sanctions(out_dir: Path) -> tuple[Path, tuple[PlantedProblem, ...]]:
    """Write the demo list under ``out_dir/sanctions``; its path, and the findings it plants."""
    lines = []
    for number, name, kind, programme, remarks in _ENTRIES:
        fields = [name, kind, programme, *([""] * 7), remarks]
        quoted = [f'"{field}"' if field else NULL for field in fields]
        lines.append(",".join([number, *quoted]) + "\r\n")
    folder = out_dir / SANCTIONS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SANCTIONS_FILE
    path.write_bytes("".join(lines).encode("latin-1"))
    return path, _planted()


def _planted() -> tuple[PlantedProblem, ...]:
    comptoir = PARTY_BY_KEY["lac-kivu-comptoir"]
    owner = PARTY_BY_KEY["p-kaze"]
    front = PARTY_BY_KEY["mugamba-metals"]
    return (
        PlantedProblem(
            "PARTY.SANCTIONED",
            "party",
            comptoir.id,
            f"{comptoir.name} is on the demo SDN list as entry 90001, COMPTOIR MINIER "
            "LAC-KIVU (DRCONGO).",
        ),
        PlantedProblem(
            "PARTY.SANCTIONED",
            "party",
            owner.id,
            f"{owner.name} is on the demo SDN list as entry 90002, KAZE IRAKOZE, Desire "
            "(BURUNDI), born 14 Feb 1969.",
        ),
        PlantedProblem(
            "PARTY.SANCTIONED_OWNER",
            "party",
            front.id,
            f"{front.name} is 90 % owned by {owner.name}, who is listed: blocked under the "
            "50 % rule.",
            kind=ExpectedKind.CONSEQUENCE,
            follows_from=(owner.id,),
        ),
    )
