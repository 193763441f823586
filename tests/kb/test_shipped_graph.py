"""The ML-interview graph we ship: it imports, is acyclic, passes --strict and covers the guide."""

import re
from datetime import date
from io import StringIO
from pathlib import Path

import networkx as nx
import pytest
from django.core.management import call_command

from kb import editorial, integrity, io
from kb import graph as kb_graph
from kb.models import (
    Concept,
    InterviewStage,
    Question,
    Resource,
    Role,
    TeamProfile,
    Track,
)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ml-interview-graph.json"

# Every item of the guide's Parts 1-4, by the concept that teaches it.
GUIDE_ITEMS = {
    # Part 1: fundamentals
    "classification": "classification",
    "regression": "regression",
    "generation": "generative-modeling",
    "MSE": "mean-squared-error",
    "ranking loss": "ranking-loss",
    "hinge loss": "hinge-loss",
    "cross-entropy": "cross-entropy-loss",
    "regularization": "regularization",
    "gradient descent": "gradient-descent",
    "subgradient descent": "subgradient-descent",
    "back-propagation": "backpropagation",
    "SGD vs mini-batch vs full batch": "stochastic-gradient-descent",
    "adaptive optimizers": "adaptive-optimizers",
    "Adam": "adam-optimizer",
    "Adagrad": "adagrad",
    "linear regression": "linear-regression",
    "GAMs": "generalized-additive-models",
    "SVMs": "support-vector-machines",
    "multi-class SVM": "multiclass-svm-strategies",
    "bagging": "bagging",
    "boosting": "boosting",
    "forward stagewise additive modeling": "forward-stagewise-additive-modeling",
    "AdaBoost": "adaboost",
    "decision trees": "decision-trees",
    "random forests": "random-forests",
    "k-means": "k-means",
    "hierarchical clustering": "hierarchical-clustering",
    "mixture models": "gaussian-mixture-models",
    "EM": "expectation-maximization",
    "PCA": "principal-component-analysis",
    "NMF": "non-negative-matrix-factorization",
    "SVD": "singular-value-decomposition",
    "content-based filtering": "content-based-filtering",
    "collaborative filtering": "collaborative-filtering",
    "matrix factorization": "recsys-matrix-factorization",
    "retrieval then ranking": "retrieval-then-ranking",
    "MLPs": "multilayer-perceptron",
    "RNNs": "recurrent-neural-networks",
    "convolutional nets": "convolutional-neural-networks",
    "train/validation/test split": "train-validation-test-split",
    "dropout": "dropout",
    "learning-rate warmup": "learning-rate-warmup",
    "weight decay": "weight-decay",
    "monitoring convergence": "monitoring-training-convergence",
    "overfitting": "overfitting-and-underfitting",
    "double descent": "double-descent",
    "bias-variance tradeoff": "bias-variance-tradeoff",
    # Part 2: NLP
    "distributional hypothesis": "distributional-hypothesis",
    "word2vec": "word2vec",
    "GloVe": "glove",
    "n-gram models": "n-gram-language-models",
    "bag-of-words": "bag-of-words",
    "classic NLP tasks": "classic-nlp-tasks",
    "translation": "machine-translation",
    "tokenizers": "tokenization",
    "embeddings": "embeddings",
    "recursive nets": "recursive-neural-networks",
    "LSTMs and GRUs": "lstm-and-gru",
    "NLP evaluation metrics": "nlp-evaluation-metrics",
    "self-attention": "self-attention",
    "Transformer": "transformer-architecture",
    "encoder vs decoder": "encoder-vs-decoder-transformers",
    "auto-regressive decoding / greedy": "autoregressive-decoding",
    "beam search": "beam-search",
    "temperature and nucleus sampling": "sampling-decoding",
    "MLM": "masked-language-modeling",
    "CLM": "causal-language-modeling",
    "denoising": "denoising-objectives",
    "NSP": "next-sentence-prediction",
    "contrastive": "contrastive-learning",
    "pre-training and fine-tuning": "pretraining-and-fine-tuning",
    "few-shot / in-context learning": "in-context-learning",
    "chain-of-thought": "chain-of-thought-prompting",
    "self-consistency and least-to-most": "self-consistency-and-least-to-most",
    "prompt tuning": "prompt-tuning",
    "scaling laws": "scaling-laws",
    "GPT-3/4, Claude, GPT-J, OPT": "large-language-model-families",
    "BERT": "bert",
    # Part 3: computer vision and generation
    "image classification": "image-classification",
    "video understanding": "video-understanding",
    "pooling": "pooling-layers",
    "convolutions": "convolution-operation",
    "image features": "image-features",
    "down-/up-sampling": "downsampling-and-upsampling",
    "object detection": "object-detection",
    "semantic segmentation": "semantic-segmentation",
    "GANs": "generative-adversarial-networks",
    "VAEs": "variational-autoencoders",
    "stable diffusion": "latent-diffusion",
}

DESIGN_PROMPTS = 5  # the guide's Part 4 system-design prompts
REQUIRED_TRACKS = {
    "ml-fundamentals",
    "nlp",
    "computer-vision",
    "recommender-systems",
    "information-retrieval-ranking",
    "generative-models",
    "distributed-ml-infrastructure",
    "ml-evaluation",
    "ml-system-design",
}


@pytest.fixture(scope="module")
def shipped(django_db_setup, django_db_blocker):
    """Import the fixture once for the module, and remove it afterwards."""
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            report = io.import_text(FIXTURE.read_bytes())
            yield report
            transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_the_shipped_graph_imports_and_meets_the_counts(shipped):
    graph = kb_graph.current_graph()
    assert graph.number_of_nodes() >= 150
    assert graph.number_of_edges() >= 250
    assert nx.is_directed_acyclic_graph(graph)
    assert Track.objects.count() >= 9
    assert TeamProfile.objects.count() >= 8


