"""Page numbers read strictly: `page` is a whole number from 1 (or "last"); anything else is a 400
that says so, and a page past the end is a 404."""

from __future__ import annotations

import re

from rest_framework import pagination, serializers

PAGE = re.compile(r"[1-9][0-9]{0,8}")


class PageNumberPagination(pagination.PageNumberPagination):
    def paginate_queryset(self, queryset, request, view=None):
        values = request.query_params.getlist(self.page_query_param)
        if len(values) > 1:
            raise serializers.ValidationError({self.page_query_param: ["Send one page number."]})
        if values and values[0] not in self.last_page_strings and not PAGE.fullmatch(values[0]):
            raise serializers.ValidationError({self.page_query_param: ["A page is a whole number from 1."]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 999_999_999}
                parameter["description"] = "A page number from 1; a page past the last one is a 404."
        return parameters
