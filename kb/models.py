"""The knowledge base: ML concepts, their prerequisite edges and what hangs off them.

Edges are written only through kb.integrity (cycle checks need the whole graph),
so the models carry the invariants a database can enforce on one row: one edge
per pair, no self-loop, and a concept that others depend on cannot be deleted
from under them (PROTECT).
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from kb.vocabulary import RECOMMENDED, REQUIRED, SLUG_PATTERN

slug_validator = RegexValidator(
    SLUG_PATTERN,
    "Use lowercase letters, digits and single hyphens, e.g. 'self-attention'.",
)


class Area(models.TextChoices):
    MATH = "math", "Math"
    STATISTICS = "statistics", "Statistics"
    FUNDAMENTALS = "fundamentals", "ML fundamentals"
    DEEP_LEARNING = "deep-learning", "Deep learning"
    NLP = "nlp", "NLP"
    CV = "cv", "Computer vision"
    RECSYS = "recsys", "Recommender systems"
    IR = "ir", "Information retrieval"
    GENERATIVE = "generative", "Generative models"
    RL = "rl", "Reinforcement learning"
    GRAPHS = "graphs", "Graph learning"
    TIME_SERIES = "time-series", "Time series"
    DATA = "data", "Data and SQL"
    SYSTEMS_DESIGN = "systems-design", "ML system design"
    INFRASTRUCTURE = "infrastructure", "ML infrastructure"
    EVALUATION = "evaluation", "Evaluation"
    TOOLING = "tooling", "Tooling"
    INTERVIEWING = "interviewing", "Interviewing"


class Difficulty(models.IntegerChoices):
    FOUNDATIONAL = 1, "Foundational"
    INTERMEDIATE = 2, "Intermediate"
    ADVANCED = 3, "Advanced"


class Role(models.TextChoices):
    ML_ENGINEER = "ml-engineer", "ML engineer"
    RESEARCH_SCIENTIST = "research-scientist", "Research scientist"


class InterviewStage(models.Model):
    """One step of an interview loop (recruiter screen, ML coding, ...)."""

    slug = models.SlugField(max_length=60, unique=True, validators=[slug_validator])
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    typical_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    research_only = models.BooleanField(
        default=False, help_text="Only held for research-scientist roles (e.g. the job talk)."
    )
    order = models.PositiveIntegerField(default=0, help_text="Usual position in the loop.")
    # The groundwork of the round, what a candidate facing it cannot skip (a story bank for
    # behavioral, the round's strategy for coding): a team's plan learns it once the team's
    # must-haves are in, while it is small beside the plan (planner.domain.PlanRequest).
    essentials = models.ManyToManyField(
        "Concept",
        blank=True,
        related_name="essential_for",
        help_text="What a candidate facing this round cannot skip: a team's plan learns it "
        "after the team's must-haves, while it takes at most a quarter of the plan.",
    )

    class Meta:
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.title


class Concept(models.Model):
    slug = models.SlugField(max_length=80, unique=True, validators=[slug_validator])
    title = models.CharField(max_length=200)
    aliases = models.JSONField(default=list, blank=True, help_text="Other names, a list of text.")
    summary = models.TextField(blank=True)
    area = models.CharField(max_length=32, choices=Area.choices)
    hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.25), MaxValueValidator(200)],
        help_text="Estimated study hours for interview preparation; empty when unknown.",
    )
    difficulty = models.PositiveSmallIntegerField(
        choices=Difficulty.choices, default=Difficulty.INTERMEDIATE
    )
    stages = models.ManyToManyField(InterviewStage, blank=True, related_name="concepts")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gt=0), name="concept_hours_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PrerequisiteKind(models.TextChoices):
    REQUIRED = REQUIRED, "Required"
    RECOMMENDED = RECOMMENDED, "Recommended"


class Prerequisite(models.Model):
    """An edge `prerequisite -> concept`: learn the first before the second."""

    prerequisite = models.ForeignKey(
        Concept,
        on_delete=models.PROTECT,  # see kb.integrity.concept_delete for the policy
        related_name="dependent_edges",
    )
    concept = models.ForeignKey(
        Concept, on_delete=models.CASCADE, related_name="prerequisite_edges"
    )
    kind = models.CharField(
        max_length=16, choices=PrerequisiteKind.choices, default=PrerequisiteKind.REQUIRED
    )
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["concept__slug", "prerequisite__slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["prerequisite", "concept"], name="prerequisite_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(prerequisite=F("concept")), name="prerequisite_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prerequisite.slug} -> {self.concept.slug}"


class ResourceKind(models.TextChoices):
    TUTORIAL = "tutorial", "Tutorial"
    COURSE = "course", "Course"
    PAPER = "paper", "Paper"
    BOOK = "book", "Book"
    DOCS = "docs", "Documentation"
    VIDEO = "video", "Video"


class Resource(models.Model):
    title = models.CharField(max_length=300)
    url = models.URLField(max_length=500, unique=True)
    kind = models.CharField(max_length=16, choices=ResourceKind.choices)
    minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    concepts = models.ManyToManyField(Concept, related_name="resources")

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    slug = models.SlugField(max_length=120, unique=True, validators=[slug_validator])
    text = models.TextField()
    stage = models.ForeignKey(InterviewStage, on_delete=models.PROTECT, related_name="questions")
    concepts = models.ManyToManyField(Concept, related_name="questions")
    source = models.CharField(max_length=300, blank=True)
    answer_outline = models.TextField(blank=True, help_text="What a strong answer covers.")

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.text[:80]


class Track(models.Model):
    """A subfield (NLP, ranking, ...) as concepts weighted by how central they are."""

    slug = models.SlugField(max_length=60, unique=True, validators=[slug_validator])
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    concepts = models.ManyToManyField(Concept, through="TrackConcept", related_name="tracks")

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title


weight_validators = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class TrackConcept(models.Model):
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="weighted_concepts")
    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="track_weights")
    weight = models.FloatField(validators=weight_validators)

    class Meta:
        ordering = ["track__slug", "-weight", "concept__slug"]
        constraints = [
            models.UniqueConstraint(fields=["track", "concept"], name="track_concept_unique"),
            models.CheckConstraint(
                condition=Q(weight__gt=0) & Q(weight__lte=1), name="track_concept_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.track.slug}: {self.concept.slug} ({self.weight})"


class TeamProfile(models.Model):
    """A hiring team: what subfields it cares about and the loop it runs."""

    slug = models.SlugField(max_length=80, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    role = models.CharField(max_length=32, choices=Role.choices)
    tracks = models.ManyToManyField(Track, through="TeamTrack", related_name="teams")
    stages = models.ManyToManyField(InterviewStage, through="LoopStage", related_name="teams")
    # Topics every loop of the team asks about: a plan learns them before choosing among the
    # others, however many cheaper topics the same hours would hold.
    must_have = models.ManyToManyField(
        Concept, blank=True, related_name="must_have_for", verbose_name="must-have topics"
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class TeamTrack(models.Model):
    team = models.ForeignKey(TeamProfile, on_delete=models.CASCADE, related_name="track_weights")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="team_weights")
    weight = models.FloatField(validators=weight_validators)

    class Meta:
        ordering = ["team__slug", "-weight", "track__slug"]
        constraints = [
            models.UniqueConstraint(fields=["team", "track"], name="team_track_unique"),
            models.CheckConstraint(
                condition=Q(weight__gt=0) & Q(weight__lte=1), name="team_track_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team.slug}: {self.track.slug} ({self.weight})"


class LoopStage(models.Model):
    team = models.ForeignKey(TeamProfile, on_delete=models.CASCADE, related_name="loop")
    stage = models.ForeignKey(InterviewStage, on_delete=models.PROTECT, related_name="loops")
    order = models.PositiveIntegerField()
    minutes = models.PositiveIntegerField(validators=[MinValueValidator(5), MaxValueValidator(480)])

    class Meta:
        ordering = ["team__slug", "order"]
        constraints = [
            models.UniqueConstraint(fields=["team", "stage"], name="loop_stage_unique"),
            models.UniqueConstraint(fields=["team", "order"], name="loop_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.team.slug} #{self.order}: {self.stage.slug} ({self.minutes} min)"


def validate_areas(value: object) -> None:
    """A list of distinct Area values: what a background's known and shaky areas hold.

    A JSON list rather than a table of rows: areas are a fixed vocabulary, and a
    list keeps a background one row plus its concept links.
    """
    if not isinstance(value, list) or not all(isinstance(area, str) for area in value):
        raise ValidationError("Give a list of area names.", code="not_a_list")
    unknown = [area for area in value if area not in Area.values]
    if unknown:
        raise ValidationError(
            f"Unknown area {unknown[0]!r}; one of: {', '.join(Area.values)}.",
            code="unknown_area",  # not "invalid": JSONField would swap in "not valid JSON"
        )
    repeated = sorted({area for area in value if value.count(area) > 1})
    if repeated:
        raise ValidationError(f"Area {repeated[0]!r} is listed twice.", code="repeated_area")


class Background(models.Model):
    """A candidate's starting point ("ML engineer", "software engineer moving to ML").

    It names what the planner may assume, so that "I already work in ML" is one
    word instead of a hundred slugs. Known concepts imply their required
    prerequisites (the planner's known closure), so a background lists the
    highest concepts such a person truly knows; shaky ones are reviewed, not
    learned. An area stands for every concept in it, now and later.
    """

    slug = models.SlugField(max_length=60, unique=True, validators=[slug_validator])
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True, help_text="Who it is for, in a paragraph.")
    known_concepts = models.ManyToManyField(
        Concept,
        blank=True,
        related_name="known_in_backgrounds",
        help_text="Known, and so are their required prerequisites.",
    )
    shaky_concepts = models.ManyToManyField(
        Concept,
        blank=True,
        related_name="shaky_in_backgrounds",
        help_text="Seen before but rusty: reviewed, not learned.",
    )
    known_areas = models.JSONField(
        default=list, blank=True, validators=[validate_areas], help_text="Every concept in them."
    )
    shaky_areas = models.JSONField(
        default=list, blank=True, validators=[validate_areas], help_text="Every concept in them."
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        both = [area for area in self.known_areas or [] if area in (self.shaky_areas or [])]
        if both:
            raise ValidationError(
                {"shaky_areas": f"Area {both[0]!r} is also a known area; pick one."}
            )


class GraphRevision(models.Model):
    """A single row whose token changes with every knowledge-base write.

    kb.graph caches the built DiGraph per token, so every process notices a
    write made by any other process with one cheap query. A random token
    rather than a counter: a rolled-back write must never reuse a value that
    a cache has already seen with other content.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.token
