from django.urls import path

from vaxbook.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("citizen/", views.citizen_login_view, name="citizen_login"),
]
