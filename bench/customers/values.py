"""What the synthetic customer archive looks like: cities, vehicle models, names, and unique valid values.

The vocabulary (regions, the vehicle catalogue, surnames and given names, company words) and
``ArchiveValues``, the generator's part that draws names, mobiles, VINs, plates, resident IDs and
credit codes, each valid and, where the database requires it, unique.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from aftersales.core import identifiers
from aftersales.customers import encryption
from aftersales.customers.demo import CATALOGUE as DEMO_CATALOGUE


@dataclass(frozen=True)
class Region:
    """What the customers and vehicles of a store in one city look like."""

    plate: str  # province abbreviation on plates
    letters: str  # issuing-authority letters of the city
    province: str
    city: str
    districts: tuple[str, ...]
    streets: tuple[str, ...]
    id_area: str  # administrative division code of resident IDs and credit codes
    area_code: str  # landline


REGIONS: dict[str, Region] = {
    "上海": Region(
        "沪",
        "ABCDEFGHJKLMN",
        "上海市",
        "上海市",
        ("浦东新区", "徐汇区", "闵行区", "静安区", "杨浦区", "长宁区"),
        ("世纪大道", "张杨路", "漕溪北路", "虹桥路", "南京西路", "四平路"),
        "310115",
        "021",
    ),
    "苏州": Region(
        "苏",
        "E",
        "江苏省",
        "苏州市",
        ("工业园区", "姑苏区", "吴中区", "相城区", "虎丘区"),
        ("金鸡湖大道", "星湖街", "人民路", "干将路", "东环路"),
        "320506",
        "0512",
    ),
    "杭州": Region(
        "浙",
        "A",
        "浙江省",
        "杭州市",
        ("西湖区", "上城区", "拱墅区", "滨江区", "余杭区"),
        ("文三路", "延安路", "江南大道", "文一西路", "莫干山路"),
        "330106",
        "0571",
    ),
    "南京": Region(
        "苏",
        "A",
        "江苏省",
        "南京市",
        ("江宁区", "鼓楼区", "玄武区", "秦淮区", "建邺区"),
        ("中山路", "汉中路", "江东中路", "双龙大道", "龙蟠路"),
        "320115",
        "025",
    ),
    "宁波": Region(
        "浙",
        "B",
        "浙江省",
        "宁波市",
        ("鄞州区", "海曙区", "江北区", "北仑区", "镇海区"),
        ("天童南路", "中山西路", "人民路", "明州路", "钟公庙路"),
        "330212",
        "0574",
    ),
    "无锡": Region(
        "苏",
        "B",
        "江苏省",
        "无锡市",
        ("滨湖区", "梁溪区", "新吴区", "锡山区", "惠山区"),
        ("太湖大道", "中山路", "长江路", "梁溪路", "蠡湖大道"),
        "320211",
        "0510",
    ),
    "合肥": Region(
        "皖",
        "A",
        "安徽省",
        "合肥市",
        ("蜀山区", "包河区", "庐阳区", "瑶海区"),
        ("长江西路", "徽州大道", "黄山路", "芜湖路", "望江西路"),
        "340104",
        "0551",
    ),
    "温州": Region(
        "浙",
        "C",
        "浙江省",
        "温州市",
        ("鹿城区", "龙湾区", "瓯海区", "洞头区"),
        ("车站大道", "人民路", "府东路", "温州大道", "学院路"),
        "330302",
        "0577",
    ),
    "常州": Region(
        "苏",
        "D",
        "江苏省",
        "常州市",
        ("武进区", "天宁区", "钟楼区", "新北区", "金坛区"),
        ("延陵西路", "龙锦路", "人民中路", "太湖东路", "晋陵路"),
        "320412",
        "0519",
    ),
    "嘉兴": Region(
        "浙",
        "F",
        "浙江省",
        "嘉兴市",
        ("南湖区", "秀洲区", "海宁市", "平湖市", "桐乡市"),
        ("中山路", "禾兴路", "洪兴路", "东升路", "凌公塘路"),
        "330402",
        "0573",
    ),
}

# Brand code (bench.generate.BRANDS) -> WMI of its Chinese joint venture, and a few models.
# The demo's brands (aftersales.customers.demo.CATALOGUE) and the other brands of bench.generate.
CATALOGUE: dict[str, tuple[str, Sequence[tuple[str, str, str]]]] = {
    **DEMO_CATALOGUE,
    "HONDA": (
        "LHG",
        (
            ("雅阁", "260TURBO 精英版", "petrol"),
            ("思域", "240TURBO 劲动版", "petrol"),
            ("CR-V", "锐·混动 2.0L 净速版", "hybrid"),
        ),
    ),
    "NISSAN": (
        "LGB",
        (
            ("轩逸", "1.6L CVT 悦享版", "petrol"),
            ("天籁", "2.0T 智进版", "petrol"),
            ("奇骏", "VC-Turbo 300 豪华版", "petrol"),
        ),
    ),
    "BUICK": (
        "LSG",
        (
            ("君越", "652T 豪华型", "petrol"),
            ("英朗", "1.5L 自动精英型", "petrol"),
            ("微蓝6", "PHEV 互联时尚型", "phev"),
        ),
    ),
    "BMW": (
        "LBV",
        (
            ("3系", "325Li M运动套装", "petrol"),
            ("5系", "530Li 领先型", "petrol"),
            ("iX3", "领先型", "bev"),
        ),
    ),
    "BENZ": (
        "LE4",
        (
            ("C级", "C260 L 运动版", "petrol"),
            ("E级", "E300 L 时尚型", "petrol"),
            ("EQC", "400 4MATIC", "bev"),
        ),
    ),
    "AUDI": (
        "LFV",
        (
            ("A4L", "40 TFSI 时尚动感型", "petrol"),
            ("Q5L", "45 TFSI 臻选动感型", "petrol"),
            ("Q4 e-tron", "40 创境版", "bev"),
        ),
    ),
    "GEELY": (
        "L6T",
        (
            ("星越L", "2.0TD 旗舰型", "petrol"),
            ("帝豪", "1.5L CVT 豪华型", "petrol"),
            ("几何A", "星际版", "bev"),
        ),
    ),
    "CHANGAN": (
        "LS5",
        (
            ("CS75 PLUS", "1.5T 自动尊贵型", "petrol"),
            ("逸动", "PLUS 1.6L 豪华型", "petrol"),
            ("深蓝SL03", "515纯电版", "bev"),
        ),
    ),
    "HYUNDAI": (
        "LBE",
        (
            ("伊兰特", "1.5L CVT 精英版", "petrol"),
            ("途胜L", "1.5T 两驱智勇版", "petrol"),
            ("索纳塔", "2.0L 混动智能型", "hybrid"),
        ),
    ),
}

# About the 100 most common surnames, most frequent first (weights fall off with rank).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_SINGLE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华鑫鹏宇浩婷雪琳晨欣颖斌峰辉健凯丹瑶怡倩"
GIVEN_FIRST = "子梓浩欣佳思嘉俊志建晓海文国明雨一宇家雅诗晨天梦泽博语若金玉春秀立永"
GIVEN_SECOND = "轩涵然怡琪豪航阳辰睿杰婷强华伟明平军萍兰芳红英梅霞东峰成龙飞林宁静敏丽娟涛鹏"
COMPANY_WORDS = (
    "顺达",
    "恒通",
    "汇丰",
    "宏远",
    "鑫源",
    "安捷",
    "东方",
    "华信",
    "金桥",
    "新程",
    "众联",
    "申通",
    "天成",
    "瑞祥",
    "永盛",
    "兴业",
    "同创",
    "博远",
    "佳禾",
    "中泰",
)
COMPANY_KINDS = ("物流有限公司", "汽车租赁有限公司", "科技有限公司", "建设工程有限公司", "商贸有限公司")
COLOURS = ("珍珠白", "星空灰", "曜石黑", "极地银", "宝石蓝", "中国红")
PREFERENCES = ("", "", "", "偏好微信联系", "在休息室等候", "需要代步车", "仅工作日到店", "电话前请先短信")
MOBILE_PREFIXES = (
    *(f"13{digit}" for digit in range(10)),
    *("150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "170", "173", "175", "176", "177"),
    *("178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199"),
)
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O
PLATE_SERIAL = PLATE_LETTERS + "0123456789"
VIN_YEAR_CODES = dict(zip(range(2010, 2031), "ABCDEFGHJKLMNPRSTVWXY", strict=True))
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
NEV_FUELS = frozenset({"bev", "phev"})


class ArchiveValues:
    """Draws the values of the archive's rows from one seeded random sequence (``rng``), shared with
    the generator, and keeps the values that must be unique (VINs, plates, resident IDs) seen so far.
    """

    rng: random.Random
    today: date
    vins: set[str]
    plates: set[str]
    resident_ids: set[str]
    surname_weights: list[float]

    def person_name(self) -> str:
        random_ = self.rng.random
        surname = SURNAMES[bisect.bisect(self.surname_weights, random_() * self.surname_weights[-1])]
        if random_() < 0.25:
            return surname + GIVEN_SINGLE[int(random_() * len(GIVEN_SINGLE))]
        return (
            surname + GIVEN_FIRST[int(random_() * len(GIVEN_FIRST))] + GIVEN_SECOND[int(random_() * len(GIVEN_SECOND))]
        )

    def company_name(self, region: Region) -> str:
        random_ = self.rng.random
        word = COMPANY_WORDS[int(random_() * len(COMPANY_WORDS))]
        return f"{region.city.removesuffix('市')}{word}{COMPANY_KINDS[int(random_() * len(COMPANY_KINDS))]}"

    def mobile(self) -> str:
        random_ = self.rng.random
        return f"{MOBILE_PREFIXES[int(random_() * len(MOBILE_PREFIXES))]}{int(random_() * 100_000_000):08d}"

    def model_year(self, registered: datetime) -> int:
        """Mostly the years around the customer's registration, never after this year."""
        year = registered.year - 2 + int(self.rng.random() * 4)
        return max(2012, min(year, self.today.year))

    def vin(self, wmi: str, model_year: int) -> str:
        """A unique VIN with a valid check digit: WMI, 5 descriptor characters, check, year, plant, serial."""
        random_ = self.rng.random
        while True:
            body = (
                wmi
                + "".join(VIN_CHARS[int(random_() * 23)] for _ in range(2))
                + "".join(VIN_CHARS[int(random_() * 33)] for _ in range(3))
                + "0"
                + VIN_YEAR_CODES[model_year]
                + VIN_CHARS[int(random_() * 9)]
                + f"{int(random_() * 1_000_000):06d}"
            )
            vin = body[:8] + identifiers.vin_check_digit(body) + body[9:]
            if vin not in self.vins:
                self.vins.add(vin)
                return vin

    def plate(self, region: Region, nev: bool) -> str:
        """A unique plate of the region: 5 characters (at most 2 letters), or a small new-energy plate."""
        random_ = self.rng.random
        while True:
            head = region.plate + region.letters[int(random_() * len(region.letters))]
            if nev:
                plate = (
                    head
                    + "DF"[int(random_() * 2)]
                    + PLATE_SERIAL[int(random_() * len(PLATE_SERIAL))]
                    + f"{int(random_() * 10_000):04d}"
                )
            else:
                chars = [
                    PLATE_LETTERS[int(random_() * len(PLATE_LETTERS))]
                    if random_() < 0.15
                    else "0123456789"[int(random_() * 10)]
                    for _ in range(5)
                ]
                if sum(char.isalpha() for char in chars) > 2:
                    continue
                plate = head + "".join(chars)
            if plate not in self.plates:
                self.plates.add(plate)
                return plate

    def resident_id(self, row: list[object], at: dict[str, int], region: Region, serial: int) -> None:
        """Set a unique, valid resident ID: encrypted, digested and masked as the services store it."""
        random_ = self.rng.random
        while True:
            born = date(1950, 1, 1) + timedelta(days=int(random_() * 365 * 55))
            first = f"{region.id_area}{born:%Y%m%d}{int(random_() * 1000):03d}"
            value = first + identifiers.resident_id_check_char(first)
            if value not in self.resident_ids:
                self.resident_ids.add(value)
                break
        hint = value[:4] + "*" * 10 + value[-4:]
        if serial % 10_000 == 3 and hint != identifiers.mask_resident_id(value):
            raise ValueError(f"Resident ID masking changed: {identifiers.mask_resident_id(value)!r} != {hint!r}.")
        row[at["resident_id_cipher"]] = encryption.encrypt(value)
        row[at["resident_id_digest"]] = encryption.digest(value)
        row[at["resident_id_hint"]] = hint

    def uscc(self, region: Region, serial: int) -> str:
        """A unique, valid unified social credit code (the organisation part encodes ``serial``)."""
        digits = []
        for _ in range(9):
            serial, rest = divmod(serial, len(USCC_CHARS))
            digits.append(USCC_CHARS[rest])
        first = "91" + region.id_area + "".join(reversed(digits))
        return first + identifiers.uscc_check_char(first)
