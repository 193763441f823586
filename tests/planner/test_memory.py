"""The memory model (planner.memory, pure), self-test prompts (planner.prompts, pure), and
their services and CLI (planner.memory_services, `manage.py rate`).

FSRS numbers are fsrs 6.3.2's with its default parameters, no fuzzing and no
learning steps (planner.memory says why): a new card rated good is due two
days later, again one day, easy eight.
"""

import importlib.util
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from kb.errors import UnknownConcept
from planner import memory, memory_services, prompts, services
from planner.memory import OptimizerNotInstalled, RatingInputError
from planner.memory_services import PlanNotFound
from planner.models import FsrsParameters, MemoryCard, ReviewRating
from planner.services import PlanInputs, PlanItemNotFound

T = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # a Monday evening study session
DAY = timedelta(days=1)
HAS_OPTIMIZER = importlib.util.find_spec("torch") is not None
NO_OPTIMIZER = (
    "the FSRS optimizer extra (requirements-optimizer.txt: torch, pandas) is not installed"
)


# --- planner.memory: known FSRS transitions on fixed dates ----------------------------------


@pytest.mark.parametrize(
    ("rating", "days", "stability"),
    [("again", 1, 0.212), ("hard", 1, 1.2931), ("good", 2, 2.3065), ("easy", 8, 8.2956)],
)
def test_a_new_card_is_due_after_the_initial_stability_of_its_rating(rating, days, stability):
    state, due = memory.review(None, rating, T)
    assert due == T + days * DAY
    assert state["stability"] == pytest.approx(stability)
    assert state["state"] == 2  # fsrs State.Review: no learning steps, whole days only
    assert state["last_review"] == T.isoformat()
    assert state["due"] == due.isoformat()


def test_a_second_good_rating_on_the_due_day_stretches_the_interval_to_eleven_days():
    state, due = memory.review(None, "good", T)
    state, due2 = memory.review(state, "good", due)
    assert due2 == due + 11 * DAY


def test_again_brings_the_next_review_forward():
    state, due = memory.review(None, "good", T)
    after_again = memory.review(state, "again", due)
    after_good = memory.review(state, "good", due)
    assert after_again[1] == due + DAY
    assert after_again[1] < after_good[1]
    assert after_again[0]["stability"] < state["stability"] < after_good[0]["stability"]


def test_the_maximum_interval_caps_every_rating():
    for rating in memory.RATINGS:
        _, due = memory.review(None, rating, T, max_interval_days=3)
        assert due <= T + 3 * DAY
    assert memory.review(None, "easy", T, max_interval_days=3)[1] == T + 3 * DAY


def test_not_after_caps_the_due_time_at_the_interview():
    interview = T + 2 * DAY - timedelta(hours=9)  # Wednesday 09:00, before Wednesday 18:00
    state, due = memory.review(None, "good", T, max_interval_days=2, not_after=interview)
    assert due == interview
    assert state["due"] == interview.isoformat()
    # An interview already past caps nothing (a rating after it still gets a next day).
    assert memory.review(None, "good", T, not_after=T - DAY)[1] == T + 2 * DAY


@given(
    ratings=st.lists(st.sampled_from(list(memory.RATINGS)), min_size=1, max_size=8),
    gaps=st.lists(st.integers(min_value=0, max_value=40), min_size=8, max_size=8),
    cap=st.integers(min_value=1, max_value=60),
)
def test_the_same_ratings_give_the_same_schedule_and_no_due_past_the_cap(ratings, gaps, cap):
    def run() -> list[tuple[dict, datetime]]:
        state, when, out = None, T, []
        for rating, gap in zip(ratings, gaps, strict=False):
            state, due = memory.review(state, rating, when, max_interval_days=cap)
            assert when + DAY <= due <= when + cap * DAY
            out.append((state, due))
            when += gap * DAY
        return out

    assert run() == run()


