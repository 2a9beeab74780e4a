from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vaxbook.accounts.selectors import memberships_for_user, user_scope


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            login(request, form.get_user())
            return redirect(request.GET.get("next") or "home")
        if getattr(request, "login_locked_until", None):
            form.errors.clear()
            messages.error(request, _("Too many failed sign-ins: the account is locked for a while."))
    return render(request, "accounts/login.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = user_scope(user=request.user)
    return render(
        request,
        "home.html",
        {"scope": scope, "memberships": memberships_for_user(user=request.user)},
    )
