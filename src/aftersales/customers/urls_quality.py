from django.urls import path

from aftersales.customers import views_quality

app_name = "customer_quality"

urlpatterns = [
    path("duplicates/", views_quality.duplicates, name="duplicates"),
    path("merge/<id:survivor_id>/<id:merged_id>/", views_quality.merge, name="merge"),
    path("review/", views_quality.review_queue, name="review_queue"),
    path("review/<id:customer_id>/", views_quality.mark_reviewed, name="mark_reviewed"),
    path("rule/", views_quality.archive_rule, name="archive_rule"),
]
