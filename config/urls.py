from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("aftersales.customers.urls")),
    path("", include("aftersales.messaging.urls")),
    path("", include("aftersales.parts.urls")),
    path("", include("aftersales.catalogue.urls")),
    path("", include("aftersales.purchasing.urls")),
    path("", include("aftersales.appointments.urls")),
    path("", include("aftersales.campaigns.urls")),
    path("", include("aftersales.visits.urls")),
    path("", include("aftersales.workshop.urls")),
    path("", include("aftersales.quality.urls")),
    path("", include("aftersales.billing.urls")),
    path("", include("aftersales.core.urls")),
]

handler400 = "aftersales.core.views.error_400"
handler403 = "aftersales.core.views.error_403"
handler404 = "aftersales.core.views.error_404"
handler500 = "aftersales.core.views.error_500"