@pytest.mark.parametrize(
    ("after_due", "rating", "days"),
    [
        # A card rated good on Monday (due Wednesday), rated again on Wednesday...
        (timedelta(0), "hard", 8),
        (timedelta(0), "easy", 19),
        # ...five days late: recalled after a longer gap, it grows more (again: one day)...
        (5 * DAY, "again", 1),
        (5 * DAY, "hard", 14),
        (5 * DAY, "good", 21),
        (5 * DAY, "easy", 38),
        # ...or the same evening, two hours on: fsrs's short-term update, whole days still.
        (-2 * DAY + timedelta(hours=2), "again", 1),
        (-2 * DAY + timedelta(hours=2), "good", 2),
        (-2 * DAY + timedelta(hours=2), "easy", 4),
    ],
)
def test_known_transitions_of_a_card_in_review(after_due, rating, days):
    state, due = memory.review(None, "good", T)
    when = due + after_due
    assert memory.review(state, rating, when)[1] == when + days * DAY


HOUR = timedelta(hours=1)
RATING_LISTS = st.lists(st.sampled_from(list(memory.RATINGS)), min_size=0, max_size=8)
HOUR_GAPS = st.lists(st.integers(min_value=0, max_value=24 * 40), min_size=8, max_size=8)


def rated(ratings: list[str], gaps: list[int]) -> tuple[dict | None, datetime]:
    """A card after `ratings` from T, `gaps` hours apart; and the time of the last rating."""
    state, when = None, T
    for index, rating in enumerate(ratings):
        if index:
            when += gaps[index] * HOUR
        state, _ = memory.review(state, rating, when)
    return state, when


@given(
    ratings=RATING_LISTS.filter(bool),
    gaps=HOUR_GAPS,
    interview_in=st.integers(min_value=1, max_value=24 * 90),
    days_cap=st.booleans(),
)
def test_no_review_is_ever_due_after_the_interview(ratings, gaps, interview_in, days_cap):
    """Whatever the ratings, every rating before the interview is next due by its instant,
    with the days-left cap the services pass or with `not_after` alone."""
    interview = T + interview_in * HOUR
    state, when = None, T
    for rating, gap in zip(ratings, gaps, strict=False):
        if when >= interview:
            break
        days_left = max(1, (interview.date() - when.date()).days)
        state, due = memory.review(
            state,
            rating,
            when,
            max_interval_days=days_left if days_cap else memory.DEFAULT_MAX_INTERVAL_DAYS,
            not_after=interview,
        )
        assert when < due <= interview
        assert state["due"] == due.isoformat()  # the stored card says the same
        when += gap * HOUR


@given(
    ratings=RATING_LISTS,
    gaps=HOUR_GAPS,
    later=st.integers(min_value=0, max_value=24 * 60),
    cap=st.one_of(st.none(), st.integers(min_value=1, max_value=60)),
    interview_in=st.one_of(st.none(), st.integers(min_value=1, max_value=24 * 60)),
)
def test_again_is_never_due_later_than_hard_good_or_easy(ratings, gaps, later, cap, interview_in):
    """From the same card at the same time, forgetting never earns a later review."""
    state, last = rated(ratings, gaps)
    when = last + later * HOUR
    not_after = when + interview_in * HOUR if interview_in else None
    due = {
        rating: memory.review(
            state,
            rating,
            when,
            max_interval_days=cap or memory.DEFAULT_MAX_INTERVAL_DAYS,
            not_after=not_after,
        )[1]
        for rating in memory.RATINGS
    }
    assert due["again"] <= min(due["hard"], due["good"], due["easy"])


def test_other_time_zones_are_converted_and_naive_times_refused():
    berlin = T.astimezone(ZoneInfo("Europe/Berlin"))
    assert memory.review(None, "good", berlin) == memory.review(None, "good", T)
    with pytest.raises(ValueError, match="no time zone"):
        memory.review(None, "good", T.replace(tzinfo=None))


def test_an_unknown_rating_names_the_field():
    with pytest.raises(RatingInputError) as caught:
        memory.review(None, "gud", T)
    assert caught.value.field == "rating"
    assert caught.value.message == "rating: 'gud' is not one of again, hard, good, easy"


