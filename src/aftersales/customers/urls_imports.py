from django.urls import path

from aftersales.customers import views_imports

app_name = "customer_imports"

urlpatterns = [
    path("", views_imports.import_start, name="start"),
    path("template/", views_imports.import_template, name="template"),
    path("export/", views_imports.customer_export, name="export"),
    path("<id:job_id>/", views_imports.import_job, name="job"),
    path("<id:job_id>/errors/", views_imports.import_errors, name="errors"),
]
