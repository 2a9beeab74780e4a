"""The staff portal's pages: each app contributes its own urls module."""

from django.urls import include, path

from vaxbook.accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("vaxbook.accounts.urls")),
    path("registry/", include("vaxbook.registry.urls")),
    path("organizations/", include("vaxbook.organizations.urls")),
    path("clinic/", include("vaxbook.clinic.urls")),
    path("stock/", include("vaxbook.vaccines.urls")),
]
