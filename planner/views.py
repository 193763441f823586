"""Pages behind the links in reminders: mark an item done, replan.

GET names the item and the plan and asks; only POST changes anything, so
link previews and mail scanners that fetch URLs cannot mark work done.
Checking a link (signature, revision, revocation) is planner.links' job.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from kb.errors import ApplicationError
from planner import formats, links
from planner.models import Plan


@login_required
@require_GET
def plan_detail(request, pk: int):
    """A plan to read, day by day: where the links in reminders lead back to."""
    plan = get_object_or_404(Plan, pk=pk, owner=request.user)
    payload = formats.plan_payload(plan)
    return render(
        request,
        "planner/plan.html",
        {"plan": plan, "days": payload["days"], "summary": payload["summary"]},
    )


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
