from collections.abc import Callable

from django.test import Client, RequestFactory

from aftersales.conftest import World
from aftersales.core.models import Certificate, StaffProfile, User
from aftersales.core.services import token_create
from aftersales.core.views import error_500


def _cards(response: object) -> dict[str, object]:
    return {card.key: card.value for card in response.context["view"].cards}  # type: ignore[attr-defined]


def test_foreman_today_counts_come_from_the_data(world: World, client_for: Callable[[User], Client]) -> None:
    technician = world.user("technician")
    profile = StaffProfile.objects.create(user=technician, skill_level="senior")
    Certificate.objects.create(profile=profile, kind="ev_hv", name="高压证")
    cards = _cards(client_for(world.user("foreman")).get("/"))
    assert cards["bays_active"] == 3
    assert cards["bays_inactive"] == 1
    assert cards["staff"] == 20
    assert cards["technicians"] == 1
    assert cards["ev_certified"] == 1
    # The foreman sets up no integrations: no card of API tokens.
    assert "my_tokens" not in cards


def test_advisor_today_has_own_cards_only(world: World, client_for: Callable[[User], Client]) -> None:
    token_create(user=world.user("advisor"), name="x")
    response = client_for(world.user("advisor")).get("/")
    assert response.status_code == 200
    assert _cards(response) == {
        "bays_active": 3,
        "staff": 20,
        "customers_today": 0,
        "appointments_today": 0,  # the appointments' cards of the front of the house
        "appointments_arrived": "0 / 0",
    }
    charts = {c["key"]: c for c in response.context["charts"]}
    assert charts["bays_by_type"]["values"] == [1, 2]


def test_technician_sees_skill_and_certificates(world: World, client_for: Callable[[User], Client]) -> None:
    profile = StaffProfile.objects.create(user=world.user("technician"), skill_level="junior")
    Certificate.objects.create(profile=profile, kind="brand", name="大众认证")
    cards = _cards(client_for(world.user("technician")).get("/", headers={"accept-language": "en"}))
    assert cards["skill_level"] == "Junior"
    assert cards["certificates"] == 1


def test_menu_follows_role(world: World, client_for: Callable[[User], Client]) -> None:
    def menu(role: str) -> list[str]:
        response = client_for(world.user(role)).get("/")
        return [item.url_name for item in response.context["menu"]]

    everything = [
        "core:today",
        "customers:list",
        "customer_imports:start",
        "customer_quality:review_queue",
        "customers:warranty_policies",
        "messaging:tasks",
        "messaging:outbox",
        "appointments:list",
        "visits:desk",
        "visits:orders",
        "workshop:board",
        "workshop:my_jobs",
        "workshop:parts_requests",
        "quality:desk",
        "billing:counter",
        "campaigns:list",
        "parts:parts",
        "catalogue:operations",
        "purchasing:orders",
        "core:stores",
        "core:companies",
        "core:calendar",
        "core:staff",
        "core:audit",
        "core:tokens",
    ]
    assert menu("technician") == [
        "core:today",
        "customers:list",
        "messaging:tasks",
        "visits:desk",
        "visits:orders",
        "workshop:board",
        "workshop:my_jobs",
        "quality:desk",
        "parts:parts",
        "catalogue:operations",
        "core:stores",
    ]
    assert menu("manager") == [
        name
        for name in everything
        if name not in {"core:companies", "core:calendar", "core:tokens", "workshop:my_jobs", "workshop:parts_requests"}
    ]
    assert menu("admin") == everything
    assert menu("purchaser") == [
        "core:today",
        "messaging:tasks",
        "parts:parts",
        "catalogue:operations",
        "purchasing:orders",
        "core:stores",
    ]


def test_store_switcher_only_offers_and_accepts_visible_stores(
    world: World, client_for: Callable[[User], Client]
) -> None:
    advisor = client_for(world.user("advisor"))
    response = advisor.get("/")
    assert [s.code for s in response.context["switchable_stores"]] == ["SH01"]
    assert advisor.post("/store/switch/", {"store": world.sz.pk}).status_code == 404
    auditor = client_for(world.user("auditor"))
    assert auditor.post("/store/switch/", {"store": world.sz.pk, "next": "/stores/"})["Location"] == "/stores/"
    assert auditor.get("/").context["active_store"] == world.sz


def test_store_pages(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("advisor"))
    html = client.get("/stores/").content.decode()
    assert "上海店" in html and "苏州店" not in html
    assert client.get(f"/stores/{world.sz.pk}/").status_code == 404
    partial = client.get("/stores/", {"q": "nothing"}, headers={"HX-Request": "true", "accept-language": "en"})
    assert partial.content.decode().strip().startswith('<tbody id="store-rows">')
    assert "No stores match." in partial.content.decode()


def test_token_page_shows_token_once_and_revokes(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("auditor"))
    created = client.post("/tokens/", {"name": "扫码枪", "expires": "30"})
    raw = created.context["new_token"]
    assert raw.startswith("as_") and raw in created.content.decode()
    listing = client.get("/tokens/").content.decode()
    assert raw not in listing and "扫码枪" in listing
    token = world.user("auditor").api_tokens.get()
    assert client.post(f"/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    bad = client.post("/tokens/", {"name": "", "expires": "0"}, headers={"accept-language": "en"})
    assert bad.status_code == 400
    assert bad.context["form"].errors == {
        "name": ["This field is required."],
        "expires": ["Select a valid choice. 0 is not one of the available choices."],
    }
    assert world.user("auditor").api_tokens.count() == 1


def test_friendly_error_pages(world: World, client_for: Callable[[User], Client]) -> None:
    client = client_for(world.user("technician"))
    missing = client.get("/no-such-page/", headers={"accept-language": "en"})
    assert missing.status_code == 404 and "does not exist" in missing.content.decode()
    denied = client.get("/audit/", headers={"accept-language": "zh-hans"})
    assert denied.status_code == 403 and "您无权访问此页面" in denied.content.decode()


def test_static_files_are_vendored(db: None) -> None:
    for path in ("vendor/bootstrap/bootstrap.min.css", "vendor/htmx/htmx.min.js", "vendor/echarts/echarts.min.js"):
        response = Client().get(f"/static/{path}")
        assert response.status_code == 200, path


def test_server_error_page_is_friendly_even_without_the_database(db: None) -> None:
    response = error_500(RequestFactory().get("/some/page/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "系统出现错误，已记录该错误，请重试。" in html and "返回首页" in html
