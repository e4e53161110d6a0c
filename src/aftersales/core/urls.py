from django.urls import path

from aftersales.core import views

app_name = "core"

urlpatterns = [
    path("", views.today, name="today"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("store/switch/", views.store_switch, name="store_switch"),
    path("stores/", views.store_list, name="stores"),
    path("stores/<id:store_id>/", views.store_detail, name="store_detail"),
    path("staff/", views.staff_list, name="staff"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<id:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
