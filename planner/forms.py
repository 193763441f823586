"""Forms of the plan pages: they read what a browser sends and hand planner.services its inputs.

The rules about plans live in planner.services and planner.preferences,
which raise errors naming the field at fault; `add_service_error` puts such
an error on that field, so an unknown team (with its did-you-mean) or an
interview in the past reads like any other form error. The forms check only
what a browser can get wrong on its own (a malformed date, 30 hours in a
day) and the bounds the API checks too (api/serializers/plans.py).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.core import signing
from django.utils import timezone as dj_timezone
from django.utils.datastructures import MultiValueDict
from django.utils.functional import cached_property
from django.utils.text import slugify

from kb.errors import ApplicationError
from kb.models import Area, Role
from kb.vocabulary import SLUG_PATTERN
from planner import services
from planner.models import ItemStatus, MemoryRating
from planner.selectors import WizardChoices

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
INTERVIEW_PAST = "The interview date is in the past."
MAX_SLUGS = 200  # as the API: a list longer than that is not a person typing
WIZARD_SALT = "prepgraph.plan-wizard"
WIZARD_MAX_AGE = 24 * 60 * 60  # a preview left open overnight still saves


def first_sentence(text: str) -> str:
    """The first sentence of `text`: a background's description in one line."""
    match = re.match(r"(.+?[.!?])(?=\s+[A-Z]|$)", text.strip(), re.S)
    return match.group(1) if match else text.strip()


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(services.iana_zones())]


def add_service_error(form: forms.Form, exc: ApplicationError) -> None:
    """Put a planner error on the field it names (PlanInputError.field, UnknownConcept's key).

    The message loses its "field: " prefix, which the field's label says already;
    an error naming no field of this form goes on top of the form.
    """
    name = getattr(exc, "field", None)
    if name is None:
        name = next((key for key in exc.details if key != "suggestions"), None)
    name = "hours" if name == "hours_per_weekday" else name
    message = exc.message
    if name and message.startswith(f"{name}: "):
        message = message[len(name) + 2 :]
    form.add_error(name if name in form.fields else None, message[:1].upper() + message[1:])


class HoursWidget(forms.MultiWidget):
    """Seven number inputs, Monday first, each labelled with its day."""

    template_name = "planner/widgets/hours.html"

    def __init__(self, attrs: dict | None = None) -> None:
        day = {"min": "0", "max": "24", "step": "0.25", "inputmode": "decimal", "class": "hours"}
        super().__init__([forms.NumberInput(attrs=day) for _ in DAY_NAMES], attrs)

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        subwidgets = context["widget"]["subwidgets"]
        context["widget"]["days"] = list(zip(DAY_NAMES, subwidgets, strict=True))
        return context

    def decompress(self, value: Any) -> list:
        return [f"{hours:g}" for hours in value] if value else [None] * 7


class HoursField(forms.MultiValueField):
    """Hours per weekday as services.PlanInputs.hours_per_weekday: a day left empty is 0."""

    widget = HoursWidget

    def __init__(self, **kwargs: Any) -> None:
        days = tuple(
            forms.FloatField(
                min_value=0,
                max_value=24,
                required=False,
                error_messages={
                    "max_value": f"{name}: at most 24 hours.",
                    "min_value": f"{name}: not below 0.",
                    "invalid": f"{name}: enter a number of hours.",
                },
            )
            for name in DAY_NAMES
        )
        super().__init__(days, require_all_fields=False, **kwargs)

    def compress(self, data_list: list) -> tuple[float, ...] | None:
        if not data_list:
            return None
        return tuple(float(value or 0) for value in data_list)


