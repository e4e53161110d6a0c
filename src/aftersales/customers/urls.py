"""The customer archive's only URL module: the archive, its imports, privacy pages and data quality.

Each feature keeps its own namespace so that page links (``customers:detail``,
``customer_imports:job``, ...) stay as they were when the features were mounted one by one.
"""

from django.urls import include, path

from aftersales.customers.views import customers, id_copies, imports, links, messages, privacy, quality, vehicles

archive = [
    path("", customers.customer_list, name="list"),
    path("new/", customers.customer_create, name="create"),
    path("form/mobile-input/", customers.mobile_input, name="mobile_input"),
    path("form/pick/", customers.customer_pick, name="pick"),
    path("form/address-choice/", customers.address_choice, name="address_choice"),
    path("validate/<str:field>/", customers.identifier_check, name="validate"),
    path("<id:customer_id>/", customers.customer_detail, name="detail"),
    path("<id:customer_id>/edit/", customers.customer_edit, name="edit"),
    path("<id:customer_id>/message/", messages.customer_message, name="message"),
    path("<id:customer_id>/review-link/", links.review_link_send, name="review_link"),
    path("<id:customer_id>/consent/", links.consent_sign, name="consent_sign"),
    path("corrections/", links.corrections, name="corrections"),
    path("corrections/<id:correction_id>/decide/", links.correction_decide, name="correction_decide"),
    path("<id:customer_id>/archive-card.pdf", customers.customer_archive_card, name="archive_card"),
    path("<id:customer_id>/reveal/", customers.customer_reveal, name="reveal"),
    path("<id:customer_id>/review/", customers.customer_review, name="review"),
    path("<id:customer_id>/vehicles/new/", vehicles.vehicle_create, name="vehicle_create"),
    path("vehicles/model-choice/", vehicles.vehicle_model_choice, name="vehicle_model_choice"),
    path("warranty-policies/", vehicles.warranty_policies, name="warranty_policies"),
    path("vehicles/<id:vehicle_id>/", vehicles.vehicle_detail, name="vehicle_detail"),
    path("vehicles/<id:vehicle_id>/edit/", vehicles.vehicle_edit, name="vehicle_edit"),
    path("vehicles/<id:vehicle_id>/drivers/", vehicles.vehicle_driver_add, name="driver_add"),
    path("vehicles/<id:vehicle_id>/drivers/<id:link_id>/end/", vehicles.vehicle_driver_end, name="driver_end"),
    path("vehicles/<id:vehicle_id>/mileage/", vehicles.mileage_add, name="mileage_add"),
    path("vehicles/<id:vehicle_id>/transfer/", vehicles.vehicle_transfer, name="vehicle_transfer"),
]

import_pages = [
    path("", imports.import_start, name="start"),
    path("template/", imports.import_template, name="template"),
    path("export/", imports.customer_export, name="export"),
    path("<id:job_id>/", imports.import_job, name="job"),
    path("exports/<id:job_id>/", imports.export_job, name="export_job"),
    path("<id:job_id>/errors/", imports.import_errors, name="errors"),
]

privacy_pages = [
    path("<id:customer_id>/", privacy.requests_page, name="requests"),
    path("<id:customer_id>/export/", privacy.export, name="export"),
    path("<id:customer_id>/documents/", id_copies.documents_page, name="documents"),
    path("<id:customer_id>/documents/<id:document_id>/", id_copies.document_view, name="document"),
    path("<id:customer_id>/documents/<id:document_id>/delete/", id_copies.document_delete, name="document_delete"),
]

quality_pages = [
    path("duplicates/", quality.duplicates, name="duplicates"),
    path("merge/<id:survivor_id>/<id:merged_id>/", quality.merge, name="merge"),
    path("review/", quality.review_queue, name="review_queue"),
    path("review/<id:customer_id>/", quality.mark_reviewed, name="mark_reviewed"),
    path("rule/", quality.archive_rule, name="archive_rule"),
]

# Mounted at ``customers/`` by config/urls.py; the feature prefixes come first so that
# ``import/`` or ``quality/`` is never read as a customer id.
urlpatterns = [
    path("import/", include((import_pages, "customer_imports"))),
    path("privacy/", include((privacy_pages, "customer_privacy"))),
    path("quality/", include((quality_pages, "customer_quality"))),
    path("", include((archive, "customers"))),
]
