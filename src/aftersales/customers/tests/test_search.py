"""Archive search: ranking across kinds, paging, the cap, filters, and the index every lookup reads."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.conftest import World
from aftersales.core.identifiers import vin_check_digit
from aftersales.core.models import User
from aftersales.customers import selectors, services
from aftersales.customers.models import Customer, SearchKey, Vehicle
from aftersales.customers.search import MAX_KEY
from aftersales.customers.selectors import search as search_ranking
from aftersales.customers.tests.factories import CustomerFactory

DIGITS = "一二三四五六七八九十甲乙"


def _vehicle(world: World, owner: Customer, serial: int, plate: str) -> Vehicle:
    draft = f"LSVAA4180E2{serial:06d}"
    vin = draft[:8] + vin_check_digit(draft) + draft[9:]
    return services.vehicle_create(actor=world.user("advisor"), owner=owner, data={"vin": vin, "plate": plate})


def _found(q: str, **filters: Any) -> list[tuple[str, int, str]]:
    pages = selectors.SearchPages(q, **filters)
    return [(hit.matched, hit.customer.pk, hit.vehicle.plate if hit.vehicle else "") for hit in pages[: len(pages)]]


def test_an_exact_plate_tail_is_not_crowded_out_by_mobile_endings(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_ranking, "SEARCH_LIMIT", 10)
    endings = [CustomerFactory(name=f"客户{DIGITS[index]}", mobiles=[f"13{index:05d}1234"]) for index in range(12)]
    owner = CustomerFactory(name="车主", mobiles=["13900000000"])
    _vehicle(world, owner, 1, "沪A51234")

    pages = selectors.SearchPages("1234")
    assert (len(pages), pages.more) == (10, True)
    assert _found("1234") == [("plate", owner.pk, "沪A51234")] + [("mobile4", c.pk, "") for c in endings[:9]]


def test_exact_matches_rank_before_prefixes_and_pages_do_not_overlap(world: World) -> None:
    zhang = [
        CustomerFactory(name=name, mobiles=[f"1380000000{index}"])
        for index, name in enumerate(["张三丰", "张三", "张无忌"])
    ]
    CustomerFactory(name="李四", mobiles=["13800000009"])

    assert _found("张三") == [("name", zhang[1].pk, ""), ("name", zhang[0].pk, "")]
    # Within the prefix matches: by key in code-point order (三 U+4E09 < 无 U+65E0), then by age.
    assert _found("张") == [("name", zhang[1].pk, ""), ("name", zhang[0].pk, ""), ("name", zhang[2].pk, "")]
    pages = [selectors.archive_search("张", offset=offset, limit=2) for offset in (0, 2)]
    assert [[hit.customer.pk for hit in page.hits] for page in pages] == [[zhang[1].pk, zhang[0].pk], [zhang[2].pk]]
    assert [(page.count, page.more) for page in pages] == [(3, False), (3, False)]


def test_a_vehicle_found_by_several_plate_tails_is_one_hit(world: World) -> None:
    owner = CustomerFactory(name="王五", mobiles=["13800000001"])
    _vehicle(world, owner, 1, "沪A11111")
    _vehicle(world, owner, 2, "沪B11112")

    # "11" is a prefix of the tails 11111, 1111, 111 of the first plate and 11112, 1112, 112 of the second.
    assert _found("11") == [("plate", owner.pk, "沪A11111"), ("plate", owner.pk, "沪B11112")]
    assert _found("A111") == [("plate", owner.pk, "沪A11111")]
    assert [hit.exact for hit in selectors.archive_search("A11111").hits] == [True]


def test_a_plate_finds_the_current_owner_after_a_transfer(world: World) -> None:
    seller = CustomerFactory(name="赵六", mobiles=["13800000001"])
    buyer = CustomerFactory(name="钱七", mobiles=["13800000002"])
    vehicle = _vehicle(world, seller, 1, "沪C88888")
    services.vehicle_transfer(
        actor=world.user("advisor"), vehicle_id=vehicle.pk, new_owner=buyer, on=timezone.localdate()
    )

    assert _found("C88888") == [("plate", buyer.pk, "沪C88888")]


def test_filters_apply_to_customers_and_to_the_owners_of_vehicles(world: World) -> None:
    vip = CustomerFactory(name="孙八", customer_class="vip", mobiles=["13800000001"])
    regular = CustomerFactory(name="孙九", mobiles=["13800000002"])
    _vehicle(world, vip, 1, "沪D12345")
    _vehicle(world, regular, 2, "沪D12346")
    elsewhere = services.customer_create(
        actor=world.user("advisor", "sz"), store=world.sz, data={"name": "孙十", "mobiles": ["13800000003"]}
    )

    assert _found("孙", customer_class="vip") == [("name", vip.pk, "")]
    assert _found("D1234", customer_class="vip") == [("plate", vip.pk, "沪D12345")]
    assert _found("D1234", customer_class="regular") == [("plate", regular.pk, "沪D12346")]
    assert _found("孙", home_store_id=world.sz.pk) == [("name", elsewhere.pk, "")]
    assert _found("D1234", home_store_id=world.sz.pk) == []


def test_the_vehicles_api_searches_plates_and_vins_only(world: World, client_for: Callable[[User], Client]) -> None:
    owner = CustomerFactory(name="周一", mobiles=["13812341234"])
    vehicle = _vehicle(world, owner, 1, "沪E01234")
    client = client_for(world.user("advisor"))

    assert [item["id"] for item in client.get("/api/v1/vehicles", {"q": "1234"}).json()["items"]] == [vehicle.pk]
    assert client.get("/api/v1/vehicles", {"q": "周一"}).json()["items"] == []
    body = client.get("/api/v1/customers/search", {"q": "1234"}).json()
    assert [(item["matched"], item["customer"]["id"]) for item in body["items"]] == [
        ("plate", owner.pk),
        ("mobile4", owner.pk),
    ]
    assert (body["count"], body["more"]) == (2, False)
    assert body["families"] == [
        {"family": "mobile", "count": 1, "more": False},
        {"family": "plate", "count": 1, "more": False},
    ]
    mobiles = client.get("/api/v1/customers/search", {"q": "1234", "family": "mobile"}).json()
    assert [(item["matched"], item["customer"]["id"]) for item in mobiles["items"]] == [("mobile4", owner.pk)]
    assert (mobiles["count"], mobiles["families"]) == (1, body["families"])
    wrong = client.get("/api/v1/customers/search", {"q": "1234", "family": "email"}, headers={"accept-language": "en"})
    assert (wrong.status_code, wrong.json()["fields"]) == (
        422,
        {"family": ["Choose one of: resident_id, number, vin, mobile, plate or name."]},
    )


def test_the_list_page_narrows_a_search_to_one_family(world: World, client_for: Callable[[User], Client]) -> None:
    owner = CustomerFactory(name="郑二", mobiles=["13812345678"])
    _vehicle(world, owner, 1, "沪F05678")
    other = CustomerFactory(name="郑三", mobiles=["13900005678"])
    client = client_for(world.user("advisor"))

    both = client.get("/customers/", {"q": "5678"}, headers={"accept-language": "en"})
    html = both.content.decode()
    assert [row.matched_kind for row in both.context["rows"]] == ["plate", "mobile4", "mobile4"]
    assert 'data-testid="family-mobile"' in html and 'data-testid="family-plate"' in html
    assert [(f["code"], f["count"], f["active"]) for f in both.context["families"]] == [
        ("mobile", 2, False),
        ("plate", 1, False),
    ]
    mobiles = client.get("/customers/", {"q": "5678", "family": "mobile"})
    assert [(row.matched_kind, row.customer.pk) for row in mobiles.context["rows"]] == [
        ("mobile4", owner.pk),
        ("mobile4", other.pk),
    ]
    assert [f["active"] for f in mobiles.context["families"]] == [True, False]
    # A new text that the chosen family does not match shows what it does match.
    renamed = client.get("/customers/", {"q": "郑三", "family": "mobile"})
    assert ([row.customer.pk for row in renamed.context["rows"]], renamed.context["family"]) == ([other.pk], None)
    assert client.get("/customers/", {"q": "5678", "family": "email"}).status_code == 400


def test_the_list_page_says_when_the_search_is_too_broad(
    world: World, client_for: Callable[[User], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_ranking, "SEARCH_LIMIT", 2)
    for index in range(3):
        CustomerFactory(name=f"吴{DIGITS[index]}", mobiles=[f"1380000000{index}"])
    client = client_for(world.user("advisor"))

    broad = client.get("/customers/", {"q": "吴"}, headers={"accept-language": "en"})
    assert len(broad.context["rows"]) == 2
    assert "More than 2 matches: the best 2 are shown." in broad.content.decode()
    narrow = client.get("/customers/", {"q": "吴二"}, headers={"accept-language": "en"})
    assert [row.customer.name for row in narrow.context["rows"]] == ["吴二"]
    assert "1 match" in narrow.content.decode() and "search-more" not in narrow.content.decode()


@pytest.mark.parametrize("q", ["zs", "123456", "沪A1", "CUS-SH01"])
def test_every_key_lookup_reads_the_kind_key_index_in_order(world: World, advisor_client: Client, q: str) -> None:
    CustomerFactory(name="张三", mobiles=["13812345678"])
    with CaptureQueriesContext(connection) as queries:
        assert advisor_client.get("/api/v1/customers/search", {"q": q}).status_code == 200
    # Every lookup is one part of a single ranked query, each an ordered range read of the index.
    lookups = [query["sql"] for query in queries if 'FROM "customers_searchkey"' in query["sql"]]
    assert len(lookups) == 1, lookups
    parts = lookups[0].count('FROM "customers_searchkey"')
    assert parts >= 2 and lookups[0].count(" UNION ALL ") >= parts - 1
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + lookups[0])
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert plan.count("INDEX search_kind_key") == parts and "TEMP B-TREE" not in plan, plan
        else:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + lookups[0])
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert plan.count("search_kind_key") == parts and "Seq Scan" not in plan, plan


@pytest.fixture
def advisor_client(world: World, client_for: Callable[[User], Client]) -> Client:
    return client_for(world.user("advisor"))


def test_a_resident_id_finds_its_customer_by_the_keyed_digest(
    world: World, client_for: Callable[[User], Client]
) -> None:
    customer = CustomerFactory(name="冯一", resident_id="11010519491231002X", mobiles=["13800000001"])
    CustomerFactory(name="冯二", mobiles=["13800000002"])

    assert _found("１１０１０５１９４９１２３１００２x") == [("resident_id", customer.pk, "")]
    assert _found("11010519491231002X") == [("resident_id", customer.pk, "")]
    assert _found("110105194912310029") == []  # wrong check character: not an ID, and no key starts so
    body = client_for(world.user("technician")).get("/api/v1/customers/search", {"q": "11010519491231002x"}).json()
    assert [(item["matched"], item["customer"]["resident_id"]) for item in body["items"]] == [
        ("resident_id", "1101**********002X")
    ]
    assert body["families"] == [{"family": "resident_id", "count": 1, "more": False}]


def _full_width(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


SEARCH_VIN = "LSVAA4180E2000001"[:8] + vin_check_digit("LSVAA4180E2000001") + "E2000001"
# A value as typed plain, and as it is also written (copied from a card, a chat, a spreadsheet).
WRITTEN_FORMS = [
    ("沪A12345", ["沪A·12345", "沪A 12345", "沪A-12345", "沪A•12345", _full_width("沪A12345"), "沪ａ·１２３４５"]),
    ("A123", ["A·123", "a-123", "Ａ１２３"]),
    ("13800138000", ["+86 138-0013-8000", "138-0013-8000", "(+86)13800138000", "0086 138 0013 8000", "8613800138000"]),
    ("1380013", ["138-0013", "+86 138 0013", _full_width("1380013")]),
    ("0086", [_full_width("0086"), " 0086 "]),  # the last four digits, not a country code
    (
        SEARCH_VIN,
        [_full_width(SEARCH_VIN), SEARCH_VIN.lower(), " ".join(SEARCH_VIN[i : i + 4] for i in range(0, 17, 4))],
    ),
]


@pytest.fixture
def written(world: World) -> dict[str, list[tuple[str, int, str]]]:
    """An owner with a mobile and a vehicle, a neighbour with similar ones; what each plain form finds."""
    owner = CustomerFactory(name="韩一", mobiles=["13800138000"])
    ends_0086 = CustomerFactory(name="韩三", mobiles=["13700130086"])
    vehicle = services.vehicle_create(
        actor=world.user("advisor"), owner=owner, data={"vin": SEARCH_VIN, "plate": "沪A12345"}
    )
    neighbour = CustomerFactory(name="韩二", mobiles=["13900138000"])
    _vehicle(world, neighbour, 2, "沪B12345")
    assert vehicle.plate == "沪A12345"
    return {
        "沪A12345": [("plate", owner.pk, "沪A12345")],
        "A123": [("plate", owner.pk, "沪A12345")],
        "13800138000": [("mobile", owner.pk, "")],
        "1380013": [("mobile", owner.pk, "")],
        "0086": [("mobile4", ends_0086.pk, "")],
        SEARCH_VIN: [("vin", owner.pk, "沪A12345")],
    }


@pytest.mark.parametrize(("plain", "q"), [(plain, form) for plain, forms in WRITTEN_FORMS for form in [plain, *forms]])
def test_a_value_is_found_however_it_is_written(
    written: dict[str, list[tuple[str, int, str]]], advisor_client: Client, plain: str, q: str
) -> None:
    expected = written[plain]
    page = advisor_client.get("/customers/", {"q": q})
    assert page.status_code == 200
    assert [
        (row.matched_kind, row.customer.pk, row.vehicle.plate if row.vehicle else "") for row in page.context["rows"]
    ] == expected
    search = advisor_client.get("/api/v1/customers/search", {"q": q}).json()
    assert [(item["matched"], item["customer"]["id"], item["plate"]) for item in search["items"]] == expected
    listed = advisor_client.get("/api/v1/customers", {"q": q}).json()
    assert [item["id"] for item in listed["items"]] == [customer_id for _kind, customer_id, _plate in expected]


def test_four_digits_after_a_country_code_are_the_start_of_a_number(
    world: World, written: dict[str, list[tuple[str, int, str]]], advisor_client: Client
) -> None:
    """``+86 1380`` is typed from the start of a number: it does not look for numbers ending in 1380."""
    CustomerFactory(name="韩四", mobiles=["13700131380"])

    def found(q: str) -> list[tuple[str, str]]:
        search = advisor_client.get("/api/v1/customers/search", {"q": q}).json()
        return [(item["matched"], item["customer"]["name"]) for item in search["items"]]

    assert found("+86 1380") == [("mobile", "韩一")]
    assert found("1380") == [("mobile4", "韩四"), ("mobile", "韩一")]


def test_a_filtered_search_is_filtered_inside_the_search(
    world: World, client_for: Callable[[User], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_ranking, "SEARCH_LIMIT", 2)
    for index in range(3):
        CustomerFactory(name=f"赵{'一二三'[index]}", mobiles=[f"1380000000{index}"])
    elsewhere = services.customer_create(
        actor=world.user("advisor", "sz"), store=world.sz, data={"name": "赵四", "mobiles": ["13800000009"]}
    )
    body = client_for(world.user("admin")).get("/api/v1/customers", {"q": "赵", "home_store": world.sz.pk}).json()
    assert [item["id"] for item in body["items"]] == [elsewhere.pk]


def test_a_long_company_name_is_saved_and_found_by_the_start_of_its_pinyin(world: World) -> None:
    name = "上海" + "某某" * 15 + "汽车销售服务有限公司"  # 42 characters, pinyin far over 100 letters
    company = services.customer_create(
        actor=world.user("advisor"), store=world.sh, data={"kind": "company", "name": name}
    )
    assert [hit.customer.pk for hit in selectors.archive_search("shanghaimoumou").hits] == [company.pk]


def test_search_keys_order_by_code_point_on_both_databases(world: World) -> None:
    # The ranking depends on it; on PostgreSQL it needs the C collation of migration 0003, whatever the
    # database's default collation is (this server's default, C.UTF-8, would order the same without it).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_name = 'customers_searchkey' AND column_name = 'key'"
            )
            assert cursor.fetchone() == ("C",)
    keys = ["张", "a", "Z", "_1", "A12345", "a1"]
    SearchKey.objects.bulk_create(SearchKey(key=key, kind="name") for key in keys)
    assert list(SearchKey.objects.filter(key__in=keys).order_by("key").values_list("key", flat=True)) == sorted(keys)
    between = SearchKey.objects.filter(key__gt="Z", key__lt="a" + MAX_KEY).order_by("key")
    assert list(between.values_list("key", flat=True)) == [key for key in sorted(keys) if "Z" < key < "a" + MAX_KEY]
