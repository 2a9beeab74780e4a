from django.urls import path

from vaxbook.organizations import views

app_name = "organizations"
urlpatterns = [
    path("", views.organization_list, name="list"),
    path("<uuid:organization_id>/", views.roster, name="roster"),
    path("<uuid:organization_id>/roster-template.xlsx", views.roster_template, name="roster_template"),
    path(
        "<uuid:organization_id>/roster/<uuid:person_id>/remove/", views.roster_entry_remove, name="roster_entry_remove"
    ),
    path("<uuid:organization_id>/roster/<uuid:person_id>/edit/", views.roster_entry_edit, name="roster_entry_edit"),
    path("<uuid:organization_id>/imports/", views.roster_imports, name="imports"),
    path("<uuid:organization_id>/exports/", views.roster_export_create, name="export_create"),
    path("exports/<uuid:export_id>/", views.roster_export, name="export"),
    path("exports/<uuid:export_id>/status/", views.roster_export_status, name="export_status"),
    path("exports/<uuid:export_id>/roster.xlsx", views.roster_export_file, name="export_file"),
    path("conflicts/", views.conflict_list, name="conflicts"),
    path("conflicts/<uuid:conflict_id>/", views.conflict_detail, name="conflict"),
    path("imports/<uuid:import_id>/", views.roster_import, name="import"),
    path("imports/<uuid:import_id>/status/", views.roster_import_status, name="import_status"),
    path("imports/<uuid:import_id>/cancel/", views.roster_import_cancel, name="import_cancel"),
    path("imports/<uuid:import_id>/error-report.xlsx", views.roster_import_error_report, name="error_report"),
]
