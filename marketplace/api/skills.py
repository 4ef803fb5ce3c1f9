"""Categories and skills over the API, read-only: what a project is posted with (`category`,
`skills`), so a client never borrows an id from another project."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets

from accounts.models import Skill, SkillCategory
from core.serializers import validated
from marketplace.serializers.skills import CategorySerializer, SkillSearchSerializer, SkillSerializer


@extend_schema_view(
    list=extend_schema(
        description="Every category with its skills, by name: the `category` and `skills` ids a project is posted with."
    ),
    retrieve=extend_schema(description="One category with its skills."),
)
class CategoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CategorySerializer
    pagination_class = None  # a short, fixed list
    permission_classes = [permissions.AllowAny]  # the same lists the public search pages show

    def get_queryset(self) -> QuerySet[SkillCategory]:
        return SkillCategory.objects.order_by("name", "pk").prefetch_related(
            Prefetch("skills", queryset=Skill.objects.order_by("name", "pk"))
        )


@extend_schema_view(
    list=extend_schema(
        description="Skills by name, paginated; `q` finds skills whose name contains it, `category` keeps one "
        "category's skills.",
        parameters=[
            OpenApiParameter("q", str, description="Part of a skill's name (case does not matter)."),
            OpenApiParameter("category", int, description="A category's id."),
        ],
    ),
    retrieve=extend_schema(description="One skill."),
)
class SkillViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SkillSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self) -> QuerySet[Skill]:
        skills = Skill.objects.order_by("name", "pk")
        if self.action != "list":
            return skills
        query = validated(SkillSearchSerializer, self.request.query_params)
        if query["q"].strip():
            skills = skills.filter(name__icontains=query["q"].strip())
        if query.get("category"):
            skills = skills.filter(category_id=query["category"])
        return skills
