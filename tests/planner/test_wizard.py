"""The plan wizard end to end: form -> preview (nothing stored) -> save, or change; bad input
becomes an error on the field at fault, never a 500."""

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model

from planner import services
from planner.forms import sign_inputs
from planner.models import Plan

pytestmark = pytest.mark.django_db

TZ = "Europe/Berlin"
URL = "/plans/new/"


def day(offset: int) -> str:
    return (services.local_today(TZ) + timedelta(days=offset)).isoformat()


def answers(**changes) -> dict:
    """The wizard filled in as a candidate would: a team, a date, hours, a background."""
    data = {
        "team": "llm-research",
        "interview": day(10),
        "interview_time": "10:30",
        "timezone": TZ,
        "start": "",
        "background": "ml-engineer",
        "known": ["tokenization"],
        "study_time": "07:00",
        "action": "preview",
        **{f"hours_{d}": "2" for d in range(5)},
        "hours_5": "4",
        "hours_6": "0",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def ada(db):
    return get_user_model().objects.create_user("ada")


@pytest.fixture
def signed_in(client, ada, small_kb):
    client.force_login(ada)
    return client


def signed_blob(html: str) -> str:
    return re.search(r'name="inputs" value="([^"]+)"', html).group(1)


def test_the_form_starts_from_the_team_in_the_link_and_sensible_defaults(signed_in):
    html = signed_in.get(URL, {"team": "ads-ranking"}).content.decode()
    assert '<option value="ads-ranking" selected>' in html
    assert 'value="19:00"' in html and 'value="09:00"' in html  # study and interview times
    assert f'name="start" value="{services.local_today("UTC").isoformat()}"' in html
    assert '<option value="UTC" selected>' in html  # no preference, no plan: UTC
    for name in ("hours_0", "hours_6"):
        assert re.search(rf'name="{name}" value="(2|4)"', html), name
    assert 'name="known" value="softmax"' in html and 'name="shaky" value="softmax"' in html
    assert "data-from-browser" in html  # wizard.js may set the browser's zone
    assert html.count('<details class="area"') == 3  # math, fundamentals, nlp


def test_a_team_in_the_link_that_does_not_exist_is_said_with_a_suggestion(signed_in):
    html = signed_in.get(URL, {"team": "llm-reserch"}).content.decode()
    assert (
        "There is no team &#x27;llm-reserch&#x27; (did you mean: &#x27;llm-research&#x27;?)" in html
    )
    assert "selected>" not in html.split('name="team"')[1].split("</select>")[0]


def test_the_preview_shows_the_plan_and_stores_nothing(signed_in):
    response = signed_in.post(URL, answers(interview=day(3), **{"hours_5": "1"}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview: nothing is saved yet" in html
    assert "LLM research: interview" in html and "10:30" in html
    payload = response.context["payload"]
    assert payload["summary"]["cut"], "three short days cannot hold the whole team"
    assert "What does not fit:" in html
    for tier in payload["summary"]["tiers"]:
        if tier["targets"]:
            assert f"{tier['learned']} of {tier['targets']}" in html
    cut = next(c for c in payload["summary"]["cut"] if c.get("tier"))
    assert f'<a href="/concepts/{cut["concept"]}/">{cut["title"]}</a>' in html
    assert "Study time you have" in html and "The first days" in html
    assert Plan.objects.count() == 0
    assert 'name="action" value="save"' in html and 'name="action" value="change"' in html


def test_the_preview_counts_study_days_from_the_first_day_whatever_it_holds(signed_in):
    # Six minutes a day hold no session: the days are empty, yet they start today.
    hours = {f"hours_{n}": "0.1" for n in range(7)}
    response = signed_in.post(URL, answers(interview=day(5), start=day(0), **hours))
    start = date.fromisoformat(day(0))
    assert f"study days from {start:%A} {start.day} {start:%B}" in response.content.decode()


def test_save_stores_exactly_the_previewed_inputs(signed_in, ada):
    preview = signed_in.post(URL, answers(start=day(0)))
    blob = signed_blob(preview.content.decode())
    response = signed_in.post(URL, {"inputs": blob, "action": "save"})
    plan = Plan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    assert plan.owner == ada and plan.team.slug == "llm-research"
    inputs = services.plan_inputs(plan)
    assert inputs.hours_per_weekday == (2, 2, 2, 2, 2, 4, 0)
    assert (inputs.background, inputs.known) == ("ml-engineer", ("tokenization",))
    assert inputs.interview_time.isoformat("minutes") == "10:30"
    assert inputs.study_time.isoformat("minutes") == "07:00"
    assert inputs.start is None  # today is "from today": right even if saved tomorrow
    assert plan.timezone == TZ
    page = signed_in.get(response["Location"]).content.decode()
    assert "Your plan is saved." in page


def test_change_shows_the_form_again_filled_in(signed_in):
    blob = signed_blob(signed_in.post(URL, answers()).content.decode())
    html = signed_in.post(URL, {"inputs": blob, "action": "change"}).content.decode()
    assert '<option value="llm-research" selected>' in html
    assert f'name="interview" value="{day(10)}"' in html
    assert 'name="hours_5" value="4"' in html and 'name="hours_6" value="0"' in html
    assert 'name="known" value="tokenization" aria-label="Known: Tokenization" checked' in html
    assert 'value="ml-engineer" checked' in html
    assert Plan.objects.count() == 0


def test_a_forged_or_garbled_preview_saves_nothing(signed_in):
    for blob in ("", "not-signed", sign_inputs(services.PlanInputs(interview=None))[:-3] + "xyz"):
        response = signed_in.post(URL, {"inputs": blob, "action": "save"})
        assert response.status_code == 400
        assert "That preview is too old to save" in response.content.decode()
    assert Plan.objects.count() == 0


def test_a_preview_saved_after_its_interview_passed_is_a_field_error(signed_in):
    # In the plan's zone: between midnight in Berlin and in UTC, yesterday there is today here.
    stale = services.PlanInputs(
        team="llm-research", interview=services.local_today(TZ), timezone=TZ
    )
    stale = services.PlanInputs(**{**stale.__dict__, "interview": stale.interview - timedelta(1)})
    response = signed_in.post(URL, {"inputs": sign_inputs(stale), "action": "save"})
    assert response.status_code == 400
    assert "is in the past" in response.context["form"].errors["interview"][0]
    assert Plan.objects.count() == 0


def test_a_preview_whose_first_day_has_passed_is_checked_again_on_save(signed_in):
    today = services.local_today(TZ)
    stale = services.PlanInputs(
        team="llm-research",
        interview=today + timedelta(days=5),
        start=today - timedelta(days=1),
        timezone=TZ,
    )
    response = signed_in.post(URL, {"inputs": sign_inputs(stale), "action": "save"})
    assert response.status_code == 400
    assert "between today and the interview" in response.context["form"].errors["start"][0]
    assert Plan.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"interview": day(-1)}, "interview", "is in the past"),
        ({"interview": day(400)}, "interview", "At most 366 days ahead"),
        ({"interview": "next friday"}, "interview", "valid date"),
        ({f"hours_{d}": "0" for d in range(7)}, "hours", "no study time at all"),
        ({"hours_2": "30"}, "hours", "Wednesday: at most 24 hours"),
        ({"team": "llm-reserch"}, "team", "did you mean: 'llm-research'?"),
        ({"team": "", "targets": "transfomer"}, "targets", "did you mean: 'transformer'?"),
        ({"team": ""}, "team", "give a team, tracks or target concepts"),
        ({"start": day(12)}, "start", "between today and the interview"),
        ({"timezone": "Mars/Olympus"}, "timezone", "valid choice"),
        ({"background": "astronaut"}, "background", "valid choice"),
        ({"blackout": "tomorrow"}, "blackout", "is not a date"),
    ],
)
def test_bad_answers_are_errors_on_their_field(signed_in, changes, field, says):
    response = signed_in.post(URL, answers(**changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert says.lower() in " ".join(errors[field]).lower(), errors[field]
    assert Plan.objects.count() == 0


def test_a_target_given_by_its_title_is_found(signed_in):
    response = signed_in.post(URL, answers(team="", targets="Transformer, BERT"))
    assert response.status_code == 200, response.context["form"].errors
    assert signed_blob(response.content.decode())
    assert response.context["payload"]["summary"]["tiers"][0]["targets"] == 2


def test_the_time_zone_defaults_to_the_reminder_preferences(signed_in, ada):
    from planner import preferences

    preferences.preference_update(user=ada, timezone="Asia/Tokyo")
    html = signed_in.get(URL).content.decode()
    assert '<option value="Asia/Tokyo" selected>' in html


# --- dates: the field at fault ----------------------------------------------------------------


def test_an_interview_in_the_past_is_the_interview_dates_fault_not_the_first_days(signed_in):
    """The form starts with today as the first study day: an interview before it must not
    make that untouched field the one in error."""
    response = signed_in.post(URL, answers(interview=day(-1), start=day(0)))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["interview"] == ["The interview date is in the past."]
    assert "start" not in errors, errors


def test_a_first_day_before_today_is_still_its_own_fault_with_a_past_interview(signed_in):
    response = signed_in.post(URL, answers(interview=day(-3), start=day(-1)))
    errors = response.context["form"].errors
    assert errors["interview"] == ["The interview date is in the past."]
    assert "between today and the interview" in errors["start"][0]


@pytest.fixture
def berlin_at_16(monkeypatch):
    """Now is 30 November 2026, 16:00 in Berlin (15:00 UTC), for the form and the planner."""
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    return moment


def test_an_interview_today_at_an_hour_gone_is_refused_on_the_time(signed_in, berlin_at_16):
    response = signed_in.post(URL, answers(interview="2026-11-30", interview_time="10:30"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["interview_time"], errors
    assert errors["interview_time"] == [
        "This time today has passed: it is 16:00 in Europe/Berlin now."
    ]
    later = signed_in.post(URL, answers(interview="2026-11-30", interview_time="18:00"))
    assert later.status_code == 200, later.context["form"].errors


def test_the_date_pickers_start_today(signed_in, berlin_at_16):
    html = signed_in.get(URL).content.decode()  # no preference, no plan: UTC
    assert re.search(r'<input type="date" name="interview"[^>]* min="2026-11-30"', html)
    assert re.search(r'<input type="date" name="start"[^>]* min="2026-11-30"', html)


# --- links from the team page, and the wording ------------------------------------------------


def test_the_background_in_the_link_is_chosen(signed_in):
    html = signed_in.get(URL, {"team": "llm-research", "background": "ml-engineer"})
    html = html.content.decode()
    radio = r'<input type="radio" name="background"[^>]*value="{}" checked>'
    assert re.search(radio.format("ml-engineer"), html)
    assert not re.search(radio.format(""), html)


@pytest.mark.parametrize("background", ["astronaut", "", "ml-engineer<script>"])
def test_an_unknown_background_in_the_link_is_left_out(signed_in, background):
    response = signed_in.get(URL, {"background": background})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<input type="radio" name="background"[^>]*value="" checked>', html)
    assert "astronaut" not in html and "<script>" not in html.split("<main")[1]


def test_a_background_description_in_cli_words_reads_as_the_form_does(signed_in):
    from kb.models import Background

    Background.objects.filter(slug="ml-engineer").update(
        description="Trains and ships models. If your maths is further back, "
        "plan with --known linear-algebra instead."
    )
    html = signed_in.get(URL).content.decode()
    assert "--known" not in html
    assert (
        "If your maths is further back, choose “None” above and mark Linear algebra as known "
        "below instead." in html
    )


def test_the_preview_names_the_role_and_the_background(signed_in):
    html = signed_in.post(URL, answers()).content.decode()
    assert "Role: Research scientist · Background: ML engineer ·" in html
    html = signed_in.post(URL, answers(background="")).content.decode()
    assert "Role: Research scientist · Background: none ·" in html


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "plan with --known a-b instead.",
            "choose “None” above and mark A B as known below instead.",
        ),
        ("Add --shaky a-b,c.", "Add mark A B and C as shaky below."),
        ("Use --known=x-y.", "Use mark x-y as known below."),  # no title: the slug
        ("Keep --known-areas math as it is.", "Keep --known-areas math as it is."),
        ("", ""),
    ],
)
def test_cli_flags_are_said_as_the_wizard_does(text, said):
    from planner.templatetags.plan_tags import without_cli_flags

    assert without_cli_flags(text, {"a-b": "A B", "c": "C"}) == said
