"""Screening speed: 10^4 queries against OFAC SDN + UN and against 10^6 generated entities,
and oresight's pair score beside nomenklatura's logic-v2 on the same pairs.

Three steps, each in a fresh interpreter (so that its peak memory, the kernel's VmHWM, is its
own); one JSON object on stdout, progress on stderr:

* ``lists`` — OFAC's SDN list (2024-05-03) and the UN consolidated list (2018-10-29), read with
  :func:`~oresight.screening.lists.sniff.read_list` (about 16,000 parties), indexed
  (:meth:`MatchIndex.build`), and ``--queries`` (10^4) queries screened, ten best at the
  default threshold, with :func:`search_many` on ``--processes`` (2) worker processes (then
  once more on one, for the rate per core). The
  queries: yente's 683 treated UN positives, its 2,000 synthetic negatives, listed names with
  seeded typos (two letters swapped, a letter dropped, the words reordered, the legal form
  changed) and fictional names (fewer of each kind, in the same mix, below 10^4). Target: the
  build and the searches in under 10 s (``met``); the same with the load of rigour's name
  database added, which a process pays once before its first query (``met_cold``).
* ``scale`` — ``--entities`` (10^6) generated people and companies (names built from the
  name-part pools below, with countries, birth or incorporation dates, some aliases and
  registration numbers; the same seed gives the same list, ``--write-list`` writes it as FtM
  JSON lines, each party a ``target``, which ``read_list`` reads back) indexed as they are
  generated (generation is timed apart), then ``--queries`` queries of the same mix (typos of
  generated names in place of listed ones). Target: build and searches in under 60 s, with
  and without the name database's load, as for ``lists``.
* ``pairs`` — the pairs of ``lists``: each query with its best candidate at any score, and each
  query of known source with that source; scored one by one with oresight's
  :func:`score_pair` and with nomenklatura's logic-v2 (``LogicV2.compare``), the same pairs in
  the same order after a warm-up of both on other pairs. Pairs per second, the ratio (ours ÷
  peer), how often the two agree at their thresholds (ours ``DEFAULT_THRESHOLD``, logic-v2
  0.70), and the precision and recall of both on the labelled pairs: yente's positives (the
  source a treated query was drawn from, found by the untreated query's exact name) and
  negatives, and apart from them the typo queries (source known by construction).

    python benchmarks/screening.py --entities 100000 --queries 2000   # quick, about a minute
    python benchmarks/screening.py > screening.json                   # 10^6 and 10^4, ~3 min

nomenklatura is the peer and no dependency of oresight: ``pip install nomenklatura``; without it
the ``pairs`` step reports our figures alone. The exit status is 0 when both targets hold; a run
scaled down with ``--queries`` or ``--entities`` is not judged against them.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

import measure
from followthemoney import EntityProxy, model
from followthemoney.types import registry
from measure import peak_rss_mb

from oresight.screening.lists.sniff import read_list
from oresight.screening.match.evaluation import confusion, find_sources, read_query_persons
from oresight.screening.match.name_tokens import load_name_variants
from oresight.screening.matching import DEFAULT_THRESHOLD, MatchIndex, score_pair, search_many

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "screening"
OFAC_SDN = DATA / "sanctions" / "ofac_sdn_2024-05-03.csv"
UN_SC = DATA / "sanctions" / "un_sc_consolidated_2018-10-29.xml"
POSITIVES = DATA / "matching" / "yente_positives_un_treated.csv"
POSITIVES_UNTREATED = DATA / "matching" / "yente_positives_un_untreated.csv"
NEGATIVES = (
    DATA / "matching" / "yente_negatives_global_1000.csv",
    DATA / "matching" / "yente_negatives_us_1000.csv",
)

TARGET_LISTS_SECONDS = 10.0
TARGET_SCALE_SECONDS = 60.0
LOGIC_V2_THRESHOLD = 0.70
FULL_QUERIES = 10_000
"""The query count of the targets, at which yente's queries are taken whole (a smaller run takes
fewer of them, and is not judged against the targets)."""
FULL_ENTITIES = 1_000_000
"""The size of the generated list of the target."""
TYPO_SHARE = 0.6
"""Of the queries that are not yente's: the share of typos of listed names (the rest fictional)."""
WARM_UP_PAIRS = 300
LIMIT = 10

_STARTED_AT = "ORESIGHT_SCREENING_BENCH_STARTED"
_LOG_START = float(os.environ.get(_STARTED_AT) or time.time())


def log(message: str) -> None:
    """Progress to stderr, with the seconds since the run started (steps share the clock)."""
    print(f"[{time.time() - _LOG_START:7.1f}s] {message}", file=sys.stderr, flush=True)


def workers_peak_rss_mb() -> float:
    """The largest peak resident memory of any forked worker so far, MiB (pages shared with
    the parent counted in full: the workers' own memory is less)."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


# -- name parts --------------------------------------------------------------------------------
# Written for this benchmark: common given names and surnames of each naming culture, roots and
# endings that compose rarer surnames (a million parties carry far more distinct names than a
# pool of common ones: the long tail is what keeps most of an index's tokens rare), and how each
# culture orders a full name.


def _words(text: str) -> tuple[str, ...]:
    """The words of a pool written out in one string; ``_`` joins a name of two words."""
    return tuple(word.replace("_", " ") for word in text.split())


@dataclass(frozen=True)
class Culture:
    """How one naming culture builds a person's name, and the countries its people come from."""

    name: str
    countries: tuple[str, ...]
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    roots: tuple[str, ...] = ()
    endings: tuple[str, ...] = ()
    syllabic: str | None = None
    """Given names of two syllables of the given-name pools, joined by this (Chinese, Korean)."""
    weight: float = 1.0
    _cumulative: dict[int, list[float]] = field(default_factory=dict, compare=False, repr=False)

    def common(self, pool: tuple[str, ...], rng: random.Random) -> str:
        """A name of a pool, the first ones more often (rank-frequency as 1 / rank)."""
        weights = self._cumulative.get(id(pool))
        if weights is None:
            weights = list(accumulate(1.0 / rank for rank in range(1, len(pool) + 1)))
            self._cumulative[id(pool)] = weights
        return pool[bisect.bisect(weights, rng.random() * weights[-1])]

    def surname(self, rng: random.Random) -> str:
        """A common surname half the time; else one composed of a root and an ending, with a
        linking syllable one time in three (``Kuzm-in-ov``, ``Al-Ham-a-dani``): the long tail."""
        draw = rng.random()
        if not self.roots or draw < 0.5:
            return self.common(self.surnames, rng)
        link = rng.choice(_LINKS) if draw < 0.66 else ""
        return rng.choice(self.roots) + link + rng.choice(self.endings)

    def given(self, rng: random.Random, female: bool) -> str:
        """A given name of the culture (of two syllables where the culture builds them so)."""
        pool = self.female if female else self.male
        if self.syllabic is None or rng.random() < 0.3:
            return self.common(pool, rng)
        return self.common(pool, rng) + self.syllabic + rng.choice(pool).lower()


_LINKS = ("a", "e", "i", "o", "an", "el", "or", "in", "ar", "ov")

