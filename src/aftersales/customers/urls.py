from django.urls import path

from aftersales.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("validate/<str:field>/", views.identifier_check, name="validate"),
    path("<id:customer_id>/", views.customer_detail, name="detail"),
    path("<id:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<id:customer_id>/reveal/", views.customer_reveal, name="reveal"),
    path("<id:customer_id>/review/", views.customer_review, name="review"),
    path("<id:customer_id>/vehicles/new/", views.vehicle_create, name="vehicle_create"),
    path("vehicles/<id:vehicle_id>/", views.vehicle_detail, name="vehicle_detail"),
    path("vehicles/<id:vehicle_id>/edit/", views.vehicle_edit, name="vehicle_edit"),
    path("vehicles/<id:vehicle_id>/drivers/", views.vehicle_driver_add, name="driver_add"),
    path("vehicles/<id:vehicle_id>/drivers/<id:link_id>/end/", views.vehicle_driver_end, name="driver_end"),
    path("vehicles/<id:vehicle_id>/mileage/", views.mileage_add, name="mileage_add"),
    path("vehicles/<id:vehicle_id>/transfer/", views.vehicle_transfer, name="vehicle_transfer"),
]
