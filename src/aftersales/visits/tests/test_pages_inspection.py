"""The walk-around page on the tablet (RCP-2) and the diagnosis page (RCP-3): what they show, what a save
writes, what a refused save shows (and leaves unchanged), damage marks with photos, the customer's signature,
who may change what, and the photos served to the store's staff only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from aftersales.core.models import MediaFile, User
from aftersales.core.tests.factories import image_bytes
from aftersales.messaging.models import Signature
from aftersales.visits.models import (
    ChecklistItem,
    CheckResult,
    DamageMark,
    Diagnosis,
    FaultCode,
    Recommendation,
    TyreReading,
    Visit,
    WalkAround,
)
from aftersales.visits.services import WalkAroundIn, check_photo_add, damage_add, walk_around_save
from aftersales.visits.tests.conftest import Reception, signature_png

D = Decimal
HTMX = {"HX-Request": "true"}


def signed_in(user: User, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def items(reception: Reception) -> dict[str, ChecklistItem]:
    return {item.code: item for item in ChecklistItem.objects.filter(store=reception.store)}


def png(name: str = "划痕.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("PNG"), content_type="image/png")


def walk_rows(visit: Visit) -> dict[str, Any]:
    """Everything the walk-around holds, to compare before and after a refused request."""
    walk = WalkAround.objects.filter(visit=visit).first()
    return {
        "walk": None
        if walk is None
        else (walk.covers_fitted, walk.glass_ok, walk.glass_note, walk.valuables, walk.notes, walk.completed_at),
        "tyres": sorted(TyreReading.objects.filter(walk_around__visit=visit).values_list("position", "tread_mm")),
        "checks": sorted(
            CheckResult.objects.filter(walk_around__visit=visit).values_list("item__code", "rating", "note")
        ),
        "damages": list(DamageMark.objects.filter(walk_around__visit=visit).values_list("kind", "x", "y", "note")),
        "media": MediaFile.objects.count(),
    }


def walk_post(reception: Reception, **changes: str) -> dict[str, str]:
    """The page's form filled in: covers fitted, glass chipped, tread on every wheel, brakes amber."""
    checks = items(reception)
    data = {
        "covers_fitted": "on",
        "glass_note": "前挡左下角小石击",
        "valuables": "行车记录仪",
        "notes": "客户要求洗车",
        "tyre_fl": "4.5",
        "tyre_fr": "4,6",
        "tyre_rl": "6",
        "tyre_rr": "5.8",
        "tyre_spare": "",
        f"rating_{checks['body'].pk}": "green",
        f"rating_{checks['brakes'].pk}": "amber",
        f"note_{checks['brakes'].pk}": "前片约 3 mm",
    }
    data.update(changes)
    return data


def everything_rated(reception: Reception, visit: Visit) -> None:
    walk_around_save(
        actor=reception.advisor,
        visit_id=visit.pk,
        data=WalkAroundIn(
            covers_fitted=True,
            tyres={"fl": "5", "fr": "5", "rl": "6", "rr": "6"},
            checks={item.pk: ("green", "") for item in items(reception).values()},
        ),
    )


# --- the walk-around page ---------------------------------------------------------------------------------