CULTURES: tuple[Culture, ...] = (
    Culture(
        "anglo",
        ("gb", "us", "au", "ca", "za", "ie", "nz"),
        _words(
            "James John Robert Michael William David Richard Joseph Thomas Charles "
            "Christopher Daniel Matthew George Andrew Paul Mark Steven Edward Brian "
            "Oliver Harry Jack Henry Samuel Peter Kevin Ryan Gary Patrick"
        ),
        _words(
            "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen "
            "Emily Hannah Grace Alice Charlotte Emma Olivia Sophie Rachel Helen"
        ),
        _words(
            "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor "
            "Thomas Moore Martin Jackson Thompson White Harris Clark Lewis Walker "
            "Hall Allen Young King Wright Scott Green Baker Adams Nelson Carter "
            "Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins "
            "Stewart Morris Murphy Cook Rogers Morgan Cooper Reed Bailey Bell Kelly "
            "Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes Price"
        ),
        roots=_words(
            "Ash Black Brad Cald Craw Fair Hart Kings Lang Mars Rad Shel Stan Thorn Whit "
            "Ald Brom Ell Har Ather Bur Chad Dun Hol Pem Rus Sut Wex Yar"
        ),
        endings=_words("ley ford ton well wood by ham field more worth dale stone"),
        weight=1.5,
    ),
    Culture(
        "central_african",
        ("cd", "cg", "rw", "bi", "cm", "ga", "cf"),
        _words(
            "Jean Joseph Pierre Patrick Didier Olivier Emmanuel Fabrice Aimé Dieudonné "
            "Christian Jean-Claude Jean-Pierre Papy Guy Serge Albert Moïse Félix Eric "
            "Innocent Théogène Célestin Faustin Augustin"
        ),
        _words(
            "Marie Chantal Béatrice Jeanne Claudine Espérance Gisèle Honorine Justine "
            "Nadine Prisca Sylvie Clarisse Odette Pascaline"
        ),
        _words(
            "Kabila Tshisekedi Mbuyi Kalala Ilunga Mukendi Kasongo Ngoy Mwamba Kabongo "
            "Tshibangu Lumbala Mulumba Banza Kazadi Nkulu Mutombo Katumbi Lukusa Mbala "
            "Nzuzi Makiese Lokua Bemba Kamerhe Mpoyi Kanku Tshimanga Munganga Bahati "
            "Habimana Niyonzima Uwimana Nsengimana Hakizimana Mugisha Ndayishimiye "
            "Bizimana Nkurunziza Mukamana Sassou Nguesso Mabiala Okemba Biya Ondo"
        ),
        roots=_words("Ka Mu Tshi Ngo Ilu Lu Mba Nku Ki Ma Bi Nda Ru Kya Mwe Nya Bu Ma"),
        endings=_words(
            "bongo lunga sende mbala kenda tumba langa yembe nyama shala ngoma zadi hindo "
            "sanga kuta leka pangu tondo"
        ),
        weight=1.5,
    ),
    Culture(
        "east_african",
        ("ke", "tz", "ug", "ss"),
        _words(
            "Baraka Juma Hamisi Amani Bakari Salim Otieno Kamau Mugo Njoroge Wafula "
            "Kiprop Daudi Yohana Emmanuel Godfrey Moses Samson Wilson Geoffrey"
        ),
        _words("Neema Imani Zawadi Rehema Mwajuma Wanjiru Achieng Akinyi Chebet Halima"),
        _words(
            "Kamau Otieno Mwangi Odhiambo Kariuki Njoroge Wanjala Mutua Kiprotich "
            "Chepkoech Omondi Ochieng Mushi Massawe Mrema Lyimo Kimaro Mollel Okello "
            "Tumusiime Byaruhanga Ssempala Nsubuga Kato Waiswa Museveni Kikwete Odinga"
        ),
        roots=_words("Ki Mwa Nja O Wa Che Mu Ka Nya Ma Bya Tu Sse"),
        endings=_words("riuki ngi roge dhiambo njala potich sembe ruhanga musiime bugo"),
    ),
    Culture(
        "arabic",
        ("ae", "sa", "sy", "iq", "ye", "lb", "ly", "sd", "eg", "jo", "om", "qa"),
        _words(
            "Mohammed Ahmed Ali Omar Khalid Hassan Hussein Abdullah Youssef Ibrahim "
            "Mustafa Tariq Faisal Saeed Hamad Nasser Walid Karim Samir Bilal Ziad "
            "Rashid Majid Sultan Abdulrahman Abdelaziz Mahmoud Jamal Khalil Anwar"
        ),
        _words("Fatima Aisha Mariam Layla Noor Huda Rania Amal Salma Zainab Hanan Dalia"),
        _words(
            "Al-Hashimi Al-Mansouri Al-Zahrani Al-Qahtani Al-Shamsi Haddad Khoury "
            "Nasser Saleh Hamdan Al-Najjar Al-Tamimi Al-Masri Darwish Aziz Abbas Qasim "
            "Al-Amiri Al-Kuwari Al-Otaibi Al-Shammari Barakat Mansour Yassin Suleiman "
            "Al-Ahmad Jaber Farouk Halabi Al-Obaidi Al-Jubouri Al-Dulaimi Al-Rawi"
        ),
        roots=_words("Al-Ham Al-Kha Al-Sa Al-Mu Al-Ra Al-Ja Al-Na Al-Fa Al-Ba Al-Dha"),
        endings=_words("dani lidi iri hairi shidi bri jjar rsi qawi heri"),
        weight=1.5,
    ),
    Culture(
        "persian",
        ("ir", "af", "tj"),
        _words(
            "Mohammad Reza Hossein Ali Mehdi Hamid Saeed Abbas Farhad Dariush Kourosh "
            "Babak Javad Majid Gulbuddin Abdul Sirajuddin Ahmad Nasrullah Zabihullah"
        ),
        _words("Zahra Maryam Fatemeh Shirin Parisa Nasrin Leila Soraya Mahnaz Roya"),
        _words(
            "Hosseini Rezaei Mohammadi Ahmadi Karimi Moradi Jafari Rahimi Sadeghi "
            "Tehrani Esfahani Shirazi Kazemi Ghasemi Heidari Mousavi Najafi Akbari "
            "Soltani Khan Haqqani Popal Durrani Karzai Wardak Noorzai Achakzai"
        ),
        roots=_words("Moham Ahma Kari Rahi Sade Kaze Nasi Hei Jaf Ghaf Bagh Tav Ami Shar"),
        endings=_words("madi di ri mi i zadeh pour nia far ani"),
    ),
    Culture(
        "slavic",
        ("ru", "by", "ua", "kz"),
        _words(
            "Alexander Sergei Dmitry Andrei Alexei Vladimir Mikhail Ivan Nikolai Yuri "
            "Oleg Igor Viktor Pavel Roman Boris Evgeny Anatoly Gennady Konstantin"
        ),
        _words("Elena Olga Tatiana Natalia Irina Svetlana Anna Maria Ekaterina Yulia"),
        _words(
            "Ivanov Smirnov Kuznetsov Popov Sokolov Lebedev Kozlov Novikov Morozov "
            "Petrov Volkov Solovyov Vasiliev Zaitsev Pavlov Semenov Golubev Bogdanov "
            "Vorobyov Fedorov Mikhailov Belyaev Tarasov Belov Komarov Orlov Kiselev "
            "Shevchenko Kovalenko Bondarenko Tkachenko Kravchenko Melnyk Boyko"
        ),
        roots=_words(
            "Sidor Kuzm Baran Kulik Stepan Yakovl Sorok Zakhar Korol Gerasim Ponomar Lazar "
            "Medved Ersh Nikit Sobol Ryab Polyak Zhuk Frol Kryl Maksim Osip Egor Bobr Kalin "
            "Anisim Anton Timof Filipp Mark Miron Kazak Efim Denis Grom Davyd Melnik Karp Vlas "
            "Masl Tikhon Gavril Kot Byk Rybak Abram Voron Mukh Chern Nazar Potap Nekras Zhdan "
            "Naum Drozd Kirill Kost Gorbach Kaban Prokhor Nester Zver Kolesn"
        ),
        endings=_words("ov ev in sky enko chuk ovich ikov"),
        weight=1.5,
    ),
    Culture(
        "chinese",
        ("cn", "hk", "tw", "sg", "my", "mo"),
        _words(
            "Wei Qiang Lei Jun Yong Jie Tao Ming Chao Gang Bo Hao Peng Jian Kai Long Feng "
            "Dong Hai Bin Kang Zhi Xiao Guo Wen Hua Hong Qing Zhong Xiang Sheng"
        ),
        _words("Fang Na Min Jing Li Yan Xiu Ying Hua Ping Hui Hong Xin Yu Lin Rui Ning"),
        _words(
            "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He "
            "Gao Lin Luo Zheng Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao "
            "Tian Dong Pan Yuan Cai Jiang Yu Du Ye Cheng Wei Su Lu Ding Ren Shen Yao"
        ),
        syllabic="",
        weight=1.5,
    ),
    Culture(
        "korean",
        ("kr", "kp"),
        _words("Min Jun Ji Hoon Hyun Woo Sung Ho Jae Won Dong Chol Kwang Il Song Chang Yong Su"),
        _words("Seo Yeon Ji Woo Hye Jin Eun Soo Min Kyung Hee Suk Ok Sun Mi Young Myong"),
        _words(
            "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Oh Seo Shin Kwon Hwang Ahn "
            "Song Ryu Hong Ri Pak Jon Ko"
        ),
        syllabic="-",
    ),
    Culture(
        "vietnamese",
        ("vn", "la", "kh"),
        _words("Anh Hung Dung Hai Long Nam Tuan Quang Son Khoa Bao Vinh Duc Minh Thanh"),
        _words("Lan Mai Hoa Linh Huong Thao Trang Phuong Ngoc Thuy Hanh"),
        _words("Nguyen Tran Le Pham Hoang Huynh Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly"),
    ),
    Culture(
        "south_asian",
        ("in", "pk", "bd", "lk", "np"),
        _words(
            "Rahul Amit Sanjay Rajesh Vijay Anil Sunil Ravi Arjun Vikram Deepak Manoj "
            "Suresh Ramesh Imran Asif Tariq Shahid Bilal Faisal Nadeem Zubair Nawaz"
        ),
        _words("Priya Anjali Pooja Neha Sunita Kavita Ayesha Saima Nasreen Lakshmi"),
        _words(
            "Sharma Patel Singh Kumar Gupta Shah Mehta Jain Agarwal Reddy Rao Nair "
            "Iyer Menon Pillai Das Ghosh Banerjee Chatterjee Mukherjee Bose Sen Verma "
            "Mishra Pandey Tiwari Yadav Chauhan Malhotra Kapoor Khanna Chopra Bhatia "
            "Khan Qureshi Chaudhry Butt Malik Sheikh Siddiqui Hussain Rahman Hossain"
        ),
        roots=_words("Bhat Chand Dev Gan Har Jag Kul Mahe Nar Pra Raj Sri Vis"),
        endings=_words("nagar wala ani eshwar pal kar dhar nath"),
    ),
    Culture(
        "hispanic",
        ("mx", "co", "ve", "pe", "ar", "es", "bo", "cl", "ec", "gt", "hn"),
        _words(
            "José Juan Luis Carlos Jorge Miguel Pedro Francisco Antonio Manuel "
            "Alejandro Fernando Ricardo Eduardo Javier Diego Andrés Rafael Joaquín"
        ),
        _words("María Ana Carmen Rosa Lucía Sofía Isabel Gabriela Daniela Valentina"),
        _words(
            "García Rodríguez Martínez Hernández López González Pérez Sánchez "
            "Ramírez Torres Flores Rivera Gómez Díaz Cruz Morales Reyes Gutiérrez "
            "Ortiz Ramos Castillo Jiménez Vargas Romero Herrera Medina Aguilar "
            "Castro Mendoza Ruiz Álvarez Guzmán Salazar Rojas Ortega Delgado Cabrera "
            "Fuentes Navarro Cárdenas Escobar Quintero Valencia Zambrano Ochoa"
        ),
        roots=_words("Val Mon Cas Ber Al Ro Bar Vil Mir Sal Pal"),
        endings=_words("derrama tenegro tañeda múdez varado bledo rera lalobos anda azar omino"),
        weight=1.5,
    ),
    Culture(
        "lusophone",
        ("br", "pt", "ao", "mz"),
        _words("João Paulo Carlos António Manuel Francisco Pedro Lucas Rafael Thiago"),
        _words("Ana Maria Beatriz Juliana Fernanda Luísa Isabel Teresa"),
        _words(
            "Silva Santos Oliveira Souza Pereira Costa Rodrigues Almeida Nascimento "
            "Lima Araújo Fernandes Carvalho Gomes Martins Rocha Ribeiro Alves Monteiro "
            "Mendes Barros Freitas Barbosa Pinto Moura Cavalcanti Dias Cardoso Neto"
        ),
    ),
    Culture(
        "turkic",
        ("tr", "az", "uz", "tm"),
        _words(
            "Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim Murat Emre Burak Kemal "
            "Osman Yusuf Rustam Ilham Farid Elchin"
        ),
        _words("Fatma Ayşe Emine Hatice Zeynep Elif Merve Leyla Gulnara"),
        _words(
            "Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir "
            "Arslan Doğan Kılıç Aslan Çetin Kara Koç Kurt Özkan Şimşek Polat "
            "Aliyev Mammadov Hasanov Huseynov Karimov Rashidov Yusupov"
        ),
        roots=_words("Ak Kara Öz Gül Demir Er Tek Kay Gök Al"),
        endings=_words("soy han taş car türk oğlu kan dağ"),
    ),
    Culture(
        "west_african",
        ("ng", "gh", "sn", "ml", "ci", "gn", "bf", "ne", "sl", "lr"),
        _words(
            "Oluwaseun Chinedu Emeka Adebayo Babatunde Chukwuemeka Ifeanyi Kwame Kofi "
            "Kwabena Yaw Moussa Mamadou Ibrahima Ousmane Aliou Cheikh Abdoulaye Seydou"
        ),
        _words("Ngozi Ama Akosua Abena Aminata Fatoumata Adama Chiamaka Funmilayo"),
        _words(
            "Okafor Okonkwo Adeyemi Balogun Eze Nwosu Obi Olawale Ogunleye Mensah "
            "Owusu Boateng Asante Osei Appiah Agyeman Diallo Traoré Coulibaly Keïta "
            "Diop Ndiaye Sow Ba Cissé Touré Sylla Koné Sangaré Bello Abubakar Musa "
            "Usman Danjuma Yakubu"
        ),
        roots=_words("Ade Olu Chi Nwa Oke Ogu Ako Ye Ba Kou"),
        endings=_words("bayo wale nedu chukwu ke ndu mi ssou ma ssi"),
        weight=1.5,
    ),
    Culture(
        "germanic",
        ("de", "at", "ch", "nl", "be", "lu"),
        _words("Hans Peter Klaus Jürgen Thomas Stefan Andreas Michael Wolfgang Jan Pieter"),
        _words("Sabine Petra Claudia Andrea Katrin Sanne Anke Ingrid"),
        _words(
            "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz "
            "Hoffmann Koch Richter Klein Wolf Schröder Neumann Schwarz Zimmermann "
            "Jansen de_Vries van_Dijk Bakker Visser Smit Meijer de_Boer Mulder"
        ),
        roots=_words("Stein Berg Wald Rosen Linden Eisen Gold Fried Hoch Alt Neu Rot Weiss"),
        endings=_words("bach berg feld mann hof thal burg stein hauser dorf"),
    ),
)
_CULTURE_WEIGHTS = list(accumulate(culture.weight for culture in CULTURES))

