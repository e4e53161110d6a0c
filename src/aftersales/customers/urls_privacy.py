from django.urls import path

from aftersales.customers import views_privacy

app_name = "customer_privacy"

urlpatterns = [
    path("<id:customer_id>/", views_privacy.requests_page, name="requests"),
    path("<id:customer_id>/export/", views_privacy.export, name="export"),
    path("<id:customer_id>/documents/", views_privacy.documents_page, name="documents"),
    path("<id:customer_id>/documents/<id:document_id>/", views_privacy.document_view, name="document"),
    path("<id:customer_id>/documents/<id:document_id>/delete/", views_privacy.document_delete, name="document_delete"),
]