def test_the_walk_around_page_shows_the_car_the_diagram_the_tyres_and_the_store_checklist(
    reception: Reception, visit: Visit
) -> None:
    response = signed_in(reception.advisor).get(reverse("visits:walk_around", args=[visit.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<h1 class="h4 mb-0" data-testid="page-title">环检 <span class="font-monospace">沪A12345</span></h1>' in body
    assert f'<span class="font-monospace">{visit.number}</span> · 张伟' in body
    assert f'href="{reverse("visits:visit", args=[visit.pk])}"' in body
    assert 'data-diagram data-width="600" data-height="640" data-editable' in body
    for kind, label in (("scratch", "划痕"), ("dent", "凹陷"), ("leak", "漏液")):
        assert f'data-testid="kind-{kind}"' in body and label in body
    assert 'accept="image/*" capture="environment"' in body
    assert "当客户面铺好三件套" in body
    assert body.count('inputmode="decimal"') == 5
    for section, title in (("exterior", "外观"), ("functional", "功能"), ("safety", "安全")):
        assert f'data-testid="section-{section}">{title}</h3>' in body
    assert body.count('data-testid="rate-') == 3 * 20
    assert "车身漆面" in body and "轮胎" in body
    assert 'data-signature-for="signature"' in body
    assert f'name="signer_name" value="{visit.contact_name}"' in body
    assert 'data-testid="damage-list">' in body and 'data-testid="mark"' not in body
    assert WalkAround.objects.count() == 0  # looking writes nothing


def test_a_save_records_covers_glass_valuables_tyres_and_checks(reception: Reception, visit: Visit) -> None:
    checks = items(reception)
    response = signed_in(reception.advisor).post(reverse("visits:walk_around", args=[visit.pk]), walk_post(reception))
    assert response.status_code == 302
    assert response["Location"] == reverse("visits:walk_around", args=[visit.pk])
    walk = WalkAround.objects.get(visit=visit)
    assert (walk.covers_fitted, walk.glass_ok, walk.glass_note, walk.valuables, walk.notes) == (
        True,
        False,
        "前挡左下角小石击",
        "行车记录仪",
        "客户要求洗车",
    )
    assert sorted(walk.tyres.values_list("position", "tread_mm")) == [
        ("fl", D("4.5")),
        ("fr", D("4.6")),
        ("rl", D("6.0")),
        ("rr", D("5.8")),
    ]
    assert sorted(walk.checks.values_list("item_id", "rating", "note")) == sorted(
        [(checks["body"].pk, "green", ""), (checks["brakes"].pk, "amber", "前片约 3 mm")]
    )
    page = signed_in(reception.advisor).get(reverse("visits:walk_around", args=[visit.pk])).content.decode()
    assert 'name="tyre_fl" value="4.5"' in page
    assert f'id="rating-{checks["brakes"].pk}-amber" value="amber" autocomplete="off" checked' in page
    # The amber check offers to recommend work, on the diagnosis page's form, found at the walk-around.
    assert 'data-testid="recommend-brakes"' in page and "?source=walk_around&amp;symptom=" in page
    assert 'data-testid="recommend-body"' not in page


def test_a_wrong_tread_is_named_on_its_wheel_and_nothing_is_saved(reception: Reception, visit: Visit) -> None:
    client = signed_in(reception.advisor)
    client.post(reverse("visits:walk_around", args=[visit.pk]), walk_post(reception))
    before = walk_rows(visit)
    response = client.post(
        reverse("visits:walk_around", args=[visit.pk]),
        walk_post(reception, tyre_fl="abc", tyre_rr="3.0", valuables="笔记本电脑"),
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert (
        '<div class="invalid-feedback d-block" data-testid="error-tyre_fl">请输入花纹深度（毫米），0 到 20，例如 4.5。</div>'
        in body
    )
    assert 'name="tyre_fl" value="abc"' in body  # what was typed is kept on the page
    assert walk_rows(visit) == before


def test_a_note_on_an_unrated_check_asks_for_the_rating(reception: Reception, visit: Visit) -> None:
    checks = items(reception)
    response = signed_in(reception.advisor).post(
        reverse("visits:walk_around", args=[visit.pk]), walk_post(reception, **{f"note_{checks['horn'].pk}": "声音小"})
    )
    assert response.status_code == 422
    assert f'data-testid="error-rating_{checks["horn"].pk}">请评为绿、黄或红。</div>' in response.content.decode()
    assert walk_rows(visit)["checks"] == []


def test_a_technician_may_look_but_not_change_the_walk_around(reception: Reception, visit: Visit) -> None:
    technician = signed_in(reception.world.user("technician"))
    page = technician.get(reverse("visits:walk_around", args=[visit.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "data-editable" not in body and 'data-testid="save"' not in body and 'data-testid="damage-form"' not in body
    response = technician.post(reverse("visits:walk_around", args=[visit.pk]), walk_post(reception))
    assert response.status_code == 403
    refused = technician.post(
        reverse("visits:damage_add", args=[visit.pk]), {"kind": "scratch", "x": "100", "y": "100"}
    )
    assert refused.status_code == 403
    assert walk_rows(visit) == {"walk": None, "tyres": [], "checks": [], "damages": [], "media": 0}


def test_another_stores_visit_is_not_found(reception: Reception, visit: Visit) -> None:
    other = signed_in(reception.world.user("advisor", "sz"))
    assert other.get(reverse("visits:walk_around", args=[visit.pk])).status_code == 404
    assert other.get(reverse("visits:diagnosis", args=[visit.pk])).status_code == 404
    assert other.post(reverse("visits:walk_around", args=[visit.pk]), walk_post(reception)).status_code == 404
    assert walk_rows(visit)["walk"] is None


# --- damage marks ---------------------------------------------------------------------------------------


def test_a_damage_with_a_photo_is_drawn_where_it_was_tapped(reception: Reception, visit: Visit) -> None:
    response = signed_in(reception.advisor).post(
        reverse("visits:damage_add", args=[visit.pk]),
        {"kind": "scratch", "x": "250", "y": "500", "note": "左前门划痕", "photo": png()},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("visits:walk_around", args=[visit.pk]) + "#damages"
    mark = DamageMark.objects.get(walk_around__visit=visit)
    assert (mark.kind, mark.x, mark.y, mark.note, mark.created_by) == (
        "scratch",
        250,
        500,
        "左前门划痕",
        reception.advisor,
    )
    media = MediaFile.objects.get()
    assert (mark.photo_id, media.owner_type, media.owner_id, media.content_type) == (
        media.pk,
        "visits.damagemark",
        mark.pk,
        "image/png",
    )
    page = signed_in(reception.advisor).get(reverse("visits:walk_around", args=[visit.pk])).content.decode()
    # 250/1000 of 600 across, 500/1000 of 640 down.
    assert '<g class="mark" transform="translate(150.0 320.0)" data-kind="scratch" data-testid="mark">' in page
    assert f'src="{reverse("visits:photo", args=[visit.pk, media.pk])}?thumb=1"' in page


def test_a_damage_posted_with_htmx_answers_with_the_diagram(reception: Reception, visit: Visit) -> None:
    response = signed_in(reception.advisor).post(
        reverse("visits:damage_add", args=[visit.pk]), {"kind": "dent", "x": "1000", "y": "0"}, headers=HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<section id="damages"')
    assert '<g class="mark" transform="translate(600.0 0.0)" data-kind="dent" data-testid="mark">' in body
    assert list(DamageMark.objects.values_list("kind", "x", "y", "photo")) == [("dent", 1000, 0, None)]


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_kept(reception: Reception, visit: Visit) -> None:
    fake = SimpleUploadedFile("damage.png", b"this is not an image at all", content_type="image/png")
    response = signed_in(reception.advisor).post(
        reverse("visits:damage_add", args=[visit.pk]),
        {"kind": "dent", "x": "400", "y": "300", "photo": fake},
        headers=HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert '<div class="text-danger small" data-testid="error-photo">该文件不是 JPEG 或 PNG 照片' in body
    # The form stays open where the car was tapped, with the kind chosen.
    assert 'class="pending" data-pending transform="translate(240.0 192.0)"' in body
    assert 'id="kind-dent" value="dent" autocomplete="off" checked' in body
    assert walk_rows(visit) == {"walk": None, "tyres": [], "checks": [], "damages": [], "media": 0}


def test_a_damage_without_a_kind_or_a_point_is_refused(reception: Reception, visit: Visit) -> None:
    response = signed_in(reception.advisor, "en").post(reverse("visits:damage_add", args=[visit.pk]), {"note": "x"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="error-kind">Choose what the damage is.</div>' in body
    assert 'data-testid="error-x">Tap the diagram where the damage is.</div>' in body
    assert DamageMark.objects.count() == 0


def test_a_mark_is_removed_with_its_photo(reception: Reception, visit: Visit) -> None:
    mark = damage_add(actor=reception.advisor, visit_id=visit.pk, kind="chip", x=10, y=20, photo=png())
    other = damage_add(actor=reception.advisor, visit_id=visit.pk, kind="crack", x=30, y=40)
    response = signed_in(reception.advisor).post(
        reverse("visits:damage_remove", args=[visit.pk, mark.pk]), headers=HTMX
    )
    assert response.status_code == 200
    assert list(DamageMark.objects.values_list("pk", flat=True)) == [other.pk]
    assert MediaFile.objects.count() == 0
    assert response.content.decode().count('data-testid="mark"') == 1


# --- check photos, completion -----------------------------------------------------------------------------


def test_a_check_gets_a_photo_once_rated(reception: Reception, visit: Visit) -> None:
    client = signed_in(reception.advisor)
    brakes = items(reception)["brakes"]
    url = reverse("visits:check_photo", args=[visit.pk, brakes.pk])
    early = client.post(url, {"photo": png()}, headers=HTMX)
    assert early.status_code == 422
    assert "请先评级该检查项。" in early.content.decode()
    assert MediaFile.objects.count() == 0
    client.post(reverse("visits:walk_around", args=[visit.pk]), walk_post(reception))
    response = client.post(url, {"photo": png("制动.png")}, headers=HTMX)
    assert response.status_code == 200
    result = CheckResult.objects.get(walk_around__visit=visit, item=brakes)
    assert result.photo is not None and result.photo.owner_id == result.pk
    body = response.content.decode()
    assert body.startswith(f'<div class="check-photo d-flex align-items-center gap-2" id="check-photo-{brakes.pk}">')
    assert f'src="{reverse("visits:photo", args=[visit.pk, result.photo_id])}?thumb=1"' in body


def test_the_customer_signs_once_everything_is_checked(reception: Reception, visit: Visit) -> None:
    client = signed_in(reception.advisor)
    url = reverse("visits:walk_around_complete", args=[visit.pk])
    early = client.post(url, {"signer_name": "张伟", "signature": signature_png()})
    assert early.status_code == 422
    body = early.content.decode()
    assert "请测量四个车轮的花纹深度。" in body and "请当客户面铺好座椅套、方向盘套和脚垫。" in body
    assert "请为每个检查项评级：" in body
    assert Signature.objects.count() == 0 and walk_rows(visit)["walk"] is None

    unsigned = client.post(url, {"signer_name": "张伟", "signature": ""})
    assert unsigned.status_code == 400
    everything_rated(reception, visit)
    response = client.post(url, {"signer_name": "张伟", "signature": signature_png()})
    assert response.status_code == 302
    walk = WalkAround.objects.select_related("signature").get(visit=visit)
    assert walk.completed_by == reception.advisor and walk.completed_at is not None
    assert walk.signature is not None
    assert (walk.signature.signer_name, walk.signature.signer_type, walk.signature.what) == (
        "张伟",
        "customer",
        "walk_around",
    )
    page = client.get(reverse("visits:walk_around", args=[visit.pk])).content.decode()
    assert 'data-testid="completed"' in page and "张伟" in page
    assert f'src="{reverse("core:media", args=[walk.signature.media_id])}"' in page
    # Signed: the page is for looking only.
    assert (
        "data-editable" not in page and 'data-testid="save"' not in page and 'data-testid="complete-form"' not in page
    )


# --- photos ---------------------------------------------------------------------------------------------


def test_a_photo_is_served_to_the_stores_staff_only(reception: Reception, visit: Visit) -> None:
    mark = damage_add(actor=reception.advisor, visit_id=visit.pk, kind="scratch", x=1, y=2, photo=png())
    assert mark.photo_id is not None
    url = reverse("visits:photo", args=[visit.pk, mark.photo_id])
    thumbnail = signed_in(reception.world.user("technician")).get(url + "?thumb=1")
    assert thumbnail.status_code == 200
    assert thumbnail["Content-Type"] == "image/jpeg"
    assert thumbnail.getvalue()[:2] == b"\xff\xd8"
    full = signed_in(reception.world.user("technician")).get(url)
    assert full.status_code == 200 and full["Content-Type"] == "image/png"
    assert signed_in(reception.world.user("advisor", "sz")).get(url + "?thumb=1").status_code == 404
    # A photo of another visit is not this visit's.
    second = Visit.objects.create(
        store=reception.store,
        number="VS-OTHER",
        customer=reception.customer,
        vehicle=reception.vehicle,
        advisor=reception.advisor,
        contact_name="张伟",
        contact_mobile="13912345678",
        arrived_at=visit.arrived_at,
        mileage_in=1,
        fuel_level=1,
    )
    wrong = reverse("visits:photo", args=[second.pk, mark.photo_id])
    assert signed_in(reception.advisor).get(wrong).status_code == 404


def test_a_check_photo_is_served_too(reception: Reception, visit: Visit) -> None:
    everything_rated(reception, visit)
    result = check_photo_add(
        actor=reception.advisor, visit_id=visit.pk, item_id=items(reception)["tyres"].pk, photo=png()
    )
    response = signed_in(reception.advisor).get(reverse("visits:photo", args=[visit.pk, result.photo_id]))
    assert response.status_code == 200


# --- the diagnosis page ---------------------------------------------------------------------------------


def test_the_diagnosis_page_shows_the_form_the_law_note_and_the_catalogue(reception: Reception, visit: Visit) -> None:
    response = signed_in(reception.world.user("technician")).get(reverse("visits:diagnosis", args=[visit.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<h1 class="h4 mb-0" data-testid="page-title">诊断 <span class="font-monospace">沪A12345</span></h1>' in body
    assert "维修前诊断检验记录" in body and "机动车维修管理规定" in body
    assert f'<option value="{reception.oil.pk}">MT01 更换机油</option>' in body
    assert f'<option value="{reception.brakes.pk}">BR02 更换前制动片</option>' in body
    assert 'id="source-diagnosis" value="diagnosis" autocomplete="off" checked' in body


def test_the_walk_arounds_link_fills_the_recommendation(reception: Reception, visit: Visit) -> None:
    url = reverse("visits:diagnosis", args=[visit.pk]) + "?source=walk_around&symptom=制动：前片约 3 mm"
    body = signed_in(reception.advisor).get(url).content.decode()
    assert 'id="source-walk_around" value="walk_around" autocomplete="off" checked' in body
    assert 'name="symptom" value="制动：前片约 3 mm"' in body


def test_a_diagnosis_is_saved_with_its_codes(reception: Reception, visit: Visit) -> None:
    technician = reception.world.user("technician")
    response = signed_in(technician).post(
        reverse("visits:diagnosis", args=[visit.pk]),
        {
            "symptoms": "冷车启动抖动",
            "cause_analysis": "第 1 缸失火",
            "equipment": "VAS 6150",
            "codes": "p0301, P1234\n\nU0100-87",
            "pre_repair_record": "怠速 750 rpm，1 缸失火计数 37",
        },
    )
    assert response.status_code == 302
    diagnosis = Diagnosis.objects.get(visit=visit)
    assert (
        diagnosis.symptoms,
        diagnosis.cause_analysis,
        diagnosis.equipment,
        diagnosis.pre_repair_record,
        diagnosis.diagnosed_by,
    ) == ("冷车启动抖动", "第 1 缸失火", "VAS 6150", "怠速 750 rpm，1 缸失火计数 37", technician)
    assert list(diagnosis.codes.values_list("code", "failure_type", "brand_specific")) == [
        ("P0301", "", False),
        ("P1234", "", True),
        ("U0100", "87", False),
    ]
    body = signed_in(technician).get(reverse("visits:diagnosis", args=[visit.pk])).content.decode()
    assert "P0301\nP1234\nU0100-87</textarea>" in body
    assert body.count('data-testid="brand-specific"') == 1


def test_a_wrong_code_is_named_with_its_line_and_nothing_is_saved(reception: Reception, visit: Visit) -> None:
    client = signed_in(reception.advisor)
    url = reverse("visits:diagnosis", args=[visit.pk])
    client.post(url, {"symptoms": "抖动", "codes": "P0420"})
    before = list(FaultCode.objects.values_list("code", flat=True)), Diagnosis.objects.get().symptoms
    response = client.post(url, {"symptoms": "改了", "codes": "P0301\nP03O1"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "“P03O1”不是故障码：数字 0 的位置输入了字母 O。" in body
    assert list(FaultCode.objects.values_list("code", flat=True)), Diagnosis.objects.get().symptoms == before
    english = signed_in(reception.advisor, "en").post(url, {"codes": "P0301, P0171\nP03O1"})
    assert english.status_code == 422
    assert (
        'data-testid="error-codes">Line 2: “P03O1” is not a fault code: it has the letter O where a zero belongs.</div>'
        in english.content.decode()
    )
    assert (list(FaultCode.objects.values_list("code", flat=True)), Diagnosis.objects.get().symptoms) == before


def test_a_looker_cannot_save_a_diagnosis(reception: Reception, visit: Visit) -> None:
    frontdesk = signed_in(reception.world.user("frontdesk"))
    assert frontdesk.get(reverse("visits:diagnosis", args=[visit.pk])).status_code == 200
    assert frontdesk.post(reverse("visits:diagnosis", args=[visit.pk]), {"symptoms": "x"}).status_code == 403
    assert Diagnosis.objects.count() == 0


def test_work_is_recommended_with_its_causal_part_and_removed(reception: Reception, visit: Visit) -> None:
    client = signed_in(reception.advisor)
    url = reverse("visits:recommendation_add", args=[visit.pk])
    unknown = client.post(
        url, {"operation": reception.brakes.pk, "source": "walk_around", "causal_part": "9Z9-000-000"}
    )
    assert unknown.status_code == 422
    assert "9Z9-000-000" in unknown.content.decode()
    assert Recommendation.objects.count() == 0
    bad_code = client.post(url, {"operation": reception.brakes.pk, "source": "diagnosis", "fault_code": "X123"})
    assert bad_code.status_code == 422
    assert Recommendation.objects.count() == 0
    response = client.post(
        url,
        {
            "operation": reception.brakes.pk,
            "source": "walk_around",
            "symptom": "制动：前片约 3 mm",
            "fault_code": "c1234",
            "causal_part": "5q0 698 151",
            "note": "建议本次更换",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("visits:diagnosis", args=[visit.pk]) + "#recommendations"
    row = Recommendation.objects.get()
    assert (row.operation, row.source, row.symptom, row.fault_code, row.causal_part, row.note, row.created_by) == (
        reception.brakes,
        "walk_around",
        "制动：前片约 3 mm",
        "C1234",
        reception.pads,
        "建议本次更换",
        reception.advisor,
    )
    body = client.get(reverse("visits:diagnosis", args=[visit.pk])).content.decode()
    assert "5Q0-698-151" in body and "更换前制动片" in body
    # Brake pads are an assembly repair: the pre-repair record is needed, and the page says so.
    assert 'text-warning-emphasis fw-semibold" data-testid="record-note"' in body
    removed = client.post(reverse("visits:recommendation_remove", args=[visit.pk, row.pk]))
    assert removed.status_code == 302
    assert Recommendation.objects.count() == 0
