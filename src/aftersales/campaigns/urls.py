from django.urls import path

from aftersales.campaigns.views import registry

app_name = "campaigns"

urlpatterns = [
    path("campaigns/", registry.campaign_list, name="list"),
    path("campaigns/new/", registry.campaign_create, name="create"),
    path("campaigns/<id:campaign_id>/", registry.campaign_detail, name="detail"),
    path("campaigns/<id:campaign_id>/edit/", registry.campaign_edit, name="edit"),
    path("campaigns/<id:campaign_id>/ranges/", registry.range_add, name="range_add"),
    path("campaigns/<id:campaign_id>/models/", registry.model_add, name="model_add"),
    path("campaigns/<id:campaign_id>/vins/", registry.vins_import, name="vins_import"),
    path("campaigns/<id:campaign_id>/ranges/<id:row_id>/remove/", registry.range_remove, name="range_remove"),
    path("campaigns/<id:campaign_id>/models/<id:row_id>/remove/", registry.model_remove, name="model_remove"),
    path("campaigns/<id:campaign_id>/vins/clear/", registry.vins_clear, name="vins_clear"),
    path("campaigns/<id:campaign_id>/open/", registry.campaign_open, name="open"),
    path("campaigns/<id:campaign_id>/close/", registry.campaign_close, name="close"),
]
