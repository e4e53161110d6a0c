"""Factories of the platform's records: dealer groups, brands, stores (with the departments and bays a
store starts with) and users. The archive's are in ``aftersales.customers.tests.factories``."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import factory
from factory.django import DjangoModelFactory
from PIL import Image

from aftersales.core.identifiers import uscc_check_char
from aftersales.core.models import Bay, Brand, DealerGroup, Department, LegalEntity, Store, User


class DealerGroupFactory(DjangoModelFactory[DealerGroup]):
    class Meta:
        model = DealerGroup
        django_get_or_create = ("code",)

    code = "TEST"
    name = "测试集团"


class BrandFactory(DjangoModelFactory[Brand]):
    class Meta:
        model = Brand
        django_get_or_create = ("code",)

    code = "VW"
    name = "大众"
    name_en = "Volkswagen"


def valid_uscc(serial: int, area: str = "310115") -> str:
    """A unified social credit code with a right check character, different for each ``serial``."""
    first_17 = f"91{area}{serial:09d}"
    return first_17 + uscc_check_char(first_17)


class LegalEntityFactory(DjangoModelFactory[LegalEntity]):
    class Meta:
        model = LegalEntity

    group = factory.SubFactory(DealerGroupFactory)
    name = factory.Sequence(lambda n: f"测试汽车服务有限公司{n}")
    uscc = factory.Sequence(lambda n: valid_uscc(n + 1))
    taxpayer_type = LegalEntity.TaxpayerType.GENERAL


class StoreFactory(DjangoModelFactory[Store]):
    """A store with a workshop, two general lifts, an EV bay and an inactive wash bay."""

    class Meta:
        model = Store
        skip_postgeneration_save = True

    group = factory.SubFactory(DealerGroupFactory)
    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.LazyAttribute(lambda store: f"{store.code}店")
    address = "测试路1号"
    phone = "021-12345678"

    @factory.post_generation
    def layout(store: Store, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        Department.objects.create(store=store, code="WS", name="维修车间", kind="workshop")
        Bay.objects.create(store=store, code="A01", kind="general_lift")
        Bay.objects.create(store=store, code="A02", kind="general_lift")
        Bay.objects.create(store=store, code="E01", kind="ev_hv")
        Bay.objects.create(store=store, code="W01", kind="wash", is_active=False)


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.LazyAttribute(lambda user: user.username)


def image_bytes(image_format: str = "PNG", *, width: int = 48, height: int = 32, colour: str = "#3a6ea5") -> bytes:
    """A real, small JPEG or PNG image, as a phone or scanner would send (the media service decodes it). A PNG
    comes as the media service writes one (optimised, no metadata), so that keeping it changes no byte."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, image_format, optimize=True)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size in its header and has no real image data (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
