"""Refitting FSRS parameters: who is due, one run over everyone, `manage.py fsrs_refit`, the task.

Most tests stand in a fake fit for fsrs's optimizer (torch is an optional
extra that CI does not install); the last one fits for real when torch is
there. The Celery worker's run is in test_reminders_celery.py, with the
other tests that need a worker.
"""

import importlib.util
import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from planner import memory, memory_services, tasks
from planner.management.commands import fsrs_refit
from planner.models import FsrsParameters, ReviewRating

T = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DEFAULTS = [0.5] * 21
HAS_OPTIMIZER = importlib.util.find_spec("torch") is not None

pytestmark = pytest.mark.django_db


def person(name: str, ratings: int, *, fitted_with: int | None = None, fitted_at=T):
    """Someone with `ratings` logged ratings and, if `fitted_with`, a fit from that many."""
    user = get_user_model().objects.create_user(name)
    ReviewRating.objects.bulk_create(
        ReviewRating(
            user=user,
            concept_slug=f"concept-{i % 10}",
            rating="good",
            reviewed_at=T + i * HOUR,
            state_after={},
            due=T + i * HOUR,
            log=memory.log_entry(i % 10, "good", T + i * HOUR),
        )
        for i in range(ratings)
    )
    if fitted_with is not None:
        FsrsParameters.objects.create(
            user=user, parameters=DEFAULTS, fitted_at=fitted_at, reviews_used=fitted_with
        )
    return user


@pytest.fixture
def people(db):
    """Known answers: who is due a refit with 100 ratings and 50 new since the last fit."""
    return {
        "ann": person("ann", 99),  # one short of a first fit
        "ben": person("ben", 100),  # never fitted: all 100 are new
        "cat": person("cat", 149, fitted_with=100, fitted_at=T),  # 49 new: one short
        "dan": person("dan", 150, fitted_with=100, fitted_at=T + HOUR),  # 50 new
        "eve": person("eve", 300, fitted_with=300, fitted_at=T),  # nothing new
        "fay": person("fay", 160, fitted_with=100, fitted_at=T - HOUR),  # 60 new, oldest fit
    }


def due_names(**kwargs) -> list[tuple[str, int, int]]:
    return [
        (c.username, c.ratings, c.new_ratings) for c in memory_services.refit_candidates(**kwargs)
    ]


