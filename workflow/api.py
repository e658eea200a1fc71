"""REST API for review tasks: the caller's queue, claims and the three decisions."""

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from viewflow.workflow.models import Task

from core.pagination import IdPageWithCount
from publications.api import PublicationSerializer, publication_data
from scanning.services import finding_data

from . import services
from .flows import ReviewFlow
from .models import WithholdBasis
from .permissions import REVIEW_STEPS
from .selectors import actionable_tasks, queue_rows, tasks_claimed_by_others


class TaskSerializer(serializers.Serializer):
    """A queue row (`selectors.queue_rows`: plain values, no model instances)."""

    id = serializers.IntegerField()
    publication = serializers.IntegerField()
    publication_title = serializers.CharField(source="title")
    section = serializers.CharField()
    round = serializers.IntegerField()
    step = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    owner = serializers.CharField(source="holder", allow_null=True)
    created = serializers.DateTimeField()

    def get_step(self, row) -> str:
        return row["flow_task"].name

    def get_status(self, row) -> str:
        return str(row["status"]).lower()


#: TaskSerializer's own field for `created`, so that queue_data renders it the same way
_CREATED = TaskSerializer().fields["created"]


def queue_data(rows) -> list[dict]:
    """Queue rows as the API answers them, what TaskSerializer describes (and the schema
    shows), built directly: DRF's serializer costs about an eighth of a 50-row page."""
    return [{"id": row["id"], "publication": row["publication"],
             "publication_title": row["title"], "section": row["section"],
             "round": row["round"], "step": row["flow_task"].name,
             "status": str(row["status"]).lower(), "owner": row["holder"],
             "created": _CREATED.to_representation(row["created"])} for row in rows]


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class RejectSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=False)


class WithholdSerializer(serializers.Serializer):
    basis = serializers.ChoiceField(choices=WithholdBasis.choices)
    comment = serializers.CharField(allow_blank=False)


class TakeBackSerializer(serializers.Serializer):
    claim = serializers.BooleanField(required=False, default=False, help_text=(
        "also claim the task for the caller in the same step (only if the step is theirs)"))


class TakenBackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    step = serializers.CharField()
    status = serializers.CharField(help_text="`new` (back in the queue) or `assigned`")
    owner = serializers.CharField(allow_null=True, help_text="who holds it now")


_ERROR = inline_serializer("Error", fields={"detail": serializers.CharField()})