def test_recall_falls_from_one_to_the_desired_retention_at_the_due_date():
    state, due = memory.review(None, "good", T)
    assert memory.recall_at(None, T) == 0.0
    assert memory.recall_at(state, T) == pytest.approx(1.0)
    assert memory.recall_at(state, due) == pytest.approx(0.9, abs=0.02)
    assert memory.recall_at(state, due + 10 * DAY) < memory.recall_at(state, due)


def test_fitted_parameters_change_the_schedule():
    from fsrs.scheduler import DEFAULT_PARAMETERS

    stronger = list(DEFAULT_PARAMETERS)
    stronger[2] = 10.0  # initial stability of Good
    assert memory.review(None, "good", T, parameters=stronger)[1] == T + 10 * DAY


# --- planner.prompts --------------------------------------------------------------------------

SUMMARY = (
    "Momentum on the gradient plus RMSProp-style scaling, with bias correction. "
    "Interviewers ask for the update rule, why bias correction matters early, how AdamW "
    "decouples weight decay (not L2, unlike Adam), and the memory cost of two extra states."
)


def test_prompts_put_interview_questions_first_then_what_the_summary_asks():
    got = prompts.self_test_prompts("Adam", SUMMARY, ["How does Adam differ from SGD?"])
    assert got == [
        "How does Adam differ from SGD?",
        "Explain Adam in two minutes, without notes: what it is and why it matters.",
        "Explain the update rule.",
        "Explain why bias correction matters early.",
        "Explain how AdamW decouples weight decay (not L2, unlike Adam).",
    ]


def test_an_activity_is_opened_as_something_to_do_not_to_explain():
    opening = prompts.self_test_prompts("Explaining your research simply", "", [])[0]
    assert opening == (
        "In two minutes, without notes: how would you go about explaining your research "
        "simply, and why does it matter in the interview?"
    )
    topic = prompts.self_test_prompts("Scaling laws", "", [])[0]
    assert topic.startswith("Explain Scaling laws in two minutes")


def test_prompts_are_three_to_five_with_at_most_three_questions_and_no_repeats():
    many = [f"Question {i}?" for i in range(8)]
    got = prompts.self_test_prompts("Adam", SUMMARY, many)
    assert got[:3] == many[:3] and len(got) == 5
    bare = prompts.self_test_prompts("K-means", "", ["Q?", "Q?"])
    assert bare[0] == "Q?" and len(bare) == 3 and len(set(bare)) == 3


def test_prompts_turn_instructions_into_sentences_of_their_own():
    summary = (
        "Node, edge and graph tasks. Interviewers check that candidates can frame a problem "
        "as one of these tasks, choose a storage format, and explain transductive settings."
    )
    assert prompts.summary_prompts("Graphs", summary)[1:] == [
        "Frame a problem as one of these tasks.",
        "Choose a storage format.",
        "Explain transductive settings.",
    ]


# --- planner.memory_services ------------------------------------------------------------------

MONDAY = date(2026, 3, 2)


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice")


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob")


@pytest.fixture
def plan(small_kb, alice):
    """Interview on Thursday at 09:00 UTC: three days after Monday."""
    inputs = PlanInputs(
        team="llm-research", interview=MONDAY + 3 * DAY, start=MONDAY, timezone="UTC"
    )
    return services.create_plan(owner=alice, inputs=inputs, today=MONDAY)


def learn_item(plan, slug: str | None = None):
    items = plan.items.filter(kind="learn").order_by("date", "order")
    return items.filter(concept_slug=slug).first() if slug else items.first()


def test_a_rating_stores_the_card_and_logs_it(small_kb, alice):
    card = memory_services.rating_record(user=alice, concept_slug="softmax", rating="good", when=T)
    assert (card.due, card.last_review, card.reps, card.lapses) == (T + 2 * DAY, T, 1, 0)
    card = memory_services.rating_record(
        user=alice, concept_slug="softmax", rating="again", when=card.due
    )
    assert (card.due, card.reps, card.lapses) == (T + 3 * DAY, 2, 1)
    stored = MemoryCard.objects.get()
    assert stored.state == card.state and stored.state["card_id"] == stored.pk
    first, second = ReviewRating.objects.order_by("reviewed_at")
    assert first.state_before is None and first.state_after == second.state_before
    assert second.log == {
        "card_id": stored.pk,
        "rating": 1,
        "review_datetime": (T + 2 * DAY).isoformat(),
        "review_duration": None,
    }


