from django.urls import path

from aftersales.customers import views_privacy

app_name = "customer_privacy"

urlpatterns = [
    path("<int:customer_id>/", views_privacy.requests_page, name="requests"),
    path("<int:customer_id>/export/", views_privacy.export, name="export"),
    path("<int:customer_id>/documents/", views_privacy.documents_page, name="documents"),
    path("<int:customer_id>/documents/<int:document_id>/", views_privacy.document_view, name="document"),
    path(
        "<int:customer_id>/documents/<int:document_id>/delete/", views_privacy.document_delete, name="document_delete"
    ),
]
