"""The rules of 家用汽车产品修理、更换、退货责任规定 (国家市场监督管理总局令第43号, 2021, in force 2022-01-01) the
三包 watch of a vehicle (SPEC LAW-4) judges, each with its article, threshold and remedy, and what the law
counts: the lines agreed or needed, the pay types and categories that never count, the serious safety faults,
the levels a rule is at (reached, nearly reached or not)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy

from aftersales.catalogue.models import RepairCategory
from aftersales.catalogue.paytypes import PayType
from aftersales.quality.models import SanbaoAlert, SanbaoLine
from aftersales.visits.models import Line, RepairOrder

PERMISSION = "quality.sanbao"
ALERT_EVENT = "sanbao_alert"
MANAGER_ROLES = ("service_manager",)  # 售后经理: told of every alert with the visit's advisor
DAY = 86_400
L = Line.State
R = RepairOrder.State
# Lines the law counts once the work is agreed; a proposed line is a need already (第二十二条: 需要更换).
AGREED = (L.APPROVED, L.DISPATCHED, L.IN_PROGRESS, L.DONE)
NEEDED = (L.PROPOSED, *AGREED)
MAINTENANCE_CATEGORIES = frozenset({RepairCategory.FIRST_LEVEL, RepairCategory.SECOND_LEVEL})
NOT_QUALITY_PAY = {PayType.INSURANCE: "accident", PayType.OEM_CAMPAIGN: "campaign"}
S = SanbaoLine.Safety
# 第二十三条: 转向系统失效、制动系统失效、车身开裂、燃油泄漏或者动力蓄电池起火.
EARLY_SAFETY = (S.STEERING_FAILURE, S.BRAKE_FAILURE, S.BODY_CRACK, S.FUEL_LEAK, S.BATTERY_FIRE)

# The thresholds, each next to its article.
LONG_REPAIR_DAYS = 5  # 第二十条: 单次修理时间超过5日 … 自第6日起提供备用车或支付交通费用补偿
EARLY_DAYS, EARLY_KM = 60, 3_000  # 第二十一条, 第二十三条: 60日内或者行驶里程3000公里之内（以先到者为准）
FIRST_WEEK_DAYS = 7  # 第二十二条: 7日内 … 需要更换发动机、变速器、动力蓄电池、行驶驱动电机或者其主要零部件
SAFETY_REPAIRS = 2  # 第二十四条第一款第一项: 因严重安全性能故障累计进行2次修理
REPLACEMENTS = 2  # 第二十四条第一款第二项、第三项: 累计更换2次，仍不能正常使用
REPAIR_DAYS_MAX, REPAIR_DAYS_WARNING = 30, 25  # 第二十四条第一款第四项: 累计修理时间超过30日
SAME_PROBLEM_MAX = 4  # 第二十四条第一款第四项: 因同一质量问题累计修理超过4次

LAW = "家用汽车产品修理、更换、退货责任规定"


@dataclass(frozen=True)
class Rule:
    code: str
    article: str
    label: Any  # lazy text
    remedy: Any


RULES = {
    rule.code: rule
    for rule in (
        Rule(
            "long_repair",
            "第二十条",
            gettext_lazy("Single repair longer than 5 days"),
            gettext_lazy("Courtesy car or travel compensation from day 6"),
        ),
        Rule(
            "early_assembly",
            "第二十一条",
            gettext_lazy("Main part of a major assembly failed within 60 days / 3,000 km"),
            gettext_lazy("Free replacement of the assembly"),
        ),
        Rule(
            "first_week",
            "第二十二条",
            gettext_lazy("Major assembly or its main part to be replaced within 7 days"),
            gettext_lazy("Free replacement of the vehicle or refund"),
        ),
        Rule(
            "early_safety",
            "第二十三条",
            gettext_lazy("Steering or brake failure, body crack, fuel leak or battery fire within 60 days / 3,000 km"),
            gettext_lazy("Free replacement of the vehicle or refund"),
        ),
        Rule(
            "safety_repairs",
            "第二十四条第一款第一项",
            gettext_lazy("2 repairs of a serious safety fault"),
            gettext_lazy("Replacement or refund if the fault persists or a new one appears"),
        ),
        Rule(
            "assembly_replacements",
            "第二十四条第一款第二项",
            gettext_lazy("2 replacements of a major assembly"),
            gettext_lazy("Replacement or refund if it still cannot be used"),
        ),
        Rule(
            "main_part_replacements",
            "第二十四条第一款第三项",
            gettext_lazy("2 replacements of the same main part"),
            gettext_lazy("Replacement or refund if it still cannot be used"),
        ),
        Rule(
            "repair_days",
            "第二十四条第一款第四项",
            gettext_lazy("More than 30 cumulative repair days"),
            gettext_lazy("Replacement or refund"),
        ),
        Rule(
            "same_problem",
            "第二十四条第一款第四项",
            gettext_lazy("More than 4 repairs of the same quality problem"),
            gettext_lazy("Replacement or refund"),
        ),
    )
}
OK, WARNING, ALERT = "ok", SanbaoAlert.Level.WARNING.value, SanbaoAlert.Level.ALERT.value
