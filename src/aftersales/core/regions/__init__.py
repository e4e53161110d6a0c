"""China's administrative divisions (GB/T 2260 codes): province / city / district.

The table is bundled in ``data.json`` (a flat ``{"PPCCDD": name}`` map; where it comes
from, its edition, licence and the script that regenerates it are in ``SOURCE.md``).
It is read once, on first use.

The three levels are presented the way a customer's address is stored:

* Municipalities (北京市, 天津市, 上海市, 重庆市) have one city, named like the
  municipality, with code ``PP0100``: 上海市 / 上海市 / 浦东新区.
* County-level units administered directly by a province (省直辖县级行政区划,
  e.g. 河南省 济源市, 湖北省 仙桃市, 海南省 琼海市) are cities of their own, keeping
  their county code (济源市 is ``419001``) and having no districts.
* Prefecture-level cities without districts (东莞市, 中山市, 儋州市, 嘉峪关市) have
  no districts either: their district is left empty.
* Hong Kong, Macao and Taiwan are provinces without cities.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = [
    "UNKNOWN_CITY",
    "UNKNOWN_DISTRICT",
    "UNKNOWN_PROVINCE",
    "Region",
    "by_code",
    "check",
    "cities",
    "districts",
    "provinces",
]

UNKNOWN_PROVINCE = "Unknown province."
UNKNOWN_CITY = "Unknown city for this province."
UNKNOWN_DISTRICT = "Unknown district for this city."

_DATA = Path(__file__).with_name("data.json")
_MUNICIPALITIES = frozenset({"11", "12", "31", "50"})


@dataclass(frozen=True)
class Region:
    code: str
    name: str


@dataclass(frozen=True)
class _Table:
    provinces: tuple[Region, ...]
    province_index: dict[str, Region]  # code or name -> province
    cities: dict[str, tuple[Region, ...]]  # province code -> cities
    districts: dict[str, tuple[Region, ...]]  # city code -> districts
    names: dict[str, tuple[str, str, str]]  # any known code -> (province, city, district)


def _city_code(code: str, raw: dict[str, str]) -> str | None:
    """The code of the city a county-level ``code`` belongs to, None if it is a city itself."""
    if code[:2] in _MUNICIPALITIES:
        return code[:2] + "0100"
    parent = code[:4] + "00"
    return parent if parent in raw else None


@cache
def _table() -> _Table:
    raw: dict[str, str] = json.loads(_DATA.read_text(encoding="utf-8"))
    provs: list[Region] = []
    cities: dict[str, list[Region]] = {}
    districts: dict[str, list[Region]] = {}
    names: dict[str, tuple[str, str, str]] = {}
    for code, name in sorted(raw.items()):
        pcode = code[:2] + "0000"
        pname = raw[pcode]
        if code == pcode:
            provs.append(Region(code, name))
            cities[code] = []
            if code[:2] in _MUNICIPALITIES:
                city = Region(code[:2] + "0100", name)
                cities[code].append(city)
                districts[city.code] = []
                names[code] = names[city.code] = (name, name, "")
            else:
                names[code] = (name, "", "")
            continue
        ccode = _city_code(code, raw)
        if ccode is None or ccode == code:  # a prefecture, or a county-level unit under the province
            cities[pcode].append(Region(code, name))
            districts[code] = []
            names[code] = (pname, name, "")
        else:
            cname = pname if code[:2] in _MUNICIPALITIES else raw[ccode]
            districts[ccode].append(Region(code, name))
            names[code] = (pname, cname, name)
    index = {p.code: p for p in provs} | {p.name: p for p in provs}
    return _Table(
        provinces=tuple(provs),
        province_index=index,
        cities={k: tuple(v) for k, v in cities.items()},
        districts={k: tuple(v) for k, v in districts.items()},
        names=names,
    )


def _find(regions: tuple[Region, ...], key: str) -> Region | None:
    key = key.strip()
    for region in regions:
        if key in (region.code, region.name):
            return region
    return None


def _province(key: str) -> Region | None:
    return _table().province_index.get(key.strip())


def provinces() -> list[Region]:
    """All 34 provincial-level divisions, by code."""
    return list(_table().provinces)


def cities(province: str) -> list[Region]:
    """The cities of a province given by code or name; empty if it is unknown or has none."""
    prov = _province(province)
    return list(_table().cities[prov.code]) if prov else []


def districts(province: str, city: str) -> list[Region]:
    """The districts of a city (province and city by code or name); empty if unknown or none."""
    prov = _province(province)
    if prov is None:
        return []
    table = _table()
    found = _find(table.cities[prov.code], city)
    return list(table.districts[found.code]) if found else []


def check(province: str, city: str, district: str) -> str | None:
    """None if the names (any may be empty) are consistent, else one of the ``UNKNOWN_*`` keys.

    A city without a province is reported as ``UNKNOWN_PROVINCE`` and a district without a
    city as ``UNKNOWN_CITY``. Names must match the table exactly (surrounding blanks ignored).
    """
    province, city, district = province.strip(), city.strip(), district.strip()
    if not province:
        return UNKNOWN_PROVINCE if city or district else None
    table = _table()
    prov = table.province_index.get(province)
    if prov is None or prov.name != province:
        return UNKNOWN_PROVINCE
    if not city:
        return UNKNOWN_CITY if district else None
    found = next((c for c in table.cities[prov.code] if c.name == city), None)
    if found is None:
        return UNKNOWN_CITY
    if district and all(d.name != district for d in table.districts[found.code]):
        return UNKNOWN_DISTRICT
    return None


def by_code(code: str) -> tuple[str, str, str]:
    """(province, city, district) names for a 6-digit code, e.g. a resident ID's first six digits.

    A code no longer in the table gives the levels that are still known (its province, and its
    city if that exists); ("", "", "") if even the province is unknown or the code is malformed.
    """
    code = code.strip()
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return ("", "", "")
    names = _table().names
    if code in names:
        return names[code]
    prov = names.get(code[:2] + "0000")
    if prov is None:
        return ("", "", "")
    if code[:2] in _MUNICIPALITIES:
        return prov
    city = names.get(code[:4] + "00")
    return (prov[0], city[1] if city else "", "")
