"""The plan pages, and the pages behind the links in reminders.

Each view checks its input with a form (planner.forms), calls one planner
function (services, preferences, feeds, calendar; reads in planner.selectors)
and renders or redirects: the same calls api/views/plans.py makes, so the
site and the API cannot disagree about a plan. Another user's plan is a 404
on every route.

Marking an item works as a plain form POST (then a redirect back to the
item) and as a fetch from planner/static/planner/plan.js, which asks for
JSON with `Accept: application/json` and gets the item, the new progress
numbers and the redrawn chart back. Rating a self-test works the same way
(planner.memory_services, as the API's rating route); the answer is the
concept's next review.

The link pages: GET names the item and the plan and asks; only POST changes
anything, so link previews and mail scanners that fetch URLs cannot mark
work done. Checking a link (signature, revision, revocation) is
planner.links' job.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kb.errors import ApplicationError
from kb.search import unknown_message
from planner import (
    calendar,
    charts,
    feeds,
    formats,
    links,
    memory_services,
    preferences,
    selectors,
    services,
)
from planner.forms import (
    MarkForm,
    PlanForm,
    RatingForm,
    ReminderForm,
    ReplanForm,
    add_service_error,
    hours_initial,
    plan_form_data,
    sign_inputs,
    unsign_inputs,
)
from planner.memory import RatingInputError
from planner.models import ItemStatus, Plan

PREVIEW_DAYS = 7  # study days the wizard's preview lists


def _wants_json(request: HttpRequest) -> bool:
    """plan.js asks for JSON; a plain form POST (no JavaScript) gets a redirect."""
    return "application/json" in request.headers.get("Accept", "")


def _plan_url(plan: Plan, anchor: str = "") -> str:
    return reverse("planner:plan", args=[plan.pk]) + (f"#{anchor}" if anchor else "")


# --- the list -----------------------------------------------------------------------------------


@login_required
@require_safe
def plan_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's plans: the active ones first, the archived ones folded away."""
    rows = selectors.plan_rows(user=request.user)
    return render(
        request,
        "planner/plan_list.html",
        {
            "active": [row for row in rows if row.plan.archived_at is None],
            "archived": [row for row in rows if row.plan.archived_at is not None],
        },
    )


# --- the wizard ---------------------------------------------------------------------------------


def _plan_form(request: HttpRequest, data: Any = None, **kwargs: Any) -> PlanForm:
    default_zone = preferences.preference_get(user=request.user).timezone
    return PlanForm(
        data, choices=selectors.wizard_choices(), default_timezone=default_zone, **kwargs
    )


def _wizard(request: HttpRequest, form: PlanForm, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "planner/plan_new.html", {"form": form, **extra}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest) -> HttpResponse:
    """Make a plan: the form, then a preview (nothing stored), then Save or Change.

    The preview carries the checked inputs back signed (forms.sign_inputs), so
    Save stores exactly the plan that was previewed, and Change shows the form
    filled in as it was sent.
    """
    if request.method == "GET":
        # ?team= and ?background= come from the team page's link: an unknown
        # team is said (with its did-you-mean), an unknown background is left out.
        team = request.GET.get("team", "").strip()
        background = request.GET.get("background", "").strip()
        form = _plan_form(request, initial={"team": team})
        warning = None
        if team and team not in {t.slug for t in form.choices.teams}:
            warning = unknown_message("team", [team], [t.slug for t in form.choices.teams])
            form.initial["team"] = ""
        if background in {b.slug for b in form.choices.backgrounds}:
            form.initial["background"] = background
        return _wizard(request, form, team_warning=warning, fresh=True)

    action = request.POST.get("action", "preview")
    if action in ("save", "change"):
        inputs = unsign_inputs(request.POST.get("inputs", ""))
        if inputs is None:
            messages.error(request, "That preview is too old to save; please check the form again.")
            return _wizard(request, _plan_form(request), status=400, fresh=True)
        form = _plan_form(request, plan_form_data(inputs))
        valid = form.is_valid()  # the date bounds may have moved on since the preview
        if action == "change":
            return _wizard(request, form)
        if not valid:
            return _wizard(request, form, status=400)
        try:
            plan = services.create_plan(owner=request.user, inputs=inputs)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return _wizard(request, form, status=400)
        messages.success(request, "Your plan is saved.")
        return redirect(_plan_url(plan))

    form = _plan_form(request, request.POST)
    if form.is_valid():
        inputs = form.to_inputs()
        try:
            resolved, schedule = services.preview_plan(inputs)
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            payload = formats.preview_payload(resolved, schedule)
            days = selectors.dated_days(payload["days"])
            return render(
                request,
                "planner/plan_preview.html",
                {
                    "payload": payload,
                    "summary": payload["summary"],
                    "team": resolved.team,
                    "first_days": [day for day in days if day["items"]][:PREVIEW_DAYS],
                    "study_days": sum(1 for day in days if day["available_minutes"]),
                    "start": resolved.request.start,
                    "interview_at": resolved.interview_at,
                    "background": next(
                        (b for b in form.choices.backgrounds if b.slug == inputs.background), None
                    ),
                    "signed_inputs": sign_inputs(inputs),
                },
            )
    return _wizard(request, form, status=400)