PLACES: dict[str, tuple[str, ...]] = {
    "cd": ("Kinshasa", "Lubumbashi", "Kolwezi", "Likasi", "Goma", "Bukavu", "Kivu", "Katanga"),
    "rw": ("Kigali", "Rubavu", "Musanze", "Huye"),
    "ug": ("Kampala", "Entebbe", "Jinja"),
    "cn": ("Shenzhen", "Shanghai", "Guangzhou", "Ganzhou", "Hunan", "Jiangxi", "Xiamen", "Ningbo"),
    "hk": ("Hong Kong", "Kowloon"),
    "ae": ("Dubai", "Abu Dhabi", "Sharjah", "Ras Al Khaimah", "Jebel Ali"),
    "ru": ("Moscow", "Ural", "Siberia", "Norilsk", "Volga", "Baikal"),
    "in": ("Mumbai", "Delhi", "Chennai", "Gujarat", "Bengal"),
    "za": ("Johannesburg", "Cape", "Rustenburg", "Witbank"),
    "gb": ("London", "Thames", "Pennine", "Albion"),
    "us": ("Atlantic", "Pacific", "Delaware", "Nevada", "Great Lakes"),
    "tr": ("Istanbul", "Anadolu", "Ege", "Marmara"),
    "br": ("Minas", "Amazonas", "Carajás", "Paulista"),
}
SECTORS = _words(
    "Mining Minerals Metals Resources Trading Commodities Logistics Shipping Transport Holdings "
    "Investments Capital Energy Petroleum Construction Industries Gold Gems Refining Smelting "
    "Technologies Engineering Agro Finance Security Aviation Marine Chemicals"
)
GENERIC = ("International", "Group", "Global", "General Trading", "Import Export", "Partners")
_COINED_START = _words("Al Tra Ka Zen Nor Sin Ver Mar Tec Pro Gal Ori Sky Uni Tri Vi Ro Ex Lu Qu")
_COINED_MIDDLE = ("", "", "", "o", "a", "i", "ra", "lo", "ne")
_COINED_END = _words("nex ton via ros tek lix mar dia vest cor gen ta lon sa tra ria mex ko star")

LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "gb": ("Ltd", "Limited", "PLC"),
    "ie": ("Limited", "DAC"),
    "nz": ("Limited",),
    "za": ("(Pty) Ltd", "Proprietary Limited"),
    "au": ("Pty Ltd",),
    "us": ("LLC", "Inc.", "Corp.", "Corporation", "L.P."),
    "ca": ("Inc.", "Ltd.", "Corp."),
    "ae": ("LLC", "FZE", "FZCO", "DMCC"),
    "ru": ("OOO", "AO", "PAO", "LLC", "JSC"),
    "by": ("LLC", "JSC"),
    "ua": ("TOV", "LLC", "PJSC"),
    "kz": ("TOO", "LLP", "JSC"),
    "cn": ("Co., Ltd.", "Company Limited", "Group Co., Ltd."),
    "hk": ("Limited", "Company Limited"),
    "tw": ("Co., Ltd.",),
    "sg": ("Pte Ltd", "Pte. Ltd."),
    "my": ("Sdn Bhd", "Berhad"),
    "kr": ("Co., Ltd.", "Corporation"),
    "kp": ("Corporation", "Trading Corporation", "Company"),
    "vn": ("Co., Ltd", "JSC", "Joint Stock Company"),
    "in": ("Pvt Ltd", "Private Limited", "Limited"),
    "pk": ("(Pvt) Ltd", "Limited"),
    "mx": ("S.A. de C.V.", "S. de R.L. de C.V."),
    "es": ("S.L.", "S.A."),
    "br": ("Ltda.", "S.A.", "EIRELI"),
    "pt": ("Lda", "S.A."),
    "ao": ("Lda", "Limitada", "S.A."),
    "mz": ("Lda", "Limitada"),
    "tr": ("A.Ş.", "Ltd. Şti."),
    "de": ("GmbH", "AG", "GmbH & Co. KG"),
    "at": ("GmbH", "AG"),
    "ch": ("AG", "SA", "GmbH", "Sàrl"),
    "nl": ("B.V.", "N.V."),
    "be": ("BV", "SRL", "SA"),
}
_FORMS_BY_CULTURE: dict[str, tuple[str, ...]] = {
    "central_african": ("SARL", "SA", "SPRL", "SAS"),
    "east_african": ("Limited", "Ltd"),
    "arabic": ("LLC", "Co.", "WLL", "Company"),
    "persian": ("Co.", "PJS", "Company"),
    "hispanic": ("S.A.", "S.A.S.", "Ltda.", "S.R.L.", "C.A."),
    "west_african": ("Limited", "Ltd", "SARL", "SA", "SUARL"),
    "turkic": ("LLC", "Ltd."),
    "vietnamese": ("Co., Ltd",),
    "south_asian": ("Limited", "(Pvt) Ltd"),
}

EQUIVALENT_FORMS: tuple[tuple[str, ...], ...] = (
    ("Ltd", "Limited", "Ltd."),
    ("LLC", "L.L.C.", "Limited Liability Company"),
    ("Co., Ltd.", "Company Limited", "Co. Ltd", "Co Ltd", "Co., Ltd"),
    ("SARL", "S.A.R.L.", "Société à responsabilité limitée"),
    ("SA", "S.A.", "Société Anonyme", "Sociedad Anónima"),
    ("GmbH", "Gesellschaft mit beschränkter Haftung"),
    ("AG", "Aktiengesellschaft"),
    ("Inc.", "Inc", "Incorporated"),
    ("Corp.", "Corporation", "Corp"),
    ("OOO", "Obshchestvo s Ogranichennoy Otvetstvennostyu"),
    ("JSC", "Joint Stock Company", "AO"),
    ("PLC", "Public Limited Company"),
    ("Pvt Ltd", "Private Limited", "(Pvt) Ltd", "Pvt. Ltd."),
    ("Pty Ltd", "Proprietary Limited", "(Pty) Ltd"),
    ("B.V.", "BV", "Besloten Vennootschap"),
    ("FZE", "Free Zone Establishment"),
    ("Co.", "Company", "Co"),
    ("S.A. de C.V.", "SA de CV"),
    ("Ltda.", "Limitada", "Ltda", "Lda"),
    ("A.Ş.", "Anonim Şirketi"),
    ("Pte Ltd", "Pte. Ltd."),
    ("Sdn Bhd", "Sendirian Berhad"),
    ("SAS", "S.A.S."),
    ("SPRL", "S.P.R.L."),
    ("N.V.", "NV"),
    ("S.R.L.", "SRL"),
    ("S.L.", "SL"),
    *((form,) for form in _words("SUARL WLL PJS DMCC FZCO TOO TOV LLP PAO PJSC EIRELI C.A. DAC")),
    *((form,) for form in ("Berhad", "L.P.", "Ltd. Şti.", "GmbH & Co. KG", "Sàrl")),
)
"""Spellings of one legal form: a query may write a listed company's form any of these ways."""
_FORM_GROUP = {form.casefold(): group for group in EQUIVALENT_FORMS for form in group}
_FORMS_LONGEST_FIRST = sorted(_FORM_GROUP, key=len, reverse=True)


def _culture(rng: random.Random) -> Culture:
    return CULTURES[bisect.bisect(_CULTURE_WEIGHTS, rng.random() * _CULTURE_WEIGHTS[-1])]


def person_name(culture: Culture, rng: random.Random, female: bool) -> tuple[str, str]:
    """A full name as the culture writes it (order, patronymics, compound surnames), and the
    surname in it."""
    given = culture.given(rng, female)
    surname = culture.surname(rng)
    style = culture.name
    if style == "slavic":
        father = culture.given(rng, False)
        soft = father.endswith(("i", "y"))
        patronymic = father.rstrip("iy") + ("e" if soft else "o") + ("vna" if female else "vich")
        if female and surname.endswith(("ov", "ev", "in")):
            surname += "a"
        elif female and surname.endswith("sky"):
            surname = surname[:-1] + "aya"
        return f"{given} {patronymic} {surname}", surname
    if style in ("chinese", "korean"):
        if rng.random() < 0.7:
            return f"{surname} {given}", surname
        return f"{given} {surname}", surname
    if style == "vietnamese":
        middle = "Thi" if female else rng.choice(("Van", "Duc", "Minh", "Huu", "Quoc"))
        return f"{surname} {middle} {given}", surname
    if style == "arabic":
        father = culture.given(rng, False)
        link = rng.choice(("", "", "bin ", "ibn ")) if not female else rng.choice(("", "bint "))
        return f"{given} {link}{father} {surname}", surname
    if style == "hispanic":
        surname = f"{surname} {culture.surname(rng)}"
        if rng.random() < 0.3:
            given = f"{given} {culture.given(rng, female)}"
        return f"{given} {surname}", surname
    if style == "central_african" and rng.random() < 0.5:
        postname = culture.surname(rng)
        return f"{surname} {postname} {given}", surname
    if rng.random() < 0.25:
        return f"{given} {culture.given(rng, female)} {surname}", surname
    return f"{given} {surname}", surname


