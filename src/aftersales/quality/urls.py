from django.urls import path

from aftersales.quality.views import (
    audits,
    comebacks,
    desk,
    documents,
    flow,
    inspection,
    sanbao,
    sanbao_lists,
    settings,
)

app_name = "quality"

urlpatterns = [
    # The desk: what waits for inspection, wash, handover, the advisor's check and delivery.
    path("quality/", desk.desk, name="desk"),
    # The final inspection of an order (a tablet page) and its documents.
    path("quality/orders/<id:order_id>/inspect/", inspection.inspect, name="inspect"),
    path("quality/orders/<id:order_id>/qc.pdf", documents.qc_sheet, name="qc_pdf"),
    path("quality/orders/<id:order_id>/certificate.pdf", documents.certificate, name="certificate_pdf"),
    # From the wash to the car leaving, per visit.
    path("quality/visits/<id:visit_id>/wash/", flow.wash, name="wash"),
    path("quality/visits/<id:visit_id>/handover/", flow.handover, name="handover"),
    path("quality/visits/<id:visit_id>/check/", flow.check, name="check"),
    path("quality/visits/<id:visit_id>/arrived/", flow.arrived, name="arrived"),
    path("quality/visits/<id:visit_id>/delivery/", flow.delivery, name="delivery"),
    path("quality/visits/<id:visit_id>/delivery.pdf", documents.delivery_sheet, name="delivery_pdf"),
    path("quality/visits/<id:visit_id>/guarantee.pdf", documents.guarantee_card, name="guarantee_pdf"),
    # Comebacks and the rates of comebacks and internal rework.
    path("quality/comebacks/", comebacks.queue, name="comebacks"),
    path("quality/comebacks/<id:comeback_id>/decide/", comebacks.decide, name="comeback_decide"),
    path("quality/comebacks/rates/", comebacks.rates, name="rates"),
    # The 三包 watch: a vehicle's 三包 page, the store's alerts, the group's 三包 main parts.
    path("quality/vehicles/<id:vehicle_id>/sanbao/", sanbao.sanbao_page, name="sanbao"),
    path("quality/vehicles/<id:vehicle_id>/sanbao/lines/<id:line_id>/", sanbao.line_read, name="sanbao_line"),
    path("quality/sanbao/alerts/", sanbao_lists.alerts, name="sanbao_alerts"),
    path("quality/sanbao/alerts/<id:alert_id>/action/", sanbao_lists.alert_act, name="sanbao_alert_act"),
    path("quality/sanbao/parts/", sanbao_lists.parts, name="sanbao_parts"),
    path("quality/sanbao/parts/<id:part_id>/remove/", sanbao_lists.part_remove, name="sanbao_part_remove"),
    # Quality evaluations: a random sample of delivered orders reviewed, findings corrected and verified.
    path("quality/audits/", audits.audits, name="audits"),
    path("quality/audits/new/", audits.audit_new, name="audit_new"),
    path("quality/audits/<id:audit_id>/", audits.audit, name="audit"),
    path("quality/audits/<id:audit_id>/samples/<id:sample_id>/review/", audits.review, name="audit_review"),
    path("quality/audits/<id:audit_id>/findings/", audits.finding_new, name="audit_finding"),
    path(
        "quality/audits/<id:audit_id>/findings/<id:finding_id>/action/",
        audits.finding_act,
        name="audit_finding_action",
    ),
    path(
        "quality/audits/<id:audit_id>/findings/<id:finding_id>/close/",
        audits.finding_verify,
        name="audit_finding_close",
    ),
    path("quality/audits/<id:audit_id>/close/", audits.close, name="audit_close"),
    # The store's rules.
    path("quality/settings/", settings.settings_page, name="settings"),
]
