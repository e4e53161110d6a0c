"""The 三包 watch of a vehicle (SPEC LAW-4): which of its repairs the law counts, its repair days, its
counters per same quality problem and per major assembly, and the rules of 家用汽车产品修理、更换、退货责任规定
(国家市场监督管理总局令第43号, 2021, in force 2022-01-01) each reached, nearly reached or not, with the
alerts raised once and told to the advisor and the after-sales manager.

What counts (DESIGN-visit, "Pay types"): a line that repairs a quality fault (causal part and fault code or
symptom recorded) on a household vehicle (第二条), whatever its pay type; maintenance, accident (the
insurance pay type, or read so by the advisor), misuse and campaign work never count. A repair is one visit
with such lines; its problems are the causal parts' families (the same smallest replaceable part: one part
number or any number of its supersession chain); a replacement is a part line of the visit fitting a part of
such a family, or a major assembly (a part the brand's 三包凭证 names as the assembly) of a system the visit
repairs.

Repair time (第二十四条第二款 and the regulator's reading of it: 修理时间自消费者与修理者确定修理之日起，至完成
修理之日止；一次修理占用时间不足24小时的，以1日计): hours from the visit's first signed order (the repair
agreed) to the pickup notice (the repair finished: the customer is told to collect), divided by 24 and
rounded up, at least 1. Waiting for parts counts (第二十条); a time the car was off site counts too, unless
the owner's agreement to pause the repair is recorded on it (workshop ``OffSite.owner_agreed_pause``).

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