#: What claim, unclaim, approve, reject and withhold answer: the task after the action.
TASK_DONE = inline_serializer("TaskActionResult", fields={
    "id": serializers.IntegerField(),
    "step": serializers.CharField(),
    "status": serializers.CharField(help_text="the task's status after the action, lower case"),
})


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("step", str, enum=list(REVIEW_STEPS), required=False),
    OpenApiParameter("section", str, required=False, description="a section's code"),
    OpenApiParameter("held", str, enum=["others"], required=False, description=(
        "`others`: instead of the caller's queue, the open tasks colleagues hold on items "
        "of the sections the caller heads or covers (what they may take back)")),
]))
class TaskViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TaskSerializer
    pagination_class = IdPageWithCount

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no real user
            return Task.objects.none()
        params = self.request.query_params
        if params.get("held") == "others":
            tasks = tasks_claimed_by_others(user=self.request.user)
            if params.get("step") in REVIEW_STEPS:
                tasks = tasks.filter(flow_task=getattr(ReviewFlow, params["step"]))
            if params.get("section"):
                tasks = tasks.filter(process__reviewprocess__section__code=params["section"])
            return tasks
        return actionable_tasks(user=self.request.user, step=params.get("step"),
                                section=params.get("section"))

    def list(self, request, *args, **kwargs):
        task_ids = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(queue_data(queue_rows(task_ids, brief=True)))

    def _done(self, task):
        """What a task action answers (TASK_DONE)."""
        return Response({"id": task.pk, "step": task.flow_task.name,
                         "status": str(task.status).lower()})

    def _payload(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(request=None, responses=TASK_DONE)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self._done(services.claim_task(user=request.user, task_id=pk))

    @extend_schema(request=None, responses=TASK_DONE)
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        return self._done(services.unclaim_task(user=request.user, task_id=pk))

    @extend_schema(request=TakeBackSerializer, responses={
        200: TakenBackSerializer,
        400: OpenApiResponse(_ERROR, description="`claim` is not a boolean"),
        403: OpenApiResponse(_ERROR, description=(
            "not a section head of the item's section nor a leader covering it; the "
            "drafter; with `claim`, the step is not the caller's")),
        404: OpenApiResponse(_ERROR, description="no such task in the caller's agency"),
        409: OpenApiResponse(_ERROR, description=(
            "nobody else holds the task (unclaimed, the caller's own, or decided)")),
    })
    @action(detail=True, methods=["post"], url_path="take-back")
    def take_back(self, request, pk=None):
        """A section head or covering leader takes back a colleague's claim (who is told):
        back to the queue, or to the caller with `claim`."""
        data = self._payload(TakeBackSerializer)
        task = services.take_back_claim(user=request.user, task_id=pk, **data)
        return Response({"id": task.pk, "step": task.flow_task.name,
                         "status": str(task.status).lower(),
                         "owner": task.owner.get_username() if task.owner_id else None})

    @extend_schema(request=CommentSerializer, responses=TASK_DONE)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = self._payload(CommentSerializer)
        return self._done(services.approve_task(user=request.user, task_id=pk, **data))

    @extend_schema(request=RejectSerializer, responses=TASK_DONE)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = self._payload(RejectSerializer)
        return self._done(services.reject_task(user=request.user, task_id=pk, **data))

    @extend_schema(request=WithholdSerializer, responses=TASK_DONE)
    @action(detail=True, methods=["post"])
    def withhold(self, request, pk=None):
        data = self._payload(WithholdSerializer)
        return self._done(services.withhold_task(user=request.user, task_id=pk, **data))


class DismissSerializer(serializers.Serializer):
    justification = serializers.CharField(allow_blank=False)


class FindingDismissViewSet(viewsets.ViewSet):
    """POST /api/v1/publications/{id}/findings/{finding_id}/dismiss/ (see config/urls.py)."""

    @extend_schema(request=DismissSerializer, responses=inline_serializer(
        "DismissedFinding", fields={"id": serializers.IntegerField(),
                                    "dismissed": serializers.BooleanField()}))
    def dismiss(self, request, pk=None, finding_id=None):
        data = DismissSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = services.dismiss_finding(user=request.user, publication_id=int(pk),
                                           finding_id=int(finding_id),
                                           justification=data.validated_data["justification"])
        return Response(finding_data(finding))


class AcknowledgeSerializer(serializers.Serializer):
    field = serializers.CharField(allow_blank=False, max_length=300)
    note = serializers.CharField(allow_blank=False)


class UnscannedAcknowledgeViewSet(viewsets.ViewSet):
    """POST /api/v1/publications/{id}/unscanned/acknowledge/ (see config/urls.py)."""

    @extend_schema(request=AcknowledgeSerializer, responses=inline_serializer(
        "UnscannedAcknowledgement", fields={
            "field": serializers.CharField(), "round": serializers.IntegerField(),
            "note": serializers.CharField(), "acknowledged_by": serializers.CharField(),
            "acknowledged_at": serializers.DateTimeField()}))
    def acknowledge(self, request, pk=None):
        """The confidentiality reviewer acknowledges an attachment the pre-scan could not
        read (`field` as listed in the scan's `unscanned`), with a note of what they found.
        Needed for each one, in each round, before the confidentiality approval."""
        data = AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ack = services.acknowledge_unscanned(user=request.user, publication_id=int(pk),
                                             field=data.validated_data["field"],
                                             note=data.validated_data["note"])
        return Response({"field": ack.field, "round": ack.round, "note": ack.note,
                         "acknowledged_by": ack.acknowledged_by.get_username(),
                         "acknowledged_at": ack.acknowledged_at})


class SubmissionViewSet(viewsets.ViewSet):
    """POST /api/v1/publications/{id}/submit/ and …/withdraw/ (see config/urls.py): the
    drafter starts a review round, or takes the item back."""

    @extend_schema(request=None, responses=PublicationSerializer)
    def submit(self, request, pk=None):
        services.submit_publication(user=request.user, publication_id=pk)
        return Response(publication_data(user=request.user, pk=pk))

    @extend_schema(request=None, responses=PublicationSerializer)
    def withdraw(self, request, pk=None):
        services.withdraw_publication(user=request.user, publication_id=pk)
        return Response(publication_data(user=request.user, pk=pk))
