"""Site-wide pages: home (search and browse) and sign-up.

Views validate input, call one selector or form, and render; what the pages read
is web.selectors, where links lead is web.navigation.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_safe

from web import selectors
from web.forms import SearchForm, SignupForm
from web.limits import limited
from web.navigation import plan_wizard_url, safe_next


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What prepgraph is, the way to a plan, concept search, and the lists to browse."""
    form = SearchForm(request.GET)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        results = selectors.concept_search(form.cleaned_data["q"])
    wizard = plan_wizard_url()
    if request.user.is_authenticated:
        plan_url = wizard
    else:
        plan_url = f"{reverse('web:signup')}?{urlencode({'next': wizard})}"
    context = {
        "form": form,
        "results": results,
        "browse": selectors.browse(),
        "plan_url": plan_url,
    }
    return render(request, "web/home.html", context)


@require_http_methods(["GET", "POST"])
@limited("sign-up")
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account, sign it in, and go where the visitor was headed.

    `next` (query string or form) is followed only when it stays on this site;
    otherwise a new user goes to the plan wizard, which is why people sign up.
    """
    if request.user.is_authenticated:
        messages.info(request, "You are already signed in.")
        return redirect("web:home")
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            user = form.save()
            login(request, user)
            messages.success(request, f"Welcome, {user.get_username()}. You are signed in.")
            return redirect(next_url or plan_wizard_url())
    else:
        form = SignupForm()
    return render(request, "web/signup.html", {"form": form, "next": next_url or ""})