def company_name(culture: Culture, country: str, rng: random.Random) -> str:
    """A company name of one of the shapes lists hold, with the country's legal form."""
    forms = LEGAL_FORMS.get(country) or _FORMS_BY_CULTURE.get(culture.name) or ("Ltd",)
    form = rng.choice(forms)
    sector = rng.choice(SECTORS)
    shape = rng.random()
    if shape < 0.3:
        name = f"{culture.surname(rng)} {sector} {form}"
    elif shape < 0.55:
        name = f"{coined(rng)} {sector} {form}"
    elif shape < 0.7:
        places = PLACES.get(country) or (coined(rng),)
        name = f"{rng.choice(places)} {coined(rng)} {sector} {form}"
    elif shape < 0.8:
        name = f"{culture.surname(rng)} & {culture.surname(rng)} {form}"
    elif shape < 0.9:
        initials = "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWZ") for _ in range(rng.randint(2, 4)))
        name = f"{initials} {sector} {rng.choice(GENERIC)} {form}"
    else:
        name = f"{coined(rng)} {rng.choice(GENERIC)} {form}"
    return name.upper() if rng.random() < 0.5 else name


def coined(rng: random.Random) -> str:
    """An invented trading name: ``Tranex``, ``Orilamar``."""
    return rng.choice(_COINED_START) + rng.choice(_COINED_MIDDLE) + rng.choice(_COINED_END)


def _birth_date(rng: random.Random) -> str | None:
    """A full birth date seven times in ten, a year two times in ten, none once."""
    draw = rng.random()
    year = rng.randint(1935, 2003)
    if draw < 0.7:
        return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return str(year) if draw < 0.9 else None


def generated_entity(number: int, rng: random.Random, prefix: str = "gen") -> EntityProxy:
    """One generated party: a Person (55 %), Company (40 %) or LegalEntity, with a country,
    a date, and now and then an alias or a registration number."""
    culture = _culture(rng)
    country = rng.choice(culture.countries)
    draw = rng.random()
    entity_id = f"{prefix}-{number:07d}"
    if draw < 0.55:
        female = rng.random() < 0.3
        name, surname = person_name(culture, rng, female)
        properties: dict[str, list[str]] = {
            "name": [_cased(name, surname, rng)],
            "nationality": [country],
        }
        properties["gender"] = ["female" if female else "male"]
        born = _birth_date(rng)
        if born is not None:
            properties["birthDate"] = [born]
        if rng.random() < 0.1:
            properties["alias"] = [_reordered(name)]
        if rng.random() < 0.1:
            properties["passportNumber"] = [f"{country.upper()}{rng.randint(10**6, 10**8)}"]
        return model.get_proxy({"id": entity_id, "schema": "Person", "properties": properties})
    schema = "Company" if draw < 0.95 else "LegalEntity"
    name = company_name(culture, country, rng)
    properties = {"name": [name], "jurisdiction": [country]}
    if rng.random() < 0.5:
        year = rng.randint(1960, 2024)
        properties["incorporationDate"] = [
            f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        ]
    if rng.random() < 0.4:
        properties["registrationNumber"] = [f"{country.upper()}-{rng.randint(10**5, 10**9)}"]
    if rng.random() < 0.1 and (short := _without_form(name)) != name:
        properties["alias"] = [short]
    return model.get_proxy({"id": entity_id, "schema": schema, "properties": properties})


def _cased(name: str, surname: str, rng: random.Random) -> str:
    """As lists write names: as given, in capitals, or with the surname in capitals (and put
    first, after a comma, where it comes last)."""
    draw = rng.random()
    if draw < 0.2:
        return name.upper()
    if draw < 0.3:
        if name.startswith(surname):
            return surname.upper() + name[len(surname) :]
        return f"{surname.upper()}, {name.removesuffix(surname).rstrip()}"
    return name


def _reordered(name: str) -> str:
    words = name.split()
    return " ".join(words[1:] + words[:1]) if len(words) > 1 else name


def _without_form(name: str) -> str:
    stripped = _split_form(name)
    return stripped[0] if stripped else name


def generated_list(size: int, seed: int) -> Iterator[EntityProxy]:
    """The generated list: ``size`` parties, the same for the same seed."""
    rng = random.Random(f"list-{seed}")
    for number in range(size):
        yield generated_entity(number, rng)


# -- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A query entity, what kind of query it is, the listed entity it was drawn from, and (for
    a typo) what was changed."""

    entity: EntityProxy
    group: str
    source: str | None = None
    change: str | None = None


def _split_form(name: str) -> tuple[str, tuple[str, ...], str] | None:
    """A company name without the legal form it ends with, the form's spellings, and the form
    (case-folded)."""
    folded = name.casefold()
    if len(folded) != len(name):
        return None
    for form in _FORMS_LONGEST_FIRST:
        if folded.endswith(form) and not folded[: -len(form)][-1:].isalnum():
            stem = name[: len(name) - len(form)].rstrip(" ,")
            if stem:
                return stem, _FORM_GROUP[form], form
    return None


def perturbed(name: str, schema: str, rng: random.Random) -> tuple[str, str]:
    """A name with one seeded change, and which: ``swap`` (two adjacent letters), ``drop`` (a
    letter), ``reorder`` (the words) or ``legal_form`` (another spelling of it, dropped, or
    added; organisations only)."""
    kinds = ["swap", "drop", "reorder"]
    if schema != "Person":
        kinds.append("legal_form")
    kind = rng.choice(kinds)
    words = name.split()
    if kind == "reorder" and len(words) > 1:
        rng.shuffle(words)
        changed = " ".join(words)
        if changed != name:
            return changed, kind
        return " ".join(words[1:] + words[:1]), kind
    if kind == "legal_form":
        found = _split_form(name)
        if found is None:
            return f"{name} {rng.choice(('LTD', 'LLC', 'Co.', 'SA', 'Limited'))}", kind
        stem, group, form = found
        others = [other for other in group if other.casefold() != form]
        if not others or rng.random() < 0.25:
            return stem, kind
        return f"{stem} {rng.choice(others)}", kind
    letters = [i for i in range(len(name) - 1) if name[i].isalpha() and name[i + 1].isalpha()]
    if kind == "drop" or not letters:
        droppable = [i for i, char in enumerate(name) if char.isalpha()]
        if len(droppable) > 3:
            at = rng.choice(droppable)
            return name[:at] + name[at + 1 :], "drop"
    swappable = [i for i in letters if name[i] != name[i + 1]]
    if swappable:
        at = rng.choice(swappable)
        return name[:at] + name[at + 1] + name[at] + name[at + 2 :], "swap"
    return name, "unchanged"


def typo_query(number: int, source: EntityProxy, rng: random.Random) -> Query:
    """A query for a listed entity under one of its names with a typo, and half the time its
    birth date and half the time its country (what a screening form would hold)."""
    names = sorted(set(source.get("name")) | set(source.get("alias", quiet=True)))
    name, kind = perturbed(rng.choice(names), source.schema.name, rng)
    entity = model.make_entity(source.schema.name)
    entity.id = f"q-typo-{number}"
    entity.add("name", name)
    if source.schema.is_a("Person"):
        dates = source.get("birthDate", quiet=True)
        if dates and rng.random() < 0.5:
            entity.add("birthDate", rng.choice(dates))
        countries = sorted(source.get_type_values(registry.country))
        if countries and rng.random() < 0.5:
            entity.add("nationality", rng.choice(countries))
    else:
        countries = sorted(source.get_type_values(registry.country))
        if countries and rng.random() < 0.5:
            entity.add("country", rng.choice(countries))
    return Query(entity, "typo", str(source.id), change=kind)


def make_queries(
    total: int,
    positives: Sequence[Query],
    negatives: Sequence[Query],
    sources: Sequence[EntityProxy],
    rng: random.Random,
) -> list[Query]:
    """``total`` queries: yente's positives and negatives (all of them at 10^4, proportionally
    fewer below), then typos of the sources' names and fictional parties, 60:40."""
    share = min(1.0, total / FULL_QUERIES)
    chosen_positives = _subset(positives, round(len(positives) * share), rng)
    chosen_negatives = _subset(negatives, round(len(negatives) * share), rng)
    rest = max(0, total - len(chosen_positives) - len(chosen_negatives))
    typos = round(rest * TYPO_SHARE) if sources else 0
    queries = [*chosen_positives, *chosen_negatives]
    queries.extend(typo_query(number, rng.choice(sources), rng) for number in range(typos))
    for number in range(rest - typos):
        entity = generated_entity(number, rng, prefix="q-fictional")
        queries.append(Query(entity, "fictional"))
    return queries[:total]