def hours_initial(hours: tuple[float, ...]) -> list[str]:
    """Hours as the seven inputs show them: "2", not "2.0"."""
    return HoursWidget().decompress(hours)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class PlanForm(forms.Form):
    """The plan wizard: services.PlanInputs field by field."""

    team = forms.CharField(
        required=False,
        max_length=80,
        help_text="The team's tracks say what matters, its loop which mock interviews to do.",
    )
    tracks = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Instead of a team, or on top of one.",
    )
    targets = forms.CharField(
        required=False,
        max_length=4000,
        label="Target concepts",
        help_text="Concepts you must know, separated by commas, e.g. beam-search, bert.",
    )
    interview = forms.DateField(label="Interview date", widget=_date_input())
    interview_time = forms.TimeField(label="Interview time", widget=_time_input())
    timezone = forms.ChoiceField(
        label="Time zone", help_text="Your days and the interview time are in this zone."
    )
    start = forms.DateField(
        required=False,
        label="First study day",
        widget=_date_input(),
        help_text="Today, unless you start later.",
    )
    hours = HoursField(
        label="Study hours per day", help_text="0 for a day without study. Quarter hours are fine."
    )
    role = forms.ChoiceField(
        required=False,
        help_text="A research scientist also rehearses a research talk.",
    )
    background = forms.ChoiceField(required=False, widget=forms.RadioSelect)
    known = forms.MultipleChoiceField(required=False)
    shaky = forms.MultipleChoiceField(required=False)
    known_areas = forms.MultipleChoiceField(required=False, choices=Area.choices)
    shaky_areas = forms.MultipleChoiceField(required=False, choices=Area.choices)
    include_recommended = forms.BooleanField(
        required=False,
        label="Also learn recommended prerequisites",
        help_text="Not only the required ones; plans need more time.",
    )
    study_time = forms.TimeField(
        label="When you study",
        widget=_time_input(),
        help_text="The time of the study events in the calendar file.",
    )
    blackout = forms.CharField(
        required=False,
        max_length=4000,
        label="Days without study",
        help_text="Dates separated by commas, e.g. 2026-12-24, 2026-12-25.",
    )

    def __init__(
        self, *args: Any, choices: WizardChoices, default_timezone: str = "UTC", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.choices = choices
        self.fields["tracks"].choices = [(t.slug, t.title) for t in choices.tracks]
        self.fields["role"].choices = [("", "The team's (ML engineer without a team)")]
        self.fields["role"].choices += Role.choices
        self.fields["background"].choices = [("", "None: assume nothing")]
        self.fields["background"].choices += [(b.slug, b.title) for b in choices.backgrounds]
        concepts = [(c.slug, c.title) for _, _, group in choices.concepts_by_area for c in group]
        self.fields["known"].choices = concepts
        self.fields["shaky"].choices = concepts
        self.fields["timezone"].choices = timezone_choices()
        self.fields["timezone"].initial = default_timezone
        self.fields["start"].initial = services.local_today(default_timezone)
        # The date pickers start at today in the plan's zone (wizard.js moves it to the
        # browser's today when it picks the browser's zone); clean() checks it anyway.
        today = services.local_today(self._zone_name(default_timezone)).isoformat()
        for name in ("interview", "start"):
            self.fields[name].widget.attrs["min"] = today
        self.fields["hours"].initial = hours_initial(services.DEFAULT_HOURS)
        self.fields["interview_time"].initial = "09:00"
        self.fields["study_time"].initial = "19:00"

    def _zone_name(self, default: str) -> str:
        """The zone the form was sent with, when it is one, else `default`."""
        sent = self.data.get("timezone") if self.is_bound else None
        return sent if sent in services.iana_zones() else default

    # --- what the template needs -------------------------------------------------------------

    def team_choices(self) -> list[tuple[str, str]]:
        roles = dict(Role.choices)
        return [(t.slug, f"{t.name} ({roles.get(t.role, t.role)})") for t in self.choices.teams]

    @cached_property
    def concept_titles(self) -> dict[str, str]:
        """Slug -> title of every concept, for the wording of the backgrounds' descriptions."""
        return {c.slug: c.title for _, _, group in self.choices.concepts_by_area for c in group}

    def background_options(self) -> list[dict[str, Any]]:
        chosen = self["background"].value() or ""
        options = [{"slug": "", "title": "None", "description": "", "summary": "Assume nothing."}]
        options += [
            {
                "slug": b.slug,
                "title": b.title,
                "description": b.description,
                "summary": first_sentence(b.description),
            }
            for b in self.choices.backgrounds
        ]
        for option in options:
            option["checked"] = option["slug"] == chosen
        return options

    def concept_groups(self) -> list[dict[str, Any]]:
        """Concepts by area, each with its known/shaky boxes ticked as the data says."""
        known, shaky = set(self["known"].value() or ()), set(self["shaky"].value() or ())
        known_areas = set(self["known_areas"].value() or ())
        shaky_areas = set(self["shaky_areas"].value() or ())
        groups = []
        for area, label, concepts in self.choices.concepts_by_area:
            rows = [
                {
                    "slug": c.slug,
                    "title": c.title,
                    "known": c.slug in known,
                    "shaky": c.slug in shaky,
                }
                for c in concepts
            ]
            groups.append(
                {
                    "area": area,
                    "label": label,
                    "concepts": rows,
                    "known_area": area in known_areas,
                    "shaky_area": area in shaky_areas,
                    "ticked": sum(r["known"] or r["shaky"] for r in rows)
                    + (area in known_areas or area in shaky_areas),
                }
            )
        return groups

    # --- checks ------------------------------------------------------------------------------

    def clean_team(self) -> str:
        return self.cleaned_data["team"].strip()

    def clean_targets(self) -> tuple[str, ...]:
        """Slugs, or titles turned into slugs ("Beam search" -> beam-search)."""
        terms = [t.strip() for t in re.split(r"[,\n;]+", self.cleaned_data["targets"])]
        slugs = tuple(dict.fromkeys(slugify(t) for t in terms if t))
        if len(slugs) > MAX_SLUGS:
            raise forms.ValidationError(f"At most {MAX_SLUGS} concepts.")
        bad = [slug for slug in slugs if not re.fullmatch(SLUG_PATTERN, slug)]
        if bad:
            raise forms.ValidationError(f"{bad[0]!r} is not a concept name.")
        return slugs

    def clean_blackout(self) -> tuple[date, ...]:
        days = []
        for raw in re.split(r"[,\s;]+", self.cleaned_data["blackout"].strip()):
            if not raw:
                continue
            try:
                days.append(date.fromisoformat(raw))
            except ValueError:
                raise forms.ValidationError(f"{raw!r} is not a date (YYYY-MM-DD).") from None
        return tuple(sorted(set(days)))

    def clean(self) -> dict[str, Any]:
        """The date bounds every way in checks (services.date_problems), in the plan's zone.

        An interview in the past is the interview date's fault alone (date_problems
        then blames the start only for its own faults). An interview today must still
        be ahead.
        """
        data = super().clean()
        zone_name = data.get("timezone")
        if not zone_name:
            return data
        today = services.local_today(zone_name)
        interview, start = data.get("interview"), data.get("start")
        problems = services.date_problems(today, interview, start, data.get("blackout") or ())
        if interview is not None and interview < today:  # resolve() would say it later
            problems["interview"] = INTERVIEW_PAST
        for field, message in problems.items():
            self.add_error(field, message)
        moment = data.get("interview_time")
        if interview == today and moment is not None and "interview" not in problems:
            now = dj_timezone.now().astimezone(services.zone(zone_name))
            if datetime.combine(interview, moment, tzinfo=now.tzinfo) <= now:
                self.add_error(
                    "interview_time",
                    f"This time today has passed: it is {now:%H:%M} in "
                    f"{zone_name.replace('_', ' ')} now.",
                )
        if "start" not in problems and data.get("start") == today:
            data["start"] = None  # "from today": still right if the preview is saved tomorrow
        return data

    def to_inputs(self) -> services.PlanInputs:
        data = self.cleaned_data
        return services.PlanInputs(
            interview=data["interview"],
            timezone=data["timezone"],
            interview_time=data["interview_time"],
            team=data["team"] or None,
            tracks={slug: 1.0 for slug in data["tracks"]},
            targets=data["targets"],
            start=data["start"],
            hours_per_weekday=data["hours"],
            blackout=data["blackout"],
            known=tuple(data["known"]),
            shaky=tuple(data["shaky"]),
            background=data["background"] or None,
            known_areas=tuple(data["known_areas"]),
            shaky_areas=tuple(data["shaky_areas"]),
            role=data["role"] or None,
            include_recommended=data["include_recommended"],
            study_time=data["study_time"],
        )


def plan_form_data(inputs: services.PlanInputs) -> MultiValueDict:
    """`inputs` as the browser would send them, to show the wizard again with them filled in."""
    data = MultiValueDict(
        {
            "team": [inputs.team or ""],
            "tracks": list(inputs.tracks),
            "targets": [",".join(inputs.targets)],  # no longer than what was sent
            "interview": [inputs.interview.isoformat()],
            "interview_time": [inputs.interview_time.strftime("%H:%M")],
            "timezone": [inputs.timezone],
            "start": [inputs.start.isoformat() if inputs.start else ""],
            "role": [inputs.role or ""],
            "background": [inputs.background or ""],
            "known": list(inputs.known),
            "shaky": list(inputs.shaky),
            "known_areas": list(inputs.known_areas),
            "shaky_areas": list(inputs.shaky_areas),
            "study_time": [inputs.study_time.strftime("%H:%M")],
            "blackout": [",".join(day.isoformat() for day in inputs.blackout)],
        }
    )
    for index, hours in enumerate(inputs.hours_per_weekday):
        data[f"hours_{index}"] = f"{hours:g}"
    if inputs.include_recommended:
        data["include_recommended"] = "on"
    return data


def sign_inputs(inputs: services.PlanInputs) -> str:
    """The previewed inputs, signed, for the preview's Save and Change buttons to send back."""
    return signing.dumps(inputs.to_json(), salt=WIZARD_SALT, compress=True)


def unsign_inputs(blob: str) -> services.PlanInputs | None:
    """The inputs `sign_inputs` signed, or None when the blob is forged, stale or unreadable."""
    try:
        return services.PlanInputs.from_json(
            signing.loads(blob, salt=WIZARD_SALT, max_age=WIZARD_MAX_AGE)
        )
    except (signing.BadSignature, ValueError, TypeError, AttributeError):
        return None


class MarkForm(forms.Form):
    """One click on an item: its new status and the plan revision the page showed."""

    status = forms.ChoiceField(choices=ItemStatus.choices)
    revision = forms.IntegerField(min_value=1, required=False)


class RatingForm(forms.Form):
    """One click on a self-test: how it went (memory_services.rating_record checks it too)."""

    rating = forms.ChoiceField(choices=MemoryRating.choices)


class ReplanForm(forms.Form):
    """What a replan may change (api ReplanSerializer): the interview date and the hours."""

    interview = forms.DateField(
        required=False,
        label="New interview date",
        widget=_date_input(),
        help_text="Leave as it is to keep the date.",
    )
    hours = HoursField(required=False, label="Study hours per day")

    def __init__(self, *args: Any, timezone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone_name = timezone

    def clean_interview(self) -> date | None:
        interview = self.cleaned_data["interview"]
        latest = services.local_today(self.zone_name) + timedelta(days=services.MAX_PLAN_DAYS)
        if interview is not None and interview > latest:
            raise forms.ValidationError(f"At most {services.MAX_PLAN_DAYS} days ahead.")
        return interview


class ReminderForm(forms.Form):
    """planner.preferences.EDITABLE, each as the browser sends it; preferences checks the rest."""

    enabled = forms.BooleanField(required=False, label="Send me reminders")
    email = forms.BooleanField(required=False, label="By email")
    webhook_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="Webhook URL",
        help_text="We POST each reminder as signed JSON here (public https addresses only).",
    )
    local_time = forms.TimeField(
        label="Time of day", widget=_time_input(), help_text="When the daily reminder comes."
    )
    timezone = forms.ChoiceField(label="Time zone")
    days_off = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        choices=list(enumerate(DAY_NAMES)),
        widget=forms.CheckboxSelectMultiple,
        label="No reminders on",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()
