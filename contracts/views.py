"""Contract pages (offers, contracts, milestones, earnings)."""

from django.http import Http404


def offer_detail(request, pk: int):
    raise Http404


def contract_detail(request, pk: int):
    raise Http404
