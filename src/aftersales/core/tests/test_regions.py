"""The bundled GB/T 2260 division table and its lookups (no database)."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from aftersales.core import regions
from aftersales.core.regions import (
    UNKNOWN_CITY,
    UNKNOWN_DISTRICT,
    UNKNOWN_PROVINCE,
    Region,
    by_code,
    check,
    cities,
    districts,
    provinces,
)

MUNICIPALITIES = {"110000": "北京市", "120000": "天津市", "310000": "上海市", "500000": "重庆市"}


def test_data_file_is_a_flat_map_of_six_digit_codes() -> None:
    raw = json.loads(Path(regions.__file__).with_name("data.json").read_text(encoding="utf-8"))
    assert len(raw) == 3214
    assert all(len(code) == 6 and code.isdigit() for code in raw)
    assert all(code[:2] + "0000" in raw for code in raw)
    assert all(name and name == name.strip() for name in raw.values())


def test_provinces() -> None:
    provs = provinces()
    assert len(provs) == 34
    assert provs[0] == Region("110000", "北京市")
    assert [p.code for p in provs] == sorted(p.code for p in provs)
    assert all(p.code.endswith("0000") for p in provs)
    assert len({p.name for p in provs}) == 34
    assert provs[-3:] == [
        Region("710000", "台湾省"),
        Region("810000", "香港特别行政区"),
        Region("820000", "澳门特别行政区"),
    ]
    assert Region("440000", "广东省") in provs
    assert Region("650000", "新疆维吾尔自治区") in provs


def test_level_totals_and_unique_names_under_each_parent() -> None:
    n_cities = n_districts = 0
    for prov in provinces():
        cs = cities(prov.code)
        n_cities += len(cs)
        assert not [n for n, k in Counter(c.name for c in cs).items() if k > 1], prov
        for city in cs:
            assert city.code[:2] == prov.code[:2]
            ds = districts(prov.code, city.code)
            n_districts += len(ds)
            assert not [n for n, k in Counter(d.name for d in ds).items() if k > 1], city
            assert all(d.code[:2] == prov.code[:2] and not d.code.endswith("00") for d in ds)
    assert (n_cities, n_districts) == (370, 2814)


def test_municipalities_have_one_city_named_like_themselves() -> None:
    for code, name in MUNICIPALITIES.items():
        expected = [Region(code[:2] + "0100", name)]
        assert cities(code) == expected
        assert cities(name) == expected
    assert cities("310000") == [Region("310100", "上海市")]
    shanghai = districts("上海市", "上海市")
    assert len(shanghai) == 16
    assert Region("310115", "浦东新区") in shanghai
    assert districts("310000", "310100") == shanghai
    assert districts(" 上海市 ", "310100") == shanghai
    # Chongqing's former 县 (5002xx) sit beside its districts under the one city.
    chongqing = districts("重庆市", "重庆市")
    assert len(chongqing) == 37
    assert Region("500229", "城口县") in chongqing
    assert Region("500101", "万州区") in chongqing


def test_ordinary_province_cities_and_districts() -> None:
    guangdong = cities("广东省")
    assert len(guangdong) == 21
    assert guangdong[0] == Region("440100", "广州市")
    assert cities("440000") == guangdong
    assert Region("440305", "南山区") in districts("广东省", "深圳市")
    assert districts("440000", "440300") == districts("广东省", "深圳市")
    assert len(cities("河北省")) == 11


def test_cities_without_districts() -> None:
    for prov, city, code in [
        ("广东省", "东莞市", "441900"),
        ("广东省", "中山市", "442000"),
        ("海南省", "儋州市", "460400"),
        ("甘肃省", "嘉峪关市", "620200"),
    ]:
        assert Region(code, city) in cities(prov)
        assert districts(prov, city) == []
        assert check(prov, city, "") is None


def test_province_administered_county_level_units_are_cities() -> None:
    henan = cities("河南省")
    assert len(henan) == 18
    assert henan[-1] == Region("419001", "济源市")
    assert [c for c in cities("湖北省") if c.code.startswith("429")] == [
        Region("429004", "仙桃市"),
        Region("429005", "潜江市"),
        Region("429006", "天门市"),
        Region("429021", "神农架林区"),
    ]
    assert Region("469002", "琼海市") in cities("海南省")
    assert Region("659001", "石河子市") in cities("新疆维吾尔自治区")
    assert "省直辖县级行政区划" not in {c.name for p in provinces() for c in cities(p.code)}
    assert districts("河南省", "济源市") == []
    assert check("湖北省", "仙桃市", "") is None


def test_hong_kong_macao_taiwan_have_no_cities() -> None:
    for code in ("710000", "810000", "820000"):
        assert cities(code) == []
    assert check("香港特别行政区", "", "") is None


def test_unknown_keys_give_empty_lists() -> None:
    assert cities("火星") == []
    assert cities("") == []
    assert districts("火星", "上海市") == []
    assert districts("上海市", "北京市") == []
    assert districts("广东省", "310100") == []


def test_check_consistent() -> None:
    assert check("", "", "") is None
    assert check("上海市", "", "") is None
    assert check("上海市", "上海市", "") is None
    assert check("上海市", "上海市", "浦东新区") is None
    assert check("广东省", "深圳市", "南山区") is None
    assert check("广东省", "东莞市", "") is None
    assert check(" 广东省 ", "深圳市 ", " 南山区") is None


def test_check_names_the_wrong_field() -> None:
    assert check("广东", "", "") == UNKNOWN_PROVINCE
    assert check("440000", "", "") == UNKNOWN_PROVINCE
    assert check("", "上海市", "") == UNKNOWN_PROVINCE
    assert check("", "", "浦东新区") == UNKNOWN_PROVINCE
    assert check("广东省", "上海市", "") == UNKNOWN_CITY
    assert check("上海市", "", "浦东新区") == UNKNOWN_CITY
    assert check("上海市", "市辖区", "浦东新区") == UNKNOWN_CITY
    assert check("河南省", "省直辖县级行政区划", "济源市") == UNKNOWN_CITY
    assert check("广东省", "深圳市", "浦东新区") == UNKNOWN_DISTRICT
    assert check("广东省", "东莞市", "虎门镇") == UNKNOWN_DISTRICT
    assert check("上海市", "上海市", "卢湾区") == UNKNOWN_DISTRICT  # merged into 黄浦区 in 2011
    assert len({UNKNOWN_PROVINCE, UNKNOWN_CITY, UNKNOWN_DISTRICT}) == 3


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("310115", ("上海市", "上海市", "浦东新区")),
        ("110101", ("北京市", "北京市", "东城区")),
        ("500229", ("重庆市", "重庆市", "城口县")),
        ("440305", ("广东省", "深圳市", "南山区")),
        ("440300", ("广东省", "深圳市", "")),
        ("441900", ("广东省", "东莞市", "")),
        ("419001", ("河南省", "济源市", "")),
        ("429004", ("湖北省", "仙桃市", "")),
        ("469002", ("海南省", "琼海市", "")),
        ("440000", ("广东省", "", "")),
        ("310000", ("上海市", "上海市", "")),
        ("310100", ("上海市", "上海市", "")),
        ("810000", ("香港特别行政区", "", "")),
        # Codes no longer in the table: the levels still known.
        ("310103", ("上海市", "上海市", "")),  # 卢湾区, abolished 2011
        ("320511", ("江苏省", "苏州市", "")),  # 平江区, abolished 2012
        ("429000", ("湖北省", "", "")),
        ("990000", ("", "", "")),
        ("000000", ("", "", "")),
        # Malformed input.
        ("", ("", "", "")),
        ("31011", ("", "", "")),
        ("3101150", ("", "", "")),
        ("31011x", ("", "", "")),
        ("３１０１１５", ("", "", "")),
    ],
)
def test_by_code(code: str, expected: tuple[str, str, str]) -> None:
    assert by_code(code) == expected


def test_by_code_agrees_with_the_lists() -> None:
    for prov in provinces():
        for city in cities(prov.code):
            for dist in districts(prov.code, city.code):
                assert by_code(dist.code) == (prov.name, city.name, dist.name)
                assert check(prov.name, city.name, dist.name) is None


def test_results_are_fresh_lists_of_frozen_regions() -> None:
    first = provinces()
    first.clear()
    assert len(provinces()) == 34
    region = Region("310000", "上海市")
    with pytest.raises(AttributeError):
        region.name = "x"  # type: ignore[misc]
    assert {region, Region("310000", "上海市")} == {region}


def test_loading_is_cached_and_fast() -> None:
    best = float("inf")
    for _ in range(3):
        regions._table.cache_clear()
        start = time.perf_counter()
        provinces()
        best = min(best, time.perf_counter() - start)
    assert best < 0.05
    assert regions._table() is regions._table()
