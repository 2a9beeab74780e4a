"""The vaccination-day desk's pages (`clinic:`)."""

from django.urls import path

from vaxbook.clinic import views

app_name = "clinic"

_F = "<uuid:facility_id>/"

urlpatterns = [
    # `clinic:checkin` without arguments: the user's facility, or a choice of facilities.
    path("checkin/", views.checkin, name="checkin"),
    path(f"{_F}checkin/", views.checkin, name="checkin"),
    path(f"{_F}persons/<uuid:person_id>/", views.person, name="person"),
    path(f"{_F}persons/<uuid:person_id>/fix/", views.person_fix, name="fix"),
    path(f"{_F}persons/<uuid:person_id>/screening/", views.screening, name="screening"),
    path(f"{_F}persons/<uuid:person_id>/dose/", views.dose, name="dose"),
    path(f"{_F}doses/<uuid:dose_id>/void/", views.dose_void, name="dose_void"),
    path(f"{_F}doses/<uuid:dose_id>/adverse-event/", views.adverse_event, name="adverse_event"),
    path("observation/", views.observation, name="observation"),
    path(f"{_F}observation/", views.observation, name="observation"),
    path("adverse-events/", views.adverse_events, name="adverse_events"),
    path("sessions/", views.sessions, name="sessions"),
    path(f"{_F}sessions/", views.sessions, name="sessions"),
    path(f"{_F}sessions/<uuid:session_id>/", views.session_detail, name="session"),
    path(f"{_F}sessions/<uuid:session_id>/invite/", views.session_invite, name="session_invite"),
    path(f"{_F}sessions/<uuid:session_id>/remind/", views.session_remind, name="session_remind"),
]
