"""The parties of the demo world: companies, cooperatives and people, and how they are related.

Every one of them is FICTITIOUS. Any resemblance of a name to a real party is unintended.
"""

from __future__ import annotations

from oresight.sim.world_specs import PartySpec, RelationSpec


def _p(
    key: str, schema: str, name: str, country: str, prefix: str | None = None, **extra: str
) -> PartySpec:
    return PartySpec(key, schema, name, country, prefix, tuple(sorted(extra.items())))


# Tables of data read better one row per line than exploded by the formatter.
# fmt: off
PARTIES: tuple[PartySpec, ...] = (
    # Cobalt, DRC Copperbelt.
    _p("kanyama-mining", "Company", "Kanyama Mining SA", "cd", "6170101",
       registrationNumber="CD/KZI/RCCM/12-B-0417", sector="Copper and cobalt mining"),
    _p("lupoto-cobalt", "Company", "Lupoto Cobalt SARL", "cd", "6170102",
       registrationNumber="CD/LSH/RCCM/09-B-1288", sector="Copper and cobalt mining"),
    _p("mwilu-resources", "Company", "Mwilu Resources SAS", "cd", "6170103",
       registrationNumber="CD/KZI/RCCM/17-B-0093", sector="Copper and cobalt mining"),
    _p("comika", "Organization", "Coopérative minière artisanale de Kasanza (COMIKA)", "cd",
       "6170201"),
    _p("cocremu", "Organization", "Coopérative des creuseurs de Mukoma (COCREMU)", "cd", "6170202"),
    _p("coalw", "Organization", "Coopérative artisanale de Lwilu (COALW)", "cd", "6170203"),
    _p("comikz", "Organization", "Coopérative minière de Kanzenze (COMIKZ)", "cd", "6170204"),
    _p("coaluf", "Organization", "Coopérative artisanale de la Lufupa (COALUF)", "cd", "6170205"),
    _p("lualaba-negoce", "Company", "Maison d'Achat Lualaba Négoce SARL", "cd", "6170301",
       sector="Mineral trading (comptoir)"),
    _p("likasi-minerais", "Company", "Likasi Minerais Négoce SARL", "cd", "6170302",
       sector="Mineral trading (comptoir)"),
    _p("kolwezi-hydromet", "Company", "Kolwezi Hydromet SAS", "cd", "6170401",
       sector="Cobalt hydroxide production"),
    _p("lualaba-express", "Company", "Lualaba Express Transports SARL", "cd",
       sector="Road haulage"),
    _p("copperbelt-freight", "Company", "Copperbelt Corridor Freight Ltd", "zm",
       sector="Cross-border road haulage"),
    _p("msasani-terminal", "Company", "Msasani Bulk Terminal Ltd", "tz", "6200501",
       sector="Port terminal operation"),
    _p("indigo-lines", "Company", "Indigo Ocean Lines Pte. Ltd.", "sg", "8880901",
       sector="Container shipping"),
    _p("qiantang-cobalt", "Company", "Qiantang Cobalt Materials Co., Ltd.", "cn", "6930601",
       sector="Cobalt refining"),
    _p("hanbit-cathode", "Company", "Hanbit Cathode Materials Co., Ltd.", "kr", "8800701",
       sector="Cathode active materials"),
    _p("pannonia-cells", "Company", "Pannonia Cell Works Kft.", "hu", "5990801",
       sector="Battery cell manufacturing"),
    _p("haut-plateau", "Company", "Haut-Plateau Holdings Ltd", "mu", sector="Holding company"),
    _p("p-ilunga", "Person", "Patrice Ilunga Kasongwe", "cd"),
    _p("p-mwamba", "Person", "Aline Mwamba Tshikala", "cd"),
    # Tin and tantalum, the Kivus and the Great Lakes corridor.
    _p("comikan", "Organization", "Coopérative minière de Kalehe-Nord (COMIKAN)", "cd", "6171201"),
    _p("coeming", "Organization", "Coopérative des exploitants miniers de Ngungu (COEMING)", "cd",
       "6171202"),
    _p("comikal", "Organization", "Coopérative minière de Kalungu (COMIKAL)", "cd", "6171203"),
    _p("lac-kivu-comptoir", "Company", "Comptoir Minier du Lac Kivu SARL", "cd", "6171301",
       sector="Mineral trading (comptoir)"),
    _p("grands-lacs-minerais", "Company", "Grands Lacs Minerais SARL", "cd", "6171302",
       sector="Mineral trading (comptoir)"),
    _p("kivu-haulage", "Company", "Kivu Lakeside Haulage SARL", "cd", sector="Road haulage"),
    _p("nyabarongo-minerals", "Company", "Nyabarongo Minerals Trading Ltd", "rw", "6191401",
       sector="Mineral export"),
    _p("gishushu-freight", "Company", "Gishushu Freight Ltd", "rw", sector="Road haulage"),
    _p("perai-tin", "Company", "Perai Tin Works Sdn. Bhd.", "my", "9551501", sector="Tin smelting"),
    _p("lushan-rare-metals", "Company", "Lushan Rare Metals Co., Ltd.", "cn", "6931601",
       sector="Tantalum and niobium refining"),
    _p("p-bahati", "Person", "Emmanuel Bahati Mugisha", "cd"),
    _p("p-habimana", "Person", "Jean-Baptiste Habimana Ruzindana", "rw"),
    # Tantalum declared as Burundian.
    _p("mugamba-metals", "Company", "Mugamba Metals Export SURL", "bi", "6182101",
       registrationNumber="BI/BJM/RC/2019-0311", sector="Small-scale mining and mineral export"),
    _p("kirimiro-transport", "Company", "Kirimiro Transport SURL", "bi",
       sector="Cross-border road haulage"),
    _p("p-kaze", "Person", "Désiré Kaze Irakoze", "bi"),
)

RELATIONS: tuple[RelationSpec, ...] = (
    RelationSpec("own-hp-kanyama", "Ownership", "haut-plateau", "kanyama-mining",
                 (("percentage", "80"), ("startDate", "2016-09-01"))),
    RelationSpec("own-hp-lualaba-negoce", "Ownership", "haut-plateau", "lualaba-negoce",
                 (("percentage", "100"), ("startDate", "2021-02-15"))),
    RelationSpec("dir-ilunga-lualaba-negoce", "Directorship", "p-ilunga", "lualaba-negoce",
                 (("role", "Gérant"), ("startDate", "2021-02-15"))),
    RelationSpec("dir-mwamba-hydromet", "Directorship", "p-mwamba", "kolwezi-hydromet",
                 (("role", "Directrice générale"), ("startDate", "2019-06-01"))),
    RelationSpec("own-nyabarongo-grands-lacs", "Ownership", "nyabarongo-minerals",
                 "grands-lacs-minerais", (("percentage", "40"), ("startDate", "2022-11-03"))),
    RelationSpec("dir-habimana-nyabarongo", "Directorship", "p-habimana", "nyabarongo-minerals",
                 (("role", "Managing director"), ("startDate", "2020-04-20"))),
    RelationSpec("dir-habimana-grands-lacs", "Directorship", "p-habimana", "grands-lacs-minerais",
                 (("role", "Board member"), ("startDate", "2023-01-10"))),
    RelationSpec("own-kaze-mugamba", "Ownership", "p-kaze", "mugamba-metals",
                 (("percentage", "90"), ("startDate", "2019-03-18"))),
)
# fmt: on
