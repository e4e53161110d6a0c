from django.urls import path

from aftersales.catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("catalogue/", views.operation_list, name="operations"),
    path("catalogue/operations/new/", views.operation_create, name="operation_create"),
    path("catalogue/operations/<id:operation_id>/", views.operation_detail, name="operation"),
    path("catalogue/operations/<id:operation_id>/edit/", views.operation_edit, name="operation_edit"),
    path("catalogue/packages/", views.package_list, name="packages"),
    path("catalogue/packages/<id:package_id>/", views.package_detail, name="package"),
    path("catalogue/pay-types/", views.pay_types, name="pay_types"),
    path("catalogue/prices/deviations/", views.deviations, name="deviations"),
]