def test_validate_graph_finds_no_problem_in_it(shipped):
    assert integrity.audit().problems == []


def test_it_passes_the_editorial_rules_of_validate_graph_strict(shipped):
    assert editorial.check_database() == []
    out = StringIO()
    call_command("validate_graph", "--strict", stdout=out)
    assert "no problems" in out.getvalue()


def test_the_file_itself_passes_validate_graph_strict_before_import(shipped):
    assert editorial.check_file(FIXTURE.read_bytes()) == []


# The second edition: LLM systems, RL and agents, classic statistics and data, generative
# and multimodal, and the interview loop on top of the first edition's 228 concepts.
def test_the_second_edition_has_at_least_330_concepts(shipped):
    assert Concept.objects.count() >= 330


def test_the_second_edition_has_at_least_800_edges(shipped):
    assert kb_graph.current_graph().number_of_edges() >= 800


def test_the_second_edition_has_at_least_150_questions(shipped):
    assert Question.objects.count() >= 150


def test_every_concept_is_complete(shipped):
    """Hours, a resource and a one-paragraph summary of at most four sentences (CONTENT.md)."""
    for concept in Concept.objects.prefetch_related("resources"):
        sentences = len(re.findall(r"[.!?](\s|$)", concept.summary.strip()))
        assert 1 <= sentences <= 4, (concept.slug, concept.summary)
        assert "\n" not in concept.summary.strip(), concept.slug
        assert concept.hours and concept.hours > 0, concept.slug
        assert concept.area, concept.slug
        assert concept.resources.all(), concept.slug


@pytest.mark.parametrize(("item", "slug"), sorted(GUIDE_ITEMS.items()))
def test_every_guide_topic_is_a_concept(shipped, item, slug):
    assert Concept.objects.filter(slug=slug).exists(), f"guide item {item!r} -> {slug}"


def test_the_guide_system_design_prompts_are_concepts(shipped):
    design = Concept.objects.filter(area="systems-design", stages__slug="ml-system-design")
    assert design.distinct().count() >= DESIGN_PROMPTS + 1  # plus the spam/ham question


def test_all_fourteen_guide_questions_each_test_two_concepts_or_more(shipped):
    guide = Question.objects.filter(source__icontains="guide").prefetch_related("concepts")
    assert guide.count() == 14
    for question in guide:
        assert question.concepts.count() >= 2, question.slug


def test_tracks_cover_the_required_subfields(shipped):
    assert set(Track.objects.values_list("slug", flat=True)) >= REQUIRED_TRACKS


def test_every_concept_is_weighed_by_some_track(shipped):
    unweighed = Concept.objects.filter(track_weights__isnull=True)
    assert list(unweighed.values_list("slug", flat=True)) == []


def test_team_loops_follow_the_guide(shipped):
    for team in TeamProfile.objects.prefetch_related("loop__stage", "track_weights"):
        stages = [step.stage.slug for step in team.loop.all()]
        assert stages, team.slug
        assert team.track_weights.exists(), team.slug
        if team.role == Role.ML_ENGINEER:
            assert "research-talk" not in stages, team.slug
    roles = set(TeamProfile.objects.values_list("role", flat=True))
    assert roles == {Role.ML_ENGINEER, Role.RESEARCH_SCIENTIST}


# The rounds a candidate prepares for, whatever the team (CONTENT.md, "Round essentials");
# the concepts round's preparation is the team's own topics, and the recruiter screen is
# usually behind a candidate who plans for the loop.
ROUNDS_WITH_GROUNDWORK = {
    "coding-algorithms",
    "ml-coding",
    "ml-system-design",
    "research-talk",
    "behavioral",
    "hiring-manager",
}


def test_every_round_of_every_loop_brings_groundwork_the_team_weighs(shipped):
    from planner import services

    essentials = {
        stage.slug: [c.slug for c in stage.essentials.all()]
        for stage in InterviewStage.objects.prefetch_related("essentials")
    }
    assert {slug for slug, found in essentials.items() if found} == ROUNDS_WITH_GROUNDWORK
    for team in TeamProfile.objects.all():
        relevance = services.resolve(
            services.PlanInputs(team=team.slug, interview=date(2026, 12, 28)),
            today=date(2026, 11, 30),
        ).request.relevance
        for step in team.loop.select_related("stage"):
            for slug in essentials[step.stage.slug]:
                assert slug in relevance, (team.slug, step.stage.slug, slug)


def test_reimporting_the_shipped_graph_changes_nothing(shipped):
    assert not io.import_text(FIXTURE.read_bytes()).changed


def test_resources_are_web_links(shipped):
    for url in Resource.objects.values_list("url", flat=True):
        assert url.startswith(("https://", "http://")), url


# CONTENT.md, "Team hours": with the ML engineer background a team's plan needs what four to
# eight weeks at two to three hours a day hold. More than eight weeks at three hours a day
# means the team's tracks weigh more than its loop asks.
EIGHT_WEEKS_AT_THREE_HOURS = 8 * 7 * 3 * 60


def test_every_team_fits_eight_weeks_of_preparation_for_an_ml_engineer(shipped):
    from planner import services

    monday = date(2026, 11, 30)
    for team in TeamProfile.objects.order_by("slug").values_list("slug", flat=True):
        inputs = services.PlanInputs(
            team=team, background="ml-engineer", start=monday, interview=date(2026, 12, 3)
        )
        _, schedule = services.preview_plan(inputs, today=monday)
        assert schedule.summary.needed_minutes <= EIGHT_WEEKS_AT_THREE_HOURS, (
            team,
            schedule.summary.needed_minutes / 60,
        )
