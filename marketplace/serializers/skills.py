"""Categories and skills, read-only: the ids a project is posted with."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import Skill, SkillCategory
from core.serializers import QueryParamsMixin, StrictIntegerField


class SkillSerializer(serializers.ModelSerializer):
    category = serializers.IntegerField(source="category_id", read_only=True, help_text="The category's id.")

    class Meta:
        model = Skill
        fields = ["id", "name", "slug", "category"]
        read_only_fields = fields


class CategorySkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name", "slug"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    skills = CategorySkillSerializer(many=True, read_only=True)

    class Meta:
        model = SkillCategory
        fields = ["id", "name", "slug", "skills"]
        read_only_fields = fields


class SkillSearchSerializer(QueryParamsMixin, serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=80, default="", help_text="Part of a skill's name."
    )
    category = StrictIntegerField(required=False, min_value=1, max_value=2**63 - 1, help_text="Category id.")
