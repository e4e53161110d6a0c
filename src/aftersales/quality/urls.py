from django.urls import path

from aftersales.quality.views import comebacks, desk, documents, flow, inspection, settings

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
    # The store's rules.
    path("quality/settings/", settings.settings_page, name="settings"),
]
