"""Graph exploration over kb.graph's cached DiGraph: read by anyone."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors
from api.negotiation import IgnoreClientContentNegotiation
from api.permissions import Anyone
from api.serializers.common import ErrorSerializer
from api.serializers.graph import (
    SUBGRAPH_MEDIA_TYPES,
    LearningPathQuerySerializer,
    LearningPathSerializer,
    NextQuerySerializer,
    NextSerializer,
    PathQuerySerializer,
    PathSerializer,
    SubgraphQuerySerializer,
    SubgraphSerializer,
)
from api.views.base import StrictQueryMixin, cached_read, query

UNKNOWN_400 = OpenApiResponse(
    ErrorSerializer,
    description="Bad parameter, or an unknown concept slug (the message names the parameter).",
)


class GraphViewSet(StrictQueryMixin, viewsets.ViewSet):
    """Questions about the prerequisite graph as a whole."""

    permission_classes = [Anyone]
    # /subgraph answers GraphML, DOT or Mermaid as well as JSON, whatever the Accept header.
    content_negotiation_class = IgnoreClientContentNegotiation

    @extend_schema(
        parameters=[LearningPathQuerySerializer],
        responses={200: LearningPathSerializer, 400: UNKNOWN_400},
        summary="What to study, in order, to reach target concepts",
    )
    @action(detail=False, methods=["get"], url_path="learning-path")
    @cached_read
    def learning_path(self, request: Request) -> Response:
        params = query(LearningPathQuerySerializer, request)
        return Response(
            selectors.learning_path(
                targets=params["targets"],
                known=params["known"],
                include_recommended=params["recommended"],
            )
        )

    @extend_schema(
        parameters=[PathQuerySerializer],
        responses={
            200: PathSerializer,
            400: UNKNOWN_400,
            404: OpenApiResponse(
                ErrorSerializer, description="No prerequisite chain leads from `from` to `to`."
            ),
        },
        summary="The shortest prerequisite chain from one concept to another",
    )
    @action(detail=False, methods=["get"])
    def path(self, request: Request) -> Response:
        params = query(PathQuerySerializer, request)
        return Response(
            selectors.prerequisite_path(
                source=params["from"],
                target=params["to"],
                include_recommended=params["recommended"],
            )
        )

    @extend_schema(
        parameters=[SubgraphQuerySerializer],
        responses={
            (200, "application/json"): SubgraphSerializer,
            **{(200, media): OpenApiTypes.STR for media in SUBGRAPH_MEDIA_TYPES.values()},
            400: UNKNOWN_400,
        },
        summary="A concept's neighbourhood as JSON, GraphML, DOT or Mermaid",
    )
    @action(detail=False, methods=["get"])
    @cached_read
    def subgraph(self, request: Request) -> Response | HttpResponse:
        params = query(SubgraphQuerySerializer, request)
        root, depth, fmt = params["root"], params["depth"], params["format"]
        graph = selectors.subgraph(root=root, depth=depth)
        if fmt == "json":
            return Response(selectors.subgraph_json(graph, root=root, depth=depth))
        return HttpResponse(
            selectors.subgraph_text(graph, fmt),
            content_type=f"{SUBGRAPH_MEDIA_TYPES[fmt]}; charset=utf-8",
        )

    @extend_schema(
        parameters=[NextQuerySerializer],
        responses={200: NextSerializer, 400: UNKNOWN_400},
        summary="What can be learned next, most valuable first",
        description="Concepts not yet known whose required prerequisites are all known, "
        "ranked by their value for the track or team (their weight plus a damped share of "
        "what they unlock); without a track or team, by what they unlock. For a signed-in "
        "user, the latest plan's known concepts and finished learning count as known.",
    )
    @action(detail=False, methods=["get"], url_path="next")
    def next_concepts(self, request: Request) -> Response:
        params = query(NextQuerySerializer, request)
        return Response(
            selectors.next_concepts(
                known=params["known"],
                user=request.user,
                track=params.get("track"),
                team=params.get("team"),
                limit=params["limit"],
            )
        )
