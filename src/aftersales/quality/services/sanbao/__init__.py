"""The 三包 watch of a vehicle (SPEC LAW-4): which of its repairs the law counts, its repair days, its
counters per same quality problem and per major assembly, and the rules of 家用汽车产品修理、更换、退货责任规定
(国家市场监督管理总局令第43号, 2021, in force 2022-01-01) each reached, nearly reached or not, with the
alerts raised once and told to the advisor and the after-sales manager.

What counts as a repair and how its repair time is measured (第二条, 第二十条, 第二十四条第二款): ``watch``.

Days "within N days" are counted from the start of the 三包 period as day 1 (the period of 第十七条 ends
the day before the anniversary: the same reading), mileage by the odometer at check-in; "以先到者为准".

The modules: ``rules`` (the law's rules and thresholds), ``watch`` (what the watch reads), ``counting`` (the
repairs counted and the rules judged), ``alerts`` (raised, told, the listeners and the sweep) and ``writes``;
its public names are re-exported here.
"""

from aftersales.quality.services.sanbao.alerts import (
    alert_recipients,
    alerts_tell,
    order_listener,
    ready_listener,
    sanbao_evaluate,
    sanbao_sweep,
)
from aftersales.quality.services.sanbao.counting import groups_seen, warranty_watch, watch_compute, watch_for
from aftersales.quality.services.sanbao.rules import (
    AGREED,
    ALERT,
    LAW,
    OK,
    PERMISSION,
    REPAIR_DAYS_MAX,
    RULES,
    WARNING,
    Rule,
)
from aftersales.quality.services.sanbao.watch import Counter, Interval, RuleResult, Watch, WatchLine, WatchVisit
from aftersales.quality.services.sanbao.writes import (
    sanbao_alert_act,
    sanbao_line_set,
    sanbao_part_reevaluate,
    sanbao_part_remove,
    sanbao_part_set,
)

__all__ = [
    "AGREED",
    "ALERT",
    "LAW",
    "OK",
    "PERMISSION",
    "REPAIR_DAYS_MAX",
    "RULES",
    "WARNING",
    "Counter",
    "Interval",
    "Rule",
    "RuleResult",
    "Watch",
    "WatchLine",
    "WatchVisit",
    "alert_recipients",
    "alerts_tell",
    "groups_seen",
    "order_listener",
    "ready_listener",
    "sanbao_alert_act",
    "sanbao_evaluate",
    "sanbao_line_set",
    "sanbao_part_reevaluate",
    "sanbao_part_remove",
    "sanbao_part_set",
    "sanbao_sweep",
    "warranty_watch",
    "watch_compute",
    "watch_for",
]
