"""Sign-in pages (staff: username + password; citizens: phone + one-time code) and the home page."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods, require_POST

from vaxbook.accounts.forms import CodeForm, PhoneForm, StaffLoginForm
from vaxbook.accounts.models import Role
from vaxbook.accounts.names import display_name
from vaxbook.accounts.selectors import memberships_for_user, registry_visible, user_scope
from vaxbook.accounts.services import otp_request, otp_verify
from vaxbook.common.errors import DomainError
from vaxbook.common.forms import add_refusals
from vaxbook.common.models import SentMessage

CITIZEN_PHONE_KEY = "citizen_otp_phone"
BACKEND = "vaxbook.accounts.backends.LockoutModelBackend"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = StaffLoginForm(request, data=request.POST or None)
    locked_until = None
    if request.method == "POST":
        if form.is_valid():
            login(request, form.get_user())
            return redirect(_next_url(request) or "home")
        locked_until = getattr(request, "login_locked_until", None)
        if locked_until:
            form.errors.clear()  # the lockout says it all; "wrong password" would mislead
    return render(request, "accounts/login.html", {"form": form, "locked_until": locked_until})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


def _recorded_sms(phone: str | None) -> str:
    """On a development machine whose SMS are only recorded, the last one, so that a demo can go on."""
    if not (phone and settings.DEBUG and settings.SMS_BACKEND.endswith(".RecordingBackend")):
        return ""
    message = SentMessage.objects.filter(to=phone).order_by("-id").first()
    return message.body if message else ""


@require_http_methods(["GET", "POST"])
def citizen_login_view(request: HttpRequest) -> HttpResponse:
    """A citizen signs in with their phone: first the number (a code is sent by SMS), then the code."""
    if request.GET.get("restart"):
        request.session.pop(CITIZEN_PHONE_KEY, None)
    phone = request.session.get(CITIZEN_PHONE_KEY)
    step = request.POST.get("step", "")
    phone_form: forms.Form = PhoneForm(request.POST if step == "phone" else None)
    code_form: forms.Form = CodeForm(request.POST if step == "code" and phone else None)
    if step == "phone" and phone_form.is_valid():
        try:
            otc = otp_request(phone=phone_form.cleaned_data["phone"], language=get_language())
        except DomainError as exc:
            add_refusals(phone_form, exc.errors)
        else:
            request.session[CITIZEN_PHONE_KEY] = phone = otc.phone
            code_form = CodeForm()
    elif step == "code" and phone and code_form.is_valid():
        try:
            user = otp_verify(phone=phone, code=code_form.cleaned_data["code"])
        except DomainError as exc:
            add_refusals(code_form, exc.errors)
        else:
            login(request, user, backend=BACKEND)
            request.session.pop(CITIZEN_PHONE_KEY, None)
            return redirect(_next_url(request) or "home")
    context = {
        "phone": phone,
        "phone_form": phone_form,
        "code_form": code_form,
        "next": _next_url(request),
        "recorded_sms": _recorded_sms(phone),
    }
    return render(request, "accounts/citizen_login.html", context)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The home page: what each of the user's roles can do from here."""
    user: Any = request.user
    scope = user_scope(user=user)
    memberships = memberships_for_user(user=user)
    oversight = scope.national or bool(scope.area_unit_ids)
    context: dict[str, Any] = {
        "scope": scope,
        "memberships": memberships,
        "greeting_name": display_name(user),
        "show_oversight": oversight,
        "show_registry": registry_visible(user=user),
        "show_register": scope.national or scope.has_role(Role.DATA_CLERK, Role.FACILITY_MANAGER),
        "show_checkin": bool(scope.facility_ids),
        "organizations": [m.organization for m in memberships if m.organization is not None],
        "is_citizen": not memberships and not user.is_staff,
        "household": [],
    }
    if context["is_citizen"] and scope.person_id:
        from vaxbook.registry.selectors import persons_for_user

        household = list(persons_for_user(user=user).order_by("date_of_birth"))
        context["household"] = household
        # A citizen's account is named after its phone number: greet them by their record's name.
        me = next((p for p in household if p.pk == scope.person_id), None)
        if me is not None:
            context["greeting_name"] = me.full_name
    return render(request, "home.html", context)
