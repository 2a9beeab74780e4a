from django.urls import path

from vaxbook.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.search, name="search"),
    path("persons/new/", views.person_create, name="create"),
    path("persons/<uuid:public_id>/", views.person_detail, name="person"),
    path("persons/<uuid:public_id>/edit/", views.person_edit, name="edit"),
    path("persons/<uuid:public_id>/duplicate/", views.person_duplicate, name="duplicate"),
    path("persons/<uuid:public_id>/household/", views.household_start, name="household_start"),
    path("households/<uuid:public_id>/", views.household_detail, name="household"),
    path("households/<uuid:public_id>/members/", views.household_member_add, name="member_add"),
    path(
        "households/<uuid:public_id>/members/<uuid:person_id>/remove/",
        views.household_member_remove,
        name="member_remove",
    ),
    path("wards/", views.wards, name="wards"),
]