def _subset(items: Sequence[Query], count: int, rng: random.Random) -> list[Query]:
    if count >= len(items):
        return list(items)
    return [items[i] for i in sorted(rng.sample(range(len(items)), count))]


def yente_queries(
    listed: Sequence[EntityProxy] | None,
) -> tuple[list[Query], list[Query], list[str]]:
    """yente's treated UN positives (with ``listed``, the UN list: each with its source where
    the untreated query names one) and its synthetic negatives; notes on what was absent."""
    notes: list[str] = []
    positives: list[Query] = []
    if POSITIVES.is_file():
        treated = read_query_persons(POSITIVES, prefix="q-yente-pos")
        sources: list[str | None] = [None] * len(treated)
        if listed is not None and POSITIVES_UNTREATED.is_file():
            untreated = read_query_persons(POSITIVES_UNTREATED, prefix="plain")
            sources = find_sources(untreated, listed)
        elif listed is not None:
            notes.append(f"{POSITIVES_UNTREATED} absent: the positives are unlabelled")
        positives = [
            Query(entity, "yente_positive", source)
            for entity, source in zip(treated, sources, strict=True)
        ]
    else:
        notes.append(f"{POSITIVES} absent: no yente positives")
    negatives: list[Query] = []
    for path in NEGATIVES:
        if path.is_file():
            prefix = f"q-yente-neg-{path.stem.rsplit('_', 2)[-2]}"
            negatives.extend(
                Query(e, "yente_negative") for e in read_query_persons(path, prefix=prefix)
            )
        else:
            notes.append(f"{path} absent")
    return positives, negatives, notes


# -- screening ---------------------------------------------------------------------------------


def screen(index: MatchIndex, queries: Sequence[Query], processes: int) -> dict[str, Any]:
    """Time the load of rigour's name database (once per process, before the first query
    compares people's names), then all the queries on ``processes``."""
    started = time.perf_counter()
    load_name_variants()
    load = time.perf_counter() - started
    log(f"  rigour's name database loaded: {load:.2f} s")
    started = time.perf_counter()
    answers = search_many(index, [q.entity for q in queries], limit=LIMIT, processes=processes)
    seconds = time.perf_counter() - started
    log(f"  {len(queries):,} queries on {processes} processes: {seconds:.2f} s")
    groups: dict[str, dict[str, int]] = {}
    for query, matches in zip(queries, answers, strict=True):
        counts = groups.setdefault(query.group, {"queries": 0, "reported": 0})
        counts["queries"] += 1
        counts["reported"] += bool(matches)
        if query.source is not None:
            found = any(match.candidate_id == query.source for match in matches)
            counts["with_source"] = counts.get("with_source", 0) + 1
            counts["source_reported"] = counts.get("source_reported", 0) + found
    return {
        "name_database_seconds": round(load, 3),
        "search_seconds": round(seconds, 3),
        "queries_per_second": round(len(queries) / seconds, 1),
        "processes": processes,
        "by_group": dict(sorted(groups.items())),
    }


def _timed(items: Iterable[EntityProxy], spent: list[float]) -> Iterator[EntityProxy]:
    """The items, with the time spent producing them added to ``spent[0]``."""
    iterator = iter(items)
    while True:
        started = time.perf_counter()
        try:
            item = next(iterator)
        except StopIteration:
            spent[0] += time.perf_counter() - started
            return
        spent[0] += time.perf_counter() - started
        yield item


def index_figures(index: MatchIndex) -> dict[str, Any]:
    """The size of an index, as :meth:`MatchIndex.stats` gives it."""
    stats = index.stats()
    return {
        "entities": stats.entities,
        "skipped": stats.skipped,
        "distinct_tokens": stats.tokens,
        "postings": stats.postings,
        "token_variants": stats.variants,
        "array_mb": round(stats.nbytes / 2**20, 1),
    }


def run_lists(args: argparse.Namespace) -> dict[str, Any]:
    """Step ``lists`` (in its own process): OFAC + UN, 10^4 queries; writes the pairs file."""
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    ofac = read_list(OFAC_SDN)
    un = read_list(UN_SC)
    read_seconds = time.perf_counter() - started
    listed = [entry.entity for entry in (*ofac.entries, *un.entries)]
    log(f"read {len(listed):,} listed parties in {read_seconds:.1f} s")
    started = time.perf_counter()
    index = MatchIndex.build(listed)
    build = time.perf_counter() - started
    log(f"indexed them in {build:.2f} s")
    un_entities = [entry.entity for entry in un.entries]
    positives, negatives, notes = yente_queries(un_entities)
    rng = random.Random(f"queries-{args.seed}")
    queries = make_queries(args.queries, positives, negatives, listed, rng)
    log(f"screening {len(queries):,} queries")
    screened = screen(index, queries, args.processes)
    total = build + screened["search_seconds"]
    cold = total + screened["name_database_seconds"]
    log("  the same queries on one process")
    started = time.perf_counter()
    search_many(index, [q.entity for q in queries], limit=LIMIT)
    one_process = time.perf_counter() - started
    log(f"  {one_process:.2f} s")
    log("best candidate of each query at any score, for the pairs")
    started = time.perf_counter()
    nearest = search_many(
        index, [q.entity for q in queries], limit=LIMIT, threshold=0.0, processes=args.processes
    )
    nearest_seconds = time.perf_counter() - started
    by_id = {str(entity.id): entity for entity in listed}
    ranks = _source_ranks(queries, nearest)
    count = write_pairs(Path(args.pairs_file), queries, nearest, by_id, args.pairs, rng)
    log(f"  wrote {count:,} pairs")
    return {
        "entities": len(listed),
        "lists": {
            ofac.list_id: {"file": OFAC_SDN.name, "entries": len(ofac.entries)},
            un.list_id: {"file": UN_SC.name, "entries": len(un.entries)},
        },
        "queries": len(queries),
        "read_seconds": round(read_seconds, 2),
        "build_seconds": round(build, 3),
        **screened,
        "total_seconds": round(total, 2),
        "cold_total_seconds": round(cold, 2),
        "one_process": {
            "search_seconds": round(one_process, 2),
            "queries_per_second": round(len(queries) / one_process, 1),
        },
        "nearest_pass": {"threshold": 0.0, "seconds": round(nearest_seconds, 2), **ranks},
        "index": index_figures(index),
        "rss_after_imports_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
        "workers_peak_rss_mb": workers_peak_rss_mb(),
        "target": f"{FULL_QUERIES:,} queries: build + search < {TARGET_LISTS_SECONDS:g} s "
        "(cold: + the name database's load)",
        # A smaller run is not judged against the target.
        "met": total < TARGET_LISTS_SECONDS if len(queries) >= FULL_QUERIES else None,
        "met_cold": cold < TARGET_LISTS_SECONDS if len(queries) >= FULL_QUERIES else None,
        "notes": notes,
    }


