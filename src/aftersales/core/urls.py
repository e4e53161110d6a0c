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
    path("companies/", views.company_list, name="companies"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/<id:entity_id>/", views.company_edit, name="company_edit"),
    path("calendar/", views.calendar_year, name="calendar"),
    path("calendar/<year:year>/", views.calendar_year, name="calendar_year"),
    path("media/<id:media_id>/", views.media_file, name="media"),
    path("media/<id:media_id>/thumbnail/", views.media_thumbnail, name="media_thumbnail"),
    path("jobs/", views.my_jobs, name="jobs"),
    path("staff/", views.staff_list, name="staff"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<id:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
