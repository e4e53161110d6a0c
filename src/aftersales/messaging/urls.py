from django.urls import path

from aftersales.messaging import views

app_name = "messaging"

urlpatterns = [
    path("messages/", views.outbox, name="outbox"),
    path("messages/<id:message_id>/decision/", views.message_decision, name="decision"),
    path("messages/templates/", views.template_list, name="templates"),
    path("messages/templates/new/", views.template_create, name="template_create"),
    path("messages/templates/<id:template_id>/", views.template_edit, name="template_edit"),
    path("l/<str:token>/", views.customer_link, name="link"),
    path("tasks/", views.my_tasks, name="tasks"),
    path("tasks/<id:task_id>/close/", views.task_close, name="task_close"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