def _source_ranks(queries: Sequence[Query], answers: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """For the queries of known source, by group: how often it comes first, or in the ten."""
    found: dict[str, dict[str, int]] = {}
    for query, matches in zip(queries, answers, strict=True):
        if query.source is None:
            continue
        ids = [match.candidate_id for match in matches]
        counts = found.setdefault(query.group, {"with_source": 0, "first": 0, "in_top_10": 0})
        counts["with_source"] += 1
        counts["first"] += bool(ids) and ids[0] == query.source
        counts["in_top_10"] += query.source in ids
    return {"source_rank": dict(sorted(found.items()))}


def write_pairs(
    path: Path,
    queries: Sequence[Query],
    nearest: Sequence[Sequence[Any]],
    by_id: dict[str, EntityProxy],
    wanted: int,
    rng: random.Random,
) -> int:
    """Write the pairs to score side by side: every yente query with its best candidate, then
    other queries drawn at random up to ``wanted`` queries; and each query of known source with
    its source when that is not its best candidate (or it has none). One JSON object a line.

    Labels: a query with its source is a match; a yente negative with its best candidate is
    not. Any other pair is unlabelled: OFAC lists many of the UN's parties too, so the best
    candidate of a UN positive (or of a typo of a listed name) other than its source may well be
    the same party."""
    yente = [i for i, q in enumerate(queries) if q.group.startswith("yente")]
    others = [i for i, q in enumerate(queries) if not q.group.startswith("yente") and nearest[i]]
    room = max(0, wanted - len(yente))
    chosen = sorted(yente + (others if room >= len(others) else rng.sample(others, room)))
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for i in chosen:
            query = queries[i]
            best = nearest[i][0].candidate_id if nearest[i] else None
            pairs = [("best", best)] if best is not None else []
            if query.source is not None and query.source != best:
                pairs.append(("source", query.source))
            for kind, candidate in pairs:
                label = None
                if query.source is not None and candidate == query.source:
                    label = True
                elif query.group == "yente_negative":
                    label = False
                row = {
                    "query": query.entity.to_dict(),
                    "candidate": by_id[candidate].to_dict(),
                    "group": query.group,
                    "change": query.change,
                    "kind": kind,
                    "label": label,
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    return count


def run_scale(args: argparse.Namespace) -> dict[str, Any]:
    """Step ``scale`` (in its own process): a generated list of ``--entities``, 10^4 queries."""
    rss_before = peak_rss_mb()
    if args.write_list:
        log(f"writing the generated list to {args.write_list}")
        with Path(args.write_list).open("w", encoding="utf-8") as out:
            for entity in generated_list(args.entities, args.seed):
                # ``target``: a listed party, as OpenSanctions' exports mark one (read_list).
                line = {**entity.to_dict(), "target": True}
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
    wanted_sources = max(1, args.queries)
    every = max(1, args.entities // wanted_sources)
    sample: list[EntityProxy] = []

    def sampled() -> Iterator[EntityProxy]:
        for number, entity in enumerate(generated_list(args.entities, args.seed)):
            if number % every == 0:
                sample.append(entity)
            yield entity
            if number and number % 200_000 == 0:
                log(f"  {number:,} entities")

    log(f"generating and indexing {args.entities:,} entities")
    generating = [0.0]
    started = time.perf_counter()
    index = MatchIndex.build(_timed(sampled(), generating))
    elapsed = time.perf_counter() - started
    build = elapsed - generating[0]
    peak_after_build = peak_rss_mb()
    log(f"  indexed in {build:.1f} s (+ {generating[0]:.1f} s generating)")
    positives, negatives, notes = yente_queries(None)
    rng = random.Random(f"scale-queries-{args.seed}")
    queries = make_queries(args.queries, positives, negatives, sample, rng)
    log(f"screening {len(queries):,} queries")
    screened = screen(index, queries, args.processes)
    total = build + screened["search_seconds"]
    cold = total + screened["name_database_seconds"]
    full = len(queries) >= FULL_QUERIES and args.entities >= FULL_ENTITIES
    return {
        "entities": args.entities,
        "queries": len(queries),
        "generate_seconds": round(generating[0], 2),
        "build_seconds": round(build, 2),
        **screened,
        "total_seconds": round(total, 2),
        "cold_total_seconds": round(cold, 2),
        "index": index_figures(index),
        "rss_after_imports_mb": rss_before,
        "peak_rss_after_build_mb": peak_after_build,
        "peak_rss_mb": peak_rss_mb(),
        "workers_peak_rss_mb": workers_peak_rss_mb(),
        "target": f"{FULL_QUERIES:,} queries, {FULL_ENTITIES:,} entities: build + search "
        f"< {TARGET_SCALE_SECONDS:g} s (cold: + the name database's load)",
        "met": total < TARGET_SCALE_SECONDS if full else None,
        "met_cold": cold < TARGET_SCALE_SECONDS if full else None,
        "notes": [
            *notes,
            "yente's queries are asked here too, unlabelled; a typo query's source may share its "
            "name with other generated parties, so source_reported is a lower bound",
        ],
    }


# -- pairs, side by side -----------------------------------------------------------------------


def run_pairs(args: argparse.Namespace) -> dict[str, Any]:
    """Step ``pairs`` (in its own process): the same pairs scored by ours and by logic-v2."""
    rows = [json.loads(line) for line in Path(args.pairs_file).read_text("utf-8").splitlines()]
    pairs = [(model.get_proxy(r["query"]), model.get_proxy(r["candidate"])) for r in rows]
    warm_rng = random.Random(f"warm-{args.seed}")
    warm_up = [
        (generated_entity(n, warm_rng, "warm-q"), generated_entity(n, warm_rng, "warm-c"))
        for n in range(WARM_UP_PAIRS)
    ]
    ours = _Side("ours", lambda q, c: score_pair(q, c).score)
    try:
        from nomenklatura.matching.logic_v2.model import LogicV2
    except ImportError:
        log("nomenklatura is not installed (pip install nomenklatura): ours alone")
        peer = None
    else:
        config = LogicV2.default_config()
        peer = _Side("peer", lambda q, c: LogicV2.compare(q, c, config).score)
    sides = [side for side in (ours, peer) if side is not None]
    for side in sides:
        side.score(warm_up)
    for round_number in (1, 2):
        for side in sides:
            seconds = side.score(pairs)
            side.seconds.append(seconds)
            log(f"  round {round_number}, {side.name}: {len(pairs) / seconds:,.0f} pairs/s")
    report: dict[str, Any] = {
        "pairs": len(pairs),
        "by_kind": _count(r["kind"] for r in rows),
        "by_group": _count(r["group"] for r in rows),
        "warm_up_pairs": WARM_UP_PAIRS,
        "ours": ours.figures(len(pairs)),
        "ours_is": "oresight.screening.matching.score_pair(query, candidate) on FtM entities",
    }
    labels = [r["label"] for r in rows]
    groups = [f"typo:{r['change']}" if r["group"] == "typo" else r["group"] for r in rows]
    report["labelled"] = {"ours": _quality(ours.scores, labels, groups, DEFAULT_THRESHOLD)}
    if peer is not None:
        report["peer"] = peer.figures(len(pairs))
        report["peer_is"] = (
            "nomenklatura LogicV2.compare(query, candidate, LogicV2.default_config())"
        )
        report["ratio"] = round(
            report["ours"]["pairs_per_second"] / report["peer"]["pairs_per_second"], 2
        )
        report["ratio_second_round"] = round(
            report["ours"]["second_round_pairs_per_second"]
            / report["peer"]["second_round_pairs_per_second"],
            2,
        )
        report["labelled"]["peer"] = _quality(peer.scores, labels, groups, LOGIC_V2_THRESHOLD)
        report["agreement"] = _agreement(rows, ours.scores, peer.scores)
    report["peak_rss_mb"] = peak_rss_mb()
    return report


@dataclass
class _Side:
    """One matcher's pass over the pairs: its scores and the seconds of each round."""

    name: str
    function: Callable[[EntityProxy, EntityProxy], float]
    scores: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def score(self, pairs: Sequence[tuple[EntityProxy, EntityProxy]]) -> float:
        function = self.function
        started = time.perf_counter()
        scores = [function(query, candidate) for query, candidate in pairs]
        seconds = time.perf_counter() - started
        self.scores = scores
        return seconds

    def figures(self, pairs: int) -> dict[str, Any]:
        first, second = self.seconds
        return {
            "pairs_per_second": round(pairs / first, 1),
            "seconds": round(first, 3),
            "second_round_pairs_per_second": round(pairs / second, 1),
            "second_round_seconds": round(second, 3),
        }


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def _quality(
    scores: Sequence[float], labels: Sequence[bool | None], groups: Sequence[str], threshold: float
) -> dict[str, Any]:
    """Precision and recall at the threshold on yente's labelled pairs; recall alone on the
    typos' (whose only labelled pairs are matches)."""
    labelled = [
        (score, label, group)
        for score, label, group in zip(scores, labels, groups, strict=True)
        if label is not None
    ]
    yente = confusion([(s, label) for s, label, g in labelled if g.startswith("yente")], threshold)
    changes = sorted({g for _s, _label, g in labelled if g.startswith("typo:")})
    typo = confusion([(s, label) for s, label, g in labelled if g in changes], threshold)
    by_change = {}
    for change in changes:
        found = confusion([(s, label) for s, label, g in labelled if g == change], threshold)
        by_change[change.removeprefix("typo:")] = {
            "pairs": found.pairs,
            "recall": round(found.recall, 4),
        }
    return {
        "threshold": threshold,
        "yente": yente.as_dict(),
        "typo": {
            "pairs": typo.pairs,
            "recall": round(typo.recall, 4),
            "tp": typo.true_positives,
            "fn": typo.false_negatives,
            "by_change": by_change,
        },
    }


def _agreement(
    rows: Sequence[dict[str, Any]], ours: Sequence[float], peer: Sequence[float]
) -> dict[str, Any]:
    """How often both call a pair a match, or both do not, at their own thresholds."""
    both = neither = ours_only = peer_only = 0
    examples: dict[str, list[dict[str, Any]]] = {"ours_only": [], "peer_only": []}
    for row, mine, theirs in zip(rows, ours, peer, strict=True):
        called, peer_called = mine >= DEFAULT_THRESHOLD, theirs >= LOGIC_V2_THRESHOLD
        if called and peer_called:
            both += 1
        elif not called and not peer_called:
            neither += 1
        else:
            key = "ours_only" if called else "peer_only"
            if called:
                ours_only += 1
            else:
                peer_only += 1
            if len(examples[key]) < 5:
                examples[key].append(
                    {
                        "query": _caption(row["query"]),
                        "candidate": _caption(row["candidate"]),
                        "label": row["label"],
                        "ours": round(mine, 3),
                        "peer": round(theirs, 3),
                    }
                )
    total = len(rows)
    return {
        "pairs": total,
        "share": round((both + neither) / total, 4) if total else None,
        "both_match": both,
        "neither": neither,
        "ours_only": ours_only,
        "peer_only": peer_only,
        "examples": examples,
    }


def _caption(entity: dict[str, Any]) -> str:
    properties = entity.get("properties", {})
    names = properties.get("name") or ["?"]
    extra = [
        value
        for prop in ("birthDate", "nationality", "country")
        for value in properties.get(prop, [])
    ]
    return f"{entity['schema']} {names[0]}" + (f" ({', '.join(extra)})" if extra else "")


# -- the run -----------------------------------------------------------------------------------


def child(step: str, args: argparse.Namespace, pairs_file: Path) -> dict[str, Any]:
    """Run one step in a fresh interpreter; its JSON result."""
    command = [
        sys.executable,
        __file__,
        "--child",
        step,
        "--pairs-file",
        str(pairs_file),
        "--entities",
        str(args.entities),
        "--queries",
        str(args.queries),
        "--pairs",
        str(args.pairs),
        "--processes",
        str(args.processes),
        "--seed",
        str(args.seed),
    ]
    if args.write_list:
        command += ["--write-list", str(args.write_list)]
    environment = {**os.environ, _STARTED_AT: str(_LOG_START)}
    finished = subprocess.run(
        command, check=True, stdout=subprocess.PIPE, text=True, env=environment
    )
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


def machine() -> dict[str, Any]:
    """Where the run ran, and the versions that matter."""
    return measure.machine(("followthemoney", "rigour", "numpy", "rapidfuzz", "nomenklatura"))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--child``, one step of it) and print its JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--entities", type=int, default=FULL_ENTITIES, help="size of the generated list"
    )
    parser.add_argument("--queries", type=int, default=FULL_QUERIES, help="queries per list")
    parser.add_argument("--pairs", type=int, default=5_000, help="queries whose pairs are scored")
    parser.add_argument("--processes", type=int, default=2, help="search worker processes")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument(
        "--skip", action="append", choices=("lists", "pairs", "scale"), default=[], help="a step"
    )
    parser.add_argument(
        "--write-list", type=Path, help="also write the generated list (FtM JSON lines)"
    )
    parser.add_argument("--child", choices=("lists", "pairs", "scale"), help=argparse.SUPPRESS)
    parser.add_argument("--pairs-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for option in ("entities", "queries", "pairs", "processes"):
        if getattr(args, option) < 1:
            parser.error(f"--{option} must be at least 1")
    if args.child:
        runs = {"lists": run_lists, "pairs": run_pairs, "scale": run_scale}
        print(json.dumps(runs[args.child](args), ensure_ascii=False))
        return 0
    report: dict[str, Any] = {
        "benchmark": "oresight screening vs nomenklatura logic-v2",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "options": {
            "entities": args.entities,
            "queries": args.queries,
            "pairs": args.pairs,
            "processes": args.processes,
            "seed": args.seed,
        },
        "machine": machine(),
        "default_threshold": DEFAULT_THRESHOLD,
        "logic_v2_threshold": LOGIC_V2_THRESHOLD,
    }
    skipped: dict[str, str] = {step: "--skip" for step in args.skip}
    missing = [path for path in (OFAC_SDN, UN_SC) if not path.is_file()]
    if missing and "lists" not in skipped:
        reason = "absent: " + ", ".join(str(path) for path in missing)
        log(f"skipping the lists and pairs steps: {reason}")
        skipped["lists"] = skipped["pairs"] = reason
    if "lists" in skipped and "pairs" not in skipped:
        skipped["pairs"] = "needs the lists step"
    with tempfile.TemporaryDirectory(prefix="oresight-screening-") as temp:
        pairs_file = Path(temp) / "pairs.jsonl"
        if "lists" not in skipped:
            log(f"step lists: OFAC SDN + UN, {args.queries:,} queries")
            report["lists"] = child("lists", args, pairs_file)
        if "pairs" not in skipped:
            log("step pairs: ours and logic-v2 on the same pairs")
            report["pairs"] = child("pairs", args, pairs_file)
        if "scale" not in skipped:
            log(f"step scale: {args.entities:,} generated entities, {args.queries:,} queries")
            report["scale"] = child("scale", args, pairs_file)
    report["skipped"] = skipped
    measured = [report[step]["met"] for step in ("lists", "scale") if step in report]
    report["targets_met"] = bool(measured) and all(met is True for met in measured)
    cold = [report[step]["met_cold"] for step in ("lists", "scale") if step in report]
    report["targets_met_cold"] = bool(cold) and all(met is True for met in cold)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if report["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
