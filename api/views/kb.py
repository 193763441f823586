"""Knowledge-base endpoints: read by anyone, written by staff through kb.services/kb.integrity."""

import networkx as nx
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors
from api.filters import ConceptFilter, EdgeFilter, QuestionFilter, ResourceFilter
from api.parsers import InterchangeParser
from api.permissions import IsStaff, IsStaffOrReadOnly
from api.serializers.common import ErrorSerializer
from api.serializers.graph import NeighboursQuerySerializer, NeighboursSerializer
from api.serializers.kb import (
    BackgroundSerializer,
    ConceptDeleteQuerySerializer,
    ConceptDetailSerializer,
    ConceptSerializer,
    ConceptWriteSerializer,
    EdgeCreateSerializer,
    EdgeSerializer,
    EdgeUpdateSerializer,
    ImportQuerySerializer,
    ImportReportSerializer,
    QuestionSerializer,
    ResourceSerializer,
    StageSerializer,
    TeamSerializer,
    TrackSerializer,
)
from api.serializers.memory import SelfTestSerializer
from api.views.base import ID_REGEX, CachedReadMixin, StrictQueryMixin, query
from kb import graph as kb_graph
from kb import integrity
from kb import io as kb_io
from kb import services as kb_services
from kb.errors import UnknownConcept
from planner import memory_services

# What the schema documents for a slug path parameter. A segment outside it (a NUL byte,
# which PostgreSQL text cannot hold, a dot, ...) matches no route: a JSON 404 all the same.
SLUG_REGEX = r"[-a-zA-Z0-9_]+"
CYCLE_400 = OpenApiResponse(
    ErrorSerializer,
    description="Bad input, a self-loop, or an edge that would close a cycle (the message "
    "names the cycle).",
)
CONFLICT_409 = OpenApiResponse(ErrorSerializer, description="The edge already exists.")