def test_a_plan_caps_the_next_review_at_its_interview(plan, alice):
    item = learn_item(plan)
    card = memory_services.rating_record(
        user=alice, concept_slug=item.concept_slug, rating="easy", when=T, plan=plan, item=item
    )
    assert card.due == plan.interview_at == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    log = ReviewRating.objects.get()
    assert (log.plan, log.item, log.due) == (plan, item, card.due)


def test_a_rating_on_the_interview_day_is_still_due_a_day_later(plan, alice):
    after = plan.interview_at + timedelta(hours=3)
    card = memory_services.rating_record(
        user=alice, concept_slug="softmax", rating="easy", when=after, plan=plan
    )
    assert card.due == after + DAY


def test_another_users_plan_or_an_item_of_another_plan_is_not_found(plan, alice, bob):
    item = learn_item(plan)
    with pytest.raises(PlanNotFound):
        memory_services.rating_record(
            user=bob, concept_slug=item.concept_slug, rating="good", plan=plan
        )
    with pytest.raises(PlanNotFound):
        memory_services.rating_record(
            user=bob, concept_slug=item.concept_slug, rating="good", item=item
        )
    other = services.create_plan(owner=alice, inputs=services.plan_inputs(plan), today=MONDAY)
    with pytest.raises(PlanItemNotFound):
        memory_services.rating_record(
            user=alice, concept_slug=item.concept_slug, rating="good", plan=other, item=item
        )
    with pytest.raises(PlanItemNotFound):
        memory_services.item_rating_record(user=alice, plan=other, item_id=item.pk, rating="good")
    assert not MemoryCard.objects.exists() and not ReviewRating.objects.exists()


def test_only_learn_and_review_items_of_the_same_concept_are_rated(plan, alice):
    mock = plan.items.filter(kind="mock").first()
    with pytest.raises(RatingInputError, match="only learn and review sessions") as caught:
        memory_services.item_rating_record(user=alice, plan=plan, item_id=mock.pk, rating="good")
    assert caught.value.field == "item"
    item = learn_item(plan)
    with pytest.raises(RatingInputError, match="is about") as caught:
        memory_services.rating_record(
            user=alice, concept_slug="k-means", rating="good", plan=plan, item=item
        )
    assert caught.value.field == "concept"


def test_an_unknown_concept_comes_with_suggestions(small_kb, alice):
    with pytest.raises(UnknownConcept) as caught:
        memory_services.rating_record(user=alice, concept_slug="self-atention", rating="good")
    assert "did you mean: 'self-attention'" in caught.value.message
    assert caught.value.suggestions["self-atention"][0] == "self-attention"
    with pytest.raises(UnknownConcept):
        memory_services.self_test_prompts("self-atention")


def test_a_rating_before_the_last_one_is_refused(small_kb, alice):
    memory_services.rating_record(user=alice, concept_slug="softmax", rating="good", when=T)
    with pytest.raises(RatingInputError, match="before this concept's last rating") as caught:
        memory_services.rating_record(
            user=alice, concept_slug="softmax", rating="good", when=T - DAY
        )
    assert caught.value.field == "at"
    assert ReviewRating.objects.count() == 1


def test_a_failed_log_write_leaves_the_card_as_it_was(small_kb, alice, monkeypatch):
    card = memory_services.rating_record(user=alice, concept_slug="softmax", rating="good", when=T)

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ReviewRating.objects, "create", broken)
    with pytest.raises(RuntimeError):
        memory_services.rating_record(
            user=alice, concept_slug="softmax", rating="again", when=card.due
        )
    stored = MemoryCard.objects.get()
    assert (stored.state, stored.due, stored.reps) == (card.state, card.due, 1)


def test_self_test_prompts_use_the_concepts_questions(small_kb):
    got = memory_services.self_test_prompts("self-attention")
    assert got[0] == "Implement attention in PyTorch."
    assert 3 <= len(got) <= 5


