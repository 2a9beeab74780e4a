"""The stock pages (`stock:`): a facility's lots, receiving a lot, recording wastage."""

from django.urls import path

from vaxbook.vaccines import views

app_name = "stock"

urlpatterns = [
    path("", views.stock, name="facility"),
    path("<uuid:facility_id>/", views.stock, name="facility"),
    path("<uuid:facility_id>/receive/", views.receive, name="receive"),
    path("<uuid:facility_id>/waste/", views.waste, name="waste"),
]
