"""Hiring as a state machine: Hypothesis plays any sequence of the hiring moves (hire, hire another
proposal, withdraw, decline, expire, accept, revise, close the project, let it expire) on a project
with two proposals, and after every move checks that

- the statuses agree: a proposal is "offered" exactly when it has an offer waiting for an answer,
  at most one offer per project waits at a time, a hired proposal has the accepted offer and a
  filled project, and a project that left the market has no offer waiting;
- somebody can still act: while the project is open, at least one of the moves its client or a
  freelancer can make on the pages succeeds (the project is never stuck until it is filled,
  closed or expired).

Each sequence runs in a transaction rolled back at its end, and each "can somebody act" probe in
a savepoint rolled back at once, so probing changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from contracts.models import Offer
from contracts.services import offer_accept, offer_decline, offer_revise, offer_withdraw, offers_expire_due
from core.exceptions import DomainError
from core.milestones import MilestoneTerms
from marketplace.models import Project, Proposal
from marketplace.services import project_close, projects_expire_due, proposal_hire
from tests.marketplace.factories import in_days, new_client, new_freelancer, open_project, submit_proposal

pytestmark = pytest.mark.django_db

REFUSED = (DomainError, ValidationError)  # InvalidTransition and NotAllowed are DomainErrors


def _awaited(offer: Offer):
    return offer.client if offer.awaiting == Offer.Party.CLIENT else offer.freelancer


class Hiring(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        cache.clear()  # rolled-back ids come back, and the proposal rate limit counts by id
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.client = new_client()
        self.project = open_project(client=self.client, budget_min_cents=500_00, budget_max_cents=1_000_00)
        self.proposals = [submit_proposal(project=self.project, freelancer=new_freelancer()) for _ in range(2)]

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- reading the state ---------------------------------------------------------------------

    def _project(self) -> Project:
        return Project.objects.get(pk=self.project.pk)

    def _offers(self):
        return Offer.objects.filter(proposal__project=self.project).select_related("client", "freelancer")

    def _waiting(self) -> Offer | None:
        return self._offers().filter(status=Offer.Status.OFFERED).first()

    def _attempt(self, action) -> bool:
        """Run one move; a refusal (with a clear message) is a legal answer and changes nothing."""
        try:
            with transaction.atomic():
                action()
        except REFUSED:
            return False
        return True

    # --- the moves -----------------------------------------------------------------------------

    @rule(which=st.sampled_from([0, 1]))
    def hire(self, which):
        proposal = Proposal.objects.get(pk=self.proposals[which].pk)
        self._attempt(lambda: proposal_hire(proposal=proposal, by=self.client))

    @rule()
    def withdraw(self):
        if offer := self._waiting():
            self._attempt(lambda: offer_withdraw(offer=offer, by=offer.client))

    @rule()
    def decline(self):
        if offer := self._waiting():
            self._attempt(lambda: offer_decline(offer=offer, by=offer.freelancer, reason="Not now"))

    @rule()
    def accept(self):
        if offer := self._waiting():
            self._attempt(lambda: offer_accept(offer=offer, by=_awaited(offer)))

    @rule(by_client=st.booleans(), amount=st.sampled_from([500_00, 750_00]))
    def revise(self, by_client, amount):
        if offer := self._waiting():
            by = offer.client if by_client else offer.freelancer
            terms = [MilestoneTerms(title="All of it", amount_cents=amount, due_date=in_days(20))]
            self._attempt(lambda: offer_revise(offer=offer, by=by, milestones=terms))

    @rule()
    def offers_expire(self):
        offers_expire_due(now=timezone.now() + timedelta(days=settings.OFFER_EXPIRY_DAYS, hours=1))

    @rule()
    def project_expires(self):
        projects_expire_due(now=timezone.now() + timedelta(days=settings.PROJECT_OPEN_DAYS + 1))

    @rule()
    def close(self):
        self._attempt(lambda: project_close(project=self._project(), by=self.client))

    # --- what always holds ---------------------------------------------------------------------

    @invariant()
    def statuses_agree(self):
        project = self._project()
        offers = list(self._offers())
        waiting = [o for o in offers if o.status == Offer.Status.OFFERED]
        assert len(waiting) <= 1, "one offer out per project at a time"
        for proposal in Proposal.objects.filter(project=project):
            mine = [o for o in offers if o.proposal_id == proposal.pk]
            live = [o for o in mine if o.status in (Offer.Status.OFFERED, Offer.Status.ACCEPTED)]
            assert len(live) <= 1, "at most one live offer per proposal"
            if proposal.status == Proposal.Status.OFFERED:
                assert [o.status for o in live] == [Offer.Status.OFFERED], "an offered proposal has a waiting offer"
            elif proposal.status == Proposal.Status.HIRED:
                assert [o.status for o in live] == [Offer.Status.ACCEPTED]
                assert project.status == Project.Status.FILLED
            else:
                assert live == [], f"a {proposal.status} proposal has no live offer"
        hired = Proposal.objects.filter(project=project, status=Proposal.Status.HIRED).count()
        assert hired == (1 if project.status == Project.Status.FILLED else 0)
        if project.status != Project.Status.OPEN:
            assert waiting == [], "a project off the market has no offer waiting"

    @invariant()
    def somebody_can_act(self):
        if self._project().status != Project.Status.OPEN:
            return  # filled, closed or expired: the end of hiring
        can = []
        for offer in self._offers().filter(status=Offer.Status.OFFERED):
            can += [
                lambda o=offer: offer_accept(offer=o, by=_awaited(o)),
                lambda o=offer: offer_decline(offer=o, by=o.freelancer),
                lambda o=offer: offer_withdraw(offer=o, by=o.client),
            ]
        for proposal in Proposal.objects.filter(project=self.project):
            can.append(lambda p=proposal: proposal_hire(proposal=p, by=self.client))
        can.append(lambda: project_close(project=self._project(), by=self.client))
        assert any(self._probe(action) for action in can), "nobody can do anything on an open project"

    def _probe(self, action) -> bool:
        """Would this move succeed now? Tried in a savepoint that is always rolled back."""
        try:
            with transaction.atomic():
                action()
                transaction.set_rollback(True)
        except REFUSED:
            return False
        return True


def test_no_sequence_of_hiring_moves_leaves_a_project_stuck_or_inconsistent():
    run_state_machine_as_test(
        Hiring,
        settings=hypothesis_settings(
            max_examples=25,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


def test_the_stuck_sequence_found_from_outside_is_playable():
    # hire, withdraw, hire the same proposal again, accept: the machine's moves reach it
    state = Hiring()
    try:
        state.hire(0)
        state.withdraw()
        state.statuses_agree()
        state.hire(0)
        state.statuses_agree()
        state.somebody_can_act()
        state.accept()
        state.statuses_agree()
        assert state._project().status == Project.Status.FILLED
    finally:
        state.teardown()