def _rate_many(user, count: int) -> None:
    slugs = ["softmax", "self-attention", "transformer", "bert", "tokenization"]
    for i in range(count):
        memory_services.rating_record(
            user=user,
            concept_slug=slugs[i % len(slugs)],
            rating=("good", "again", "hard", "easy")[i % 4],
            when=T + (i // len(slugs)) * DAY,
        )


def test_refit_waits_for_enough_ratings(small_kb, alice):
    _rate_many(alice, memory_services.REFIT_MIN_RATINGS - 1)
    assert memory_services.parameters_refit(alice) is None
    assert not FsrsParameters.objects.exists()


def test_refit_without_the_optimizer_extra_says_what_to_install(small_kb, alice, monkeypatch):
    import fsrs.optimizer

    class Missing:
        def __init__(self, *args, **kwargs):
            raise ImportError("no torch")

    monkeypatch.setattr(fsrs.optimizer, "Optimizer", Missing)
    _rate_many(alice, memory_services.REFIT_MIN_RATINGS)
    with pytest.raises(OptimizerNotInstalled, match=r"requirements-optimizer\.txt"):
        memory_services.parameters_refit(alice)


@pytest.mark.skipif(not HAS_OPTIMIZER, reason=NO_OPTIMIZER)
def test_refit_stores_the_fitted_parameters_and_ratings_use_them(small_kb, alice):
    _rate_many(alice, memory_services.REFIT_MIN_RATINGS)
    row = memory_services.parameters_refit(alice)
    assert row.reviews_used == memory_services.REFIT_MIN_RATINGS
    assert len(row.parameters) == 21
    # fsrs keeps its defaults below 512 reviews; a stored fit is what later ratings use.
    row.parameters = [*row.parameters[:2], 10.0, *row.parameters[3:]]
    row.save()
    card = memory_services.rating_record(user=alice, concept_slug="k-means", rating="good", when=T)
    assert card.due == T + 10 * DAY


# --- manage.py rate ---------------------------------------------------------------------------


def rate(*args: str) -> str:
    out = StringIO()
    call_command("rate", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_rate_prints_the_next_review(plan, alice):
    out = rate("--user", "alice", "--concept", "softmax", "--rating", "good",
               "--at", "2026-03-02T18:00:00")  # fmt: skip
    assert out.strip() == "softmax: rated good; next review 2026-03-04 18:00 UTC (1 rating so far)"
    out = rate("--user", "alice", "--concept", "bert", "--rating", "easy", "--plan", str(plan.pk),
               "--at", "2026-03-02T18:00")  # fmt: skip
    assert "next review 2026-03-05 09:00 UTC" in out  # the interview


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "carol"], "--user: no user 'carol'"),
        (["--rating", "gud"], "--rating: 'gud' is not one of again, hard, good, easy"),
        (["--concept", "softmx"], "--concept: unknown concept 'softmx' (did you mean: 'softmax'"),
        (["--plan", "x1"], "--plan: 'x1' is not a plan id"),
        (["--plan", "999999"], "--plan: alice has no plan 999999"),
        (["--at", "tuesday"], "--at: 'tuesday' is not an ISO 8601 date and time"),
        (["--at", "2020-01-01T00:00Z"], "--at: 2020-01-01T00:00:00+00:00 is before"),
    ],
)
def test_rate_names_the_flag_at_fault_and_writes_nothing(plan, alice, args, message):
    rate("--user", "alice", "--concept", "softmax", "--rating", "good")
    defaults = {"--user": "alice", "--concept": "softmax", "--rating": "good"}
    defaults.update(dict(zip(args[::2], args[1::2], strict=True)))
    with pytest.raises(CommandError) as caught:
        rate(*[part for pair in defaults.items() for part in pair])
    assert str(caught.value).startswith(message)
    assert ReviewRating.objects.count() == 1


def test_rate_refuses_another_users_plan(plan, bob):
    with pytest.raises(CommandError, match=f"--plan: bob has no plan {plan.pk}"):
        rate("--user", "bob", "--concept", "softmax", "--rating", "good", "--plan", str(plan.pk))