class ConceptViewSet(CachedReadMixin, StrictQueryMixin, viewsets.ModelViewSet):
    """ML concepts. Staff create, change and delete them; deleting a concept that others
    depend on is a 409 unless `?reconnect=true`."""

    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX
    permission_classes = [IsStaffOrReadOnly]
    filterset_class = ConceptFilter

    def get_queryset(self) -> QuerySet:
        if self.action == "list":
            return selectors.concept_list()
        return selectors.concept_detail()

    def get_serializer_class(self):
        if self.action == "list":
            return ConceptSerializer
        if self.action in ("create", "update", "partial_update"):
            return ConceptWriteSerializer
        return ConceptDetailSerializer

    def _detail(self, concept) -> dict:
        return ConceptDetailSerializer(selectors.concept_detail().get(pk=concept.pk)).data

    @extend_schema(responses={201: ConceptDetailSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = ConceptWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        concept = kb_services.concept_create(**serializer.validated_data)
        return Response(self._detail(concept), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ConceptDetailSerializer})
    def update(self, request: Request, *args, **kwargs) -> Response:
        concept = self.get_object()
        serializer = ConceptWriteSerializer(
            concept, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        changes.pop("slug", None)
        concept = kb_services.concept_update(concept=concept, **changes)
        return Response(self._detail(concept))

    @extend_schema(responses={200: ConceptDetailSerializer})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(
        parameters=[ConceptDeleteQuerySerializer],
        responses={
            204: None,
            409: OpenApiResponse(
                ErrorSerializer,
                description="Other concepts depend on it; `details.dependents` names them.",
            ),
        },
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        params = query(ConceptDeleteQuerySerializer, request)
        concept = self.get_object()
        integrity.concept_delete(slug=concept.slug, reconnect=params["reconnect"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    def slug_candidates(self) -> nx.DiGraph:
        """The graph: its titles and aliases let `transformers` suggest the Transformer."""
        return kb_graph.current_graph()

    def _neighbours(self, request: Request, slug: str, *, upstream: bool) -> Response:
        params = query(NeighboursQuerySerializer, request)
        try:
            data = selectors.concept_neighbours(
                slug=slug,
                upstream=upstream,
                depth=params.get("depth"),
                include_recommended=params["recommended"],
            )
        except Http404:
            raise self.not_found(slug) from None
        return Response(data)

    @extend_schema(
        parameters=[NeighboursQuerySerializer],
        responses={200: NeighboursSerializer},
        summary="What a concept rests on, in learning order",
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def prerequisites(self, request: Request, slug: str) -> Response:
        return self._neighbours(request, slug, upstream=True)

    @extend_schema(
        parameters=[NeighboursQuerySerializer],
        responses={200: NeighboursSerializer},
        summary="What rests on a concept, in learning order",
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def dependents(self, request: Request, slug: str) -> Response:
        return self._neighbours(request, slug, upstream=False)

    @extend_schema(
        responses={200: SelfTestSerializer},
        summary="Self-test prompts for a concept",
        description="3 to 5 prompts to answer without notes after studying the concept: its "
        "interview questions first, then what its summary says one should be able to explain.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="self-test",
        filterset_class=None,
        pagination_class=None,
    )
    def self_test(self, request: Request, slug: str) -> Response:
        try:
            prompts = memory_services.self_test_prompts(slug)
        except UnknownConcept:
            raise self.not_found(slug) from None
        return Response(SelfTestSerializer({"concept": slug, "prompts": prompts}).data)


class EdgeViewSet(
    StrictQueryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Prerequisite edges `from -> to`. Staff create and delete them through kb.integrity
    (self-loops and cycles are a 400, duplicates a 409); a PATCH changes only kind and
    reason."""

    permission_classes = [IsStaffOrReadOnly]
    serializer_class = EdgeSerializer
    not_found_name = "edge"
    filterset_class = EdgeFilter
    lookup_value_regex = ID_REGEX
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        return selectors.edge_list()

    @extend_schema(
        request=EdgeCreateSerializer,
        responses={201: EdgeSerializer, 400: CYCLE_400, 409: CONFLICT_409},
    )
    def create(self, request: Request) -> Response:
        serializer = EdgeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        edge = integrity.prerequisite_add(
            prerequisite=data["from"].slug,
            concept=data["to"].slug,
            kind=data["kind"],
            reason=data["reason"],
        )
        return Response(
            EdgeSerializer(selectors.edge_list().get(pk=edge.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=EdgeUpdateSerializer, responses={200: EdgeSerializer})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        edge = self.get_object()
        serializer = EdgeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A partial update: what the body leaves out keeps its stored value.
        changes = {"kind": edge.kind, "reason": edge.reason, **serializer.validated_data}
        edge = integrity.prerequisite_update(edge=edge, **changes)
        return Response(EdgeSerializer(edge).data)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        edge = self.get_object()
        integrity.prerequisite_remove(
            prerequisite=edge.prerequisite.slug, concept=edge.concept.slug
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SlugReadOnlyViewSet(StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only KB records addressed by slug; subclasses name the serializer and selector."""

    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX
    permission_classes = [IsStaffOrReadOnly]


class StageViewSet(SlugReadOnlyViewSet):
    """Interview stages (ML coding, system design, ...)."""

    serializer_class = StageSerializer

    def get_queryset(self) -> QuerySet:
        return selectors.stage_list()


class TrackViewSet(CachedReadMixin, SlugReadOnlyViewSet):
    """Subfields (NLP, ranking, ...) as weighted concepts."""

    serializer_class = TrackSerializer

    def get_queryset(self) -> QuerySet:
        return selectors.track_list()


class TeamViewSet(CachedReadMixin, SlugReadOnlyViewSet):
    """Hiring teams: the tracks they weigh and the interview loop they run."""

    serializer_class = TeamSerializer

    def get_queryset(self) -> QuerySet:
        return selectors.team_list()


class BackgroundViewSet(SlugReadOnlyViewSet):
    """Background presets (`POST /plans/` `background`): what a plan may assume known or shaky."""

    serializer_class = BackgroundSerializer

    def get_queryset(self) -> QuerySet:
        return selectors.background_list()


class QuestionViewSet(SlugReadOnlyViewSet):
    """Interview questions, by stage and by the concepts they test."""

    serializer_class = QuestionSerializer
    filterset_class = QuestionFilter

    def get_queryset(self) -> QuerySet:
        return selectors.question_list()


class ResourceViewSet(StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """Study resources (papers, courses, ...), by kind and by concept."""

    permission_classes = [IsStaffOrReadOnly]
    serializer_class = ResourceSerializer
    filterset_class = ResourceFilter
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> QuerySet:
        return selectors.resource_list()


class ImportViewSet(StrictQueryMixin, viewsets.ViewSet):
    """Bulk import of an interchange file (the format `export_graph` writes), all or nothing."""

    permission_classes = [IsStaff]
    parser_classes = [InterchangeParser]

    @extend_schema(
        parameters=[ImportQuerySerializer],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            200: ImportReportSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Nothing was imported; `details.problems` lists every problem "
                "with its place in the file.",
            ),
        },
        description="The body is an interchange file (`export_graph --format schema` prints "
        "its JSON Schema). It is checked whole, against itself and the stored graph, and "
        "written in one transaction only if it has no problem. Bodies up to "
        "API_IMPORT_MAX_BYTES (default 16 MiB) are accepted.",
    )
    def create(self, request: Request) -> Response:
        params = query(ImportQuerySerializer, request)
        body = request.data if isinstance(request.data, bytes) else b""  # {} when empty
        report = kb_io.import_text(body, dry_run=params["dry_run"])
        return Response(ImportReportSerializer(report).data)