# --- one plan -----------------------------------------------------------------------------------


@login_required
@never_cache  # shows the private feed URL
@require_safe
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Today first, then progress, what did not fit, the agenda, and the plan's tools."""
    plan = selectors.owned_plan(user=request.user, pk=pk)
    page = selectors.plan_page(plan)
    feed = reverse("api:feed", kwargs={"token": plan.feed_token})
    replan_form = ReplanForm(
        initial={"hours": hours_initial(services.plan_inputs(plan).hours_per_weekday)},
        timezone=plan.timezone,
    )
    return render(
        request,
        "planner/plan.html",
        {
            "plan": plan,
            "page": page,
            "payload": page.payload,
            "summary": page.payload["summary"],
            "chart": charts.progress_chart(page.progress),
            "progress": page.progress,
            "feed_url": request.build_absolute_uri(feed),
            "replan_form": replan_form,
        },
    )


def _progress_json(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    measured = selectors.plan_progress(plan)
    context = {"progress": measured, "chart": charts.progress_chart(measured)}
    return {
        "done": measured.done,
        "planned": measured.planned,
        "percent": measured.percent,
        "text": measured.text,
        "today_done": measured.today_done,
        "today_planned": measured.today_planned,
        "html": render_to_string("planner/_progress.html", context, request=request),
    }


@login_required
@require_POST
def plan_item_mark(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """Done, skipped or back to to-do (services.mark_plan_item, as the API's PATCH)."""
    plan = selectors.owned_plan(user=request.user, pk=pk)
    form = MarkForm(request.POST)
    as_json = _wants_json(request)
    if not form.is_valid():
        if as_json:
            error = {"code": "invalid", "message": "Not a status an item can have."}
            return JsonResponse({"error": error}, status=400)
        messages.error(request, "That was not a status an item can have.")
        return redirect(_plan_url(plan))
    try:
        item = services.mark_plan_item(
            plan=plan,
            item_id=item_id,
            status=form.cleaned_data["status"],
            revision=form.cleaned_data["revision"],
        )
    except services.PlanItemNotFound:
        raise Http404(f"plan {plan.pk} has no item {item_id}") from None
    except services.PlanChanged as exc:
        text = (
            "This plan was replanned since the page was loaded, so nothing was marked. "
            "Reload the page to see the plan as it is now."
        )
        if as_json:
            return JsonResponse({"error": {"code": exc.code, "message": text}}, status=409)
        messages.error(request, text.replace("Reload the page to see", "Here is"))
        return redirect(_plan_url(plan))
    if as_json:
        return JsonResponse(
            {
                "item": {"id": item.pk, "status": item.status},
                "revision": item.plan.revision,
                "progress": _progress_json(request, item.plan),
            }
        )
    title = item.concept.title if item.concept_id else (item.note or item.get_kind_display())
    said = {
        ItemStatus.DONE: "Done",
        ItemStatus.SKIPPED: "Skipped",
        ItemStatus.PENDING: "Back on your to-do list",
    }
    messages.success(request, f"{said[item.status]}: {title}.")
    return redirect(_plan_url(plan, f"item-{item.pk}"))


def _rating_refused(
    request: HttpRequest, plan: Plan, item_id: int, *, code: str, message: str, as_json: bool
) -> HttpResponse:
    """A rating not taken: a 400 for plan.js, else the message back at the item (as a
    refused mark), since the page's own buttons cannot send it and only a stale or hand-made
    request gets here."""
    if as_json:
        return JsonResponse({"error": {"code": code, "message": message}}, status=400)
    messages.error(request, message)
    return redirect(_plan_url(plan, f"item-{item_id}"))


@login_required
@require_POST
def plan_item_rating(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """Rate the self-test after a learn or review item (memory_services.plan_item_rating,
    as the API's POST): the concept's memory card moves on, and the page says its next review."""
    plan = selectors.owned_plan(user=request.user, pk=pk)
    form = RatingForm(request.POST)
    as_json = _wants_json(request)
    if not form.is_valid():
        text = "That was not a rating: choose Again, Hard, Good or Easy."
        return _rating_refused(
            request, plan, item_id, code="invalid", message=text, as_json=as_json
        )
    rating = form.cleaned_data["rating"]
    try:
        card, moved = memory_services.plan_item_rating(
            user=request.user, plan=plan, item_id=item_id, rating=rating
        )
    except services.PlanItemNotFound:
        if as_json:  # replanned since the page loaded, most likely: plan.js says reload
            text = "This item is no longer in the plan. Reload the page to see the plan as it is."
            return JsonResponse({"error": {"code": "not_found", "message": text}}, status=404)
        raise Http404(f"plan {plan.pk} has no item {item_id}") from None
    except RatingInputError as exc:
        text = exc.message
        if exc.field in ("item", "concept"):
            text = "Only learn and review sessions of a concept have a self-test to rate."
        return _rating_refused(request, plan, item_id, code=exc.code, message=text, as_json=as_json)
    except ApplicationError as exc:  # the concept left the knowledge base since the page loaded
        return _rating_refused(
            request, plan, item_id, code=exc.code, message=exc.message, as_json=as_json
        )
    answer = selectors.rating_answer(plan, item_id, card, rating, moved)
    if as_json:
        return JsonResponse(
            {
                "item": {"id": answer.item_id},
                "concept": answer.concept,
                "title": answer.title,
                "rating": answer.rating,
                "due": answer.due.isoformat(),
                "due_date": answer.due.date().isoformat(),
                "text": answer.text,
                "message": answer.message,
                "review_days": [day.isoformat() for day in answer.review_days],
                "moved_text": answer.moved_text,
                "revision": answer.revision,
            }
        )
    messages.success(request, answer.message)
    return redirect(_plan_url(plan, f"item-{item_id}"))


def _fits(plan: Plan) -> str:
    """ "Now it fits core 8 of 16 topics, important 2 of 35, useful 1 of 53." """
    tiers = [t for t in plan.summary.get("tiers", []) if t["targets"]]
    if not tiers:
        return ""
    counts = [f"{t['name']} {t['learned']} of {t['targets']}" for t in tiers]
    return f"Now it fits {counts[0]} topics" + "".join(f", {c}" for c in counts[1:]) + "."


@login_required
@require_http_methods(["GET", "POST"])
def plan_replan(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep what is done and plan the rest again from today (services.replan).

    GET asks first (the page the plan page's button falls back to); POST does it,
    optionally with a new interview date or new hours, as the API allows.
    """
    plan = selectors.owned_plan(user=request.user, pk=pk)
    initial = {"hours": hours_initial(services.plan_inputs(plan).hours_per_weekday)}
    form = ReplanForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        timezone=plan.timezone,
    )
    if request.method == "POST" and form.is_valid():
        changes: dict[str, Any] = {}
        if form.cleaned_data["interview"] is not None:
            changes["interview"] = form.cleaned_data["interview"]
        if form.cleaned_data["hours"] is not None:
            changes["hours_per_weekday"] = form.cleaned_data["hours"]
        try:
            plan = services.replan(plan=plan, **changes)
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, f"Replanned from today, keeping what you marked done. {_fits(plan)}"
            )
            return redirect(_plan_url(plan))
    status = 400 if request.method == "POST" else 200
    return render(request, "planner/replan.html", {"plan": plan, "form": form}, status=status)


@login_required
@never_cache
@require_safe
def plan_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan as an .ics file: planner.calendar.to_ics, as the API's calendar route."""
    plan = selectors.owned_plan(user=request.user, pk=pk)
    body = calendar.to_ics(formats.plan_payload(plan), key=str(plan.uid), stamp=plan.updated_at)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="prepgraph-plan-{plan.pk}.ics"'
    return response


@login_required
@require_POST
def plan_feed_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """A new secret feed URL; calendars subscribed to the old one stop updating."""
    plan = feeds.plan_feed_rotate(plan=selectors.owned_plan(user=request.user, pk=pk))
    messages.success(
        request,
        "Your calendar feed has a new address; the old one no longer works. "
        "Subscribe again with the new one.",
    )
    return redirect(_plan_url(plan, "calendar"))


@login_required
@require_POST
def plan_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """Archive the plan (it stays readable, reminders stop) or bring it back."""
    archived = request.POST.get("archived") != "0"
    plan = services.plan_archive(
        plan=selectors.owned_plan(user=request.user, pk=pk), archived=archived
    )
    if archived:
        messages.success(request, "Plan archived: it sends no more reminders.")
    else:
        messages.success(request, "Plan brought back: reminders resume.")
    return redirect(_plan_url(plan))


# --- concept status (for the concept graph) -----------------------------------------------------


@never_cache
@require_safe
def concept_status(request: HttpRequest) -> JsonResponse:
    """`{"plan": {"id", "title", "url"} | null, "status": {slug: "known"|"planned"|"done"}}`.

    For `?plan=<id>` (404 if not the user's), else the user's latest active plan that
    schedules `?concept=<slug>` if one does, else the latest active plan;
    anonymous visitors and users without a plan get no plan and no statuses.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"plan": None, "status": {}})
    raw = request.GET.get("plan", "").strip()
    if raw and not (raw.isascii() and raw.isdigit()):
        return JsonResponse(
            {"error": {"code": "invalid", "message": "plan must be a plan id"}}, status=400
        )
    try:
        plan = selectors.status_plan(
            user=request.user,
            plan_id=int(raw) if raw else None,
            concept=request.GET.get("concept", "").strip()[:80],
        )
    except Http404:
        return JsonResponse({"error": {"code": "not_found", "message": "no such plan"}}, status=404)
    if plan is None:
        return JsonResponse({"plan": None, "status": {}})
    return JsonResponse(
        {
            "plan": {"id": plan.pk, "title": plan.title, "url": _plan_url(plan)},
            "status": selectors.concept_status(plan),
        }
    )


# --- reminder preferences -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@never_cache  # shows the webhook secret
def reminder_preferences(request: HttpRequest) -> HttpResponse:
    """planner.preferences, as a form. Reading it stores nothing: reminders stay off until saved."""
    preference = preferences.preference_get(user=request.user)
    if request.method == "POST":
        form = ReminderForm(request.POST)
        if form.is_valid():
            try:
                preferences.preference_update(user=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Reminder settings saved.")
                return redirect("planner:reminder-preferences")
    else:
        form = ReminderForm(
            initial={
                "enabled": preference.enabled,
                "email": preference.email,
                "webhook_url": preference.webhook_url,
                "local_time": preference.local_time,
                "timezone": preference.timezone,
                "days_off": preference.days_off,
            }
        )
    return render(
        request,
        "planner/reminders.html",
        {"form": form, "preference": preference, "saved": preference.pk is not None},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def reminder_rotate_webhook_secret(request: HttpRequest) -> HttpResponse:
    preferences.preference_rotate_webhook_secret(user=request.user)
    messages.success(request, "New webhook secret: update it where you verify the signatures.")
    return redirect(reverse("planner:reminder-preferences") + "#webhook-secret")


@login_required
@require_POST
def reminder_revoke_links(request: HttpRequest) -> HttpResponse:
    preferences.preference_revoke_links(user=request.user)
    messages.success(
        request, "Every mark-done and replan link in the reminders sent so far stopped working."
    )
    return redirect("planner:reminder-preferences")


# --- the pages behind the links in reminders ----------------------------------------------------


def _link_view(find, act, question: str, done: str):
    @require_http_methods(["GET", "POST"])
    def view(request, token: str):
        try:
            target = find(token) if request.method == "GET" else act(token)
        except ApplicationError as exc:
            return render(request, "planner/link.html", {"error": exc.message}, status=400)
        context = {
            "plan": target.plan,
            "item": target.item,
            "plan_url": links.plan_url(target.plan),
            "question": question if request.method == "GET" else None,
            "message": done if request.method == "POST" else None,
        }
        return render(request, "planner/link.html", context)

    return view


mark_done = _link_view(
    links.mark_done_target, links.mark_done_from_link, "Mark this item as done?", "Marked done."
)
replan = _link_view(
    links.replan_target,
    links.replan_from_link,
    "Replan from today? Work you marked done stays; the rest is rescheduled.",
    "Your plan was rescheduled from today.",
)
