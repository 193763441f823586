"""Pages behind the signed links in reminders: mark an item done, replan.

GET shows what will happen and a button; only POST changes anything, so link
previews and mail scanners that fetch URLs cannot mark work done.
"""

from django.core import signing
from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from kb.errors import ApplicationError
from planner import reminders


def _bad_link(request, reason: str):
    return render(request, "planner/link.html", {"error": reason}, status=400)


def _link_view(action, salt: str, describe: str, done: str):
    @require_http_methods(["GET", "POST"])
    def view(request, token: str):
        try:
            reminders.read_link(token, salt)
        except signing.SignatureExpired:
            return _bad_link(request, "This link has expired. Open your plan to continue.")
        except signing.BadSignature:
            return _bad_link(request, "This link is not valid.")
        if request.method == "GET":
            return render(request, "planner/link.html", {"question": describe})
        try:
            action(token)
        except ObjectDoesNotExist:
            return _bad_link(request, "This plan or item no longer exists.")
        except ApplicationError as exc:
            return _bad_link(request, exc.message)
        return render(request, "planner/link.html", {"message": done})

    return view


mark_done = _link_view(
    reminders.mark_done_from_link,
    reminders.MARK_DONE_SALT,
    "Mark this item as done?",
    "Marked done.",
)
replan = _link_view(
    reminders.replan_from_link,
    reminders.REPLAN_SALT,
    "Replan from today? Work you marked done stays; the rest is rescheduled.",
    "Your plan was rescheduled from today.",
)