def test_who_is_due_a_refit(people, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = due_names()
    # Never fitted first, then the oldest fit first: a run cut short reaches them next time.
    assert found == [("ben", 100, 100), ("fay", 160, 60), ("dan", 150, 50)]


def test_naming_people_or_refitting_all_drops_the_new_ratings_rule(people):
    assert due_names(min_new=0) == [
        ("ben", 100, 100),
        ("fay", 160, 60),
        ("cat", 149, 49),
        ("eve", 300, 0),
        ("dan", 150, 50),
    ]
    ids = [people["cat"].pk, people["ann"].pk]
    assert due_names(user_ids=ids, min_new=0) == [("cat", 149, 49)]  # ann: too few at all
    assert due_names(user_ids=ids) == []


def fake_fit(failing: set[int] = frozenset()):
    """A stand-in for fsrs's optimizer: fails for logs of the given lengths."""

    def fit(entries) -> list[float]:
        entries = list(entries)
        if len(entries) in failing:
            raise RuntimeError(f"loss is nan after {len(entries)} reviews")
        return [float(len(entries))] * 21

    return fit


def test_one_persons_failure_does_not_stop_the_others(people, monkeypatch):
    monkeypatch.setattr(memory, "fit_parameters", fake_fit(failing={160}))
    run = memory_services.parameters_refit_due()
    assert [c.username for c in run.refitted] == ["ben", "dan"]
    assert [(c.username, error) for c, error in run.failed] == [
        ("fay", "RuntimeError: loss is nan after 160 reviews")
    ]
    stored = dict(FsrsParameters.objects.values_list("user__username", "reviews_used"))
    assert stored == {"ben": 100, "cat": 100, "dan": 150, "eve": 300, "fay": 100}
    assert FsrsParameters.objects.get(user=people["dan"]).parameters == [150.0] * 21
    # fay stays due; the others are not due again until 50 more ratings.
    assert due_names() == [("fay", 160, 60)]


def test_a_run_stopped_early_leaves_the_rest_due(people, monkeypatch):
    class TimeUp(Exception):
        pass

    def fit(entries):
        entries = list(entries)
        if len(entries) == 160:  # the second person: the worker's soft time limit hits
            raise TimeUp()
        return [1.0] * 21

    monkeypatch.setattr(memory, "fit_parameters", fit)
    run = memory_services.parameters_refit_due(stop_on=(TimeUp,))
    assert [c.username for c in run.refitted] == ["ben"]
    assert [c.username for c in run.not_reached] == ["fay", "dan"] and run.failed == []
    assert due_names() == [("fay", 160, 60), ("dan", 150, 50)]


def without_optimizer(monkeypatch) -> None:
    """fsrs as installed without its optimizer extra: Optimizer() raises ImportError."""
    import fsrs.optimizer

    class Missing:
        def __init__(self, *args, **kwargs):
            raise ImportError("no torch")

    monkeypatch.setattr(fsrs.optimizer, "Optimizer", Missing)


def test_without_the_optimizer_no_one_is_fitted_and_the_error_says_what_to_install(
    people, monkeypatch
):
    without_optimizer(monkeypatch)
    with pytest.raises(memory.OptimizerNotInstalled, match=r"requirements-optimizer\.txt"):
        memory_services.parameters_refit_due()
    assert not FsrsParameters.objects.filter(user=people["ben"]).exists()


# --- the task (run in this process; the worker's run is in test_reminders_celery.py) -------


def test_the_task_without_the_optimizer_logs_what_to_install_and_returns(
    people, monkeypatch, caplog
):
    without_optimizer(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="planner.tasks"):
        assert tasks.refit_fsrs_parameters() == 0
    assert "pip install -r requirements-optimizer.txt" in caplog.text


def test_the_task_refits_whoever_is_due_or_the_ids_it_is_given(people, monkeypatch):
    monkeypatch.setattr(memory, "fit_parameters", fake_fit())
    assert tasks.refit_fsrs_parameters([people["fay"].pk, people["cat"].pk]) == 1  # fay only
    assert tasks.refit_fsrs_parameters() == 2  # ben and dan
    assert tasks.refit_fsrs_parameters() == 0


def test_the_task_has_its_own_time_limits_longer_than_a_reminders(settings):
    task = tasks.refit_fsrs_parameters
    assert task.time_limit == settings.FSRS_REFIT_TIME_LIMIT > settings.CELERY_TASK_TIME_LIMIT
    assert 0 < task.soft_time_limit < task.time_limit


# --- manage.py fsrs_refit, as run from a shell ------------------------------------------------


def run_command(capsys, *argv: str) -> tuple[int, str, str]:
    """The command as `manage.py fsrs_refit ARGV` runs it: its exit code, stdout and stderr."""
    code = 0
    try:
        fsrs_refit.Command().run_from_argv(["manage.py", "fsrs_refit", *argv])
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


# run_from_argv closes the database connections at the end, as a process would:
# these tests run outside the test transaction.
shell = pytest.mark.django_db(transaction=True)


@shell
def test_the_command_refits_whoever_is_due_and_says_so(people, monkeypatch, capsys):
    monkeypatch.setattr(memory, "fit_parameters", fake_fit())
    code, out, err = run_command(capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "ben: refitted from 100 ratings (100 new since the last fit)",
        "fay: refitted from 160 ratings (60 new since the last fit)",
        "dan: refitted from 150 ratings (50 new since the last fit)",
        "3 refitted",
    ]
    code, out, _ = run_command(capsys)
    assert code == 0
    assert out.strip() == (
        "No one is due a refit (it takes 100 ratings, 50 of them new since the last fit)."
    )


@shell
def test_naming_a_person_refits_them_with_few_new_ratings(people, monkeypatch, capsys):
    monkeypatch.setattr(memory, "fit_parameters", fake_fit())
    code, out, _ = run_command(capsys, "--user", "cat")
    assert code == 0
    assert out.splitlines()[0] == "cat: refitted from 149 ratings (49 new since the last fit)"
    assert FsrsParameters.objects.get(user__username="cat").reviews_used == 149
    code, out, _ = run_command(capsys, "--all")
    assert code == 0 and out.splitlines()[-1] == "5 refitted"  # everyone but ann


@shell
@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["--user", "carol"], 1, "CommandError: --user: no user 'carol'\n"),
        (
            ["--user", "ann"],
            1,
            "CommandError: --user: ann has fewer than 100 ratings; there is nothing to fit yet\n",
        ),
        (["--user", "ben", "--all"], 2, "argument --all: not allowed with argument --user"),
        (["--user"], 2, "argument --user: expected one argument"),
        (["--everyone"], 2, "unrecognized arguments: --everyone"),
    ],
)
def test_bad_input_names_the_flag_and_exits_non_zero(
    people, monkeypatch, capsys, argv, code, message
):
    monkeypatch.setattr(memory, "fit_parameters", fake_fit())
    got, out, err = run_command(capsys, *argv)
    assert got == code and message in err and out == ""
    assert FsrsParameters.objects.count() == 4  # nothing new stored


@shell
def test_without_the_optimizer_the_command_says_what_to_install_and_exits_1(monkeypatch, capsys):
    without_optimizer(monkeypatch)  # and no one due: it says so all the same
    code, out, err = run_command(capsys)
    assert code == 1 and out == ""
    assert err.startswith("CommandError: the FSRS optimizer is not installed: ")
    assert "pip install -r requirements-optimizer.txt" in err


@shell
def test_a_failed_refit_is_named_and_exits_1_after_the_others(people, monkeypatch, capsys):
    monkeypatch.setattr(memory, "fit_parameters", fake_fit(failing={100}))
    code, out, err = run_command(capsys)
    assert code == 1
    assert out.splitlines() == [
        "fay: refitted from 160 ratings (60 new since the last fit)",
        "dan: refitted from 150 ratings (50 new since the last fit)",
    ]
    assert err.splitlines() == [
        "ben: refit failed: RuntimeError: loss is nan after 100 reviews",
        "CommandError: 1 of 3 refit(s) failed (see above); the others were stored",
    ]


@pytest.mark.skipif(not HAS_OPTIMIZER, reason="the FSRS optimizer extra (torch) is not installed")
def test_a_real_fit_is_stored_and_the_next_comes_after_50_new_ratings(small_kb):
    """fsrs's own optimizer on ratings made as a person makes them (rating_record)."""
    alice = get_user_model().objects.create_user("alice")
    slugs = ["softmax", "self-attention", "transformer", "bert", "tokenization"]

    def rate(count: int, start: int) -> None:
        for i in range(start, start + count):
            memory_services.rating_record(
                user=alice,
                concept_slug=slugs[i % len(slugs)],
                rating=("good", "again", "hard", "easy")[i % 4],
                when=T + (i // len(slugs)) * timedelta(days=1),
            )

    rate(100, 0)
    run = memory_services.parameters_refit_due()
    assert [c.username for c in run.refitted] == ["alice"] and run.failed == []
    row = FsrsParameters.objects.get(user=alice)
    assert row.reviews_used == 100 and len(row.parameters) == 21
    assert all(isinstance(value, float) for value in row.parameters)
    rate(49, 100)
    assert memory_services.parameters_refit_due().chosen == 0
    rate(1, 149)
    assert [c.new_ratings for c in memory_services.parameters_refit_due().refitted] == [50]
    assert FsrsParameters.objects.get(user=alice).reviews_used == 150
