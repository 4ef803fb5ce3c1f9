"""A marketplace at scale for the benchmark: users, projects, proposals, contracts and money.

The market (people, projects, proposals, messages, notifications, interviews) is bulk-inserted in
batches: none of it moves money. Every contract and every milestone that holds or moved money is
made by the real services (hire, accept, fund, submit, approve, refund, end), so the ledger, the
balances, the events and the notifications are the ones production writes and
`contracts.invariants.money_problems()` holds afterwards. Counts scale from `--projects`; the same
`--seed` makes the same market. The heavy users and the pages the benchmark asks for are printed
and written to a JSON file (`--output`).
"""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import ClientProfile, FreelancerProfile, Skill, User
from accounts.tokens import api_token_issue
from config.celery import app as celery_app
from config.scale_text import (
    COMMON_WORD,
    PHRASE,
    RARE_WORDS,
    THREE_WORDS,
    TITLE_OBJECTS,
    TITLE_TAILS,
    TITLE_VERBS,
    description,
)
from contracts import services as deals
from contracts.models import Contract, Milestone, Offer
from marketplace import services as market
from marketplace.models import Interview, InterviewSlot, Project, Proposal, ProposedMilestone
from messaging.models import Conversation, ConversationTopic, Message, Participant
from notifications.models import Notification

PASSWORD = "proofwork-bench"
BATCH = 2000

MILESTONE_STATES = [
    Milestone.Status.PENDING,
    Milestone.Status.FUNDED,
    Milestone.Status.SUBMITTED,
    Milestone.Status.CHANGES_REQUESTED,
    Milestone.Status.RELEASED,
    Milestone.Status.RELEASED,
    Milestone.Status.REFUNDED,
    Milestone.Status.CANCELLED,
]


class Command(BaseCommand):
    help = "Fill an empty database with a marketplace of --projects projects for the benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, default=100_000, help="Projects to create; every count scales.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed makes the same market.")
        parser.add_argument(
            "--output",
            default=str(settings.BASE_DIR / "var" / "seed_scale.json"),
            help="Where to write the heavy users and the pages to measure (JSON).",
        )

    def handle(self, *args, projects: int, seed: int, output: str, **options):
        if projects < 100:
            raise CommandError("Use --projects 100 or more.")
        if Project.objects.exists():
            raise CommandError("The database already has projects: seed_scale fills an empty one.")
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.started = time.monotonic()
        n_clients = max(20, projects // 10)
        n_freelancers = max(40, projects // 5)
        # Each contract is made by the services (about 0.25 s of queries each): 2% keeps the seed in minutes.
        n_contracts = max(10, projects // 50)
        n_heavy = min(220, max(3, projects // 400))
        self.skills = list(Skill.objects.order_by("pk"))
        self.password = make_password(PASSWORD)

        clients = self._users("client", n_clients, is_client=True)
        freelancers = self._users("freelancer", n_freelancers, is_freelancer=True)
        heavy_client, heavy_freelancer = clients[0], freelancers[0]
        project_rows = self._projects(projects, clients)
        proposals = self._proposals(project_rows, freelancers)
        self._conversations(proposals, project_rows)
        self._interviews(proposals, project_rows)
        self._notifications(proposals, project_rows)
        # The heavy client hires many freelancers and the heavy freelancer works for many clients:
        # the dashboards and lists that grow with a person's history.
        plans = [(heavy_client, self.rng.choice(freelancers[1:])) for _ in range(n_heavy)]
        plans += [(self.rng.choice(clients[1:]), heavy_freelancer) for _ in range(n_heavy)]
        plans += [(self.rng.choice(clients[1:]), self.rng.choice(freelancers[1:])) for _ in range(n_contracts)]
        contract_ids = self._contracts(plans)

        sample_freelancer = freelancers[1]
        heavy_project = (
            Project.objects.filter(client=heavy_client, status=Project.Status.OPEN, visibility="public")
            .order_by("-published_at")
            .first()
        ) or Project.objects.filter(status=Project.Status.OPEN, visibility="public").first()
        ten = contract_ids[0]
        info = {
            "projects": projects,
            "seed": seed,
            "seconds": round(time.monotonic() - self.started, 1),
            "password": PASSWORD,
            "heavy_client": {"id": heavy_client.pk, "email": heavy_client.email},
            "heavy_freelancer": {"id": heavy_freelancer.pk, "email": heavy_freelancer.email},
            "freelancer": {"id": sample_freelancer.pk, "email": sample_freelancer.email},
            "tokens": {
                "heavy_client": api_token_issue(user=heavy_client, name="load benchmark")[1],
                "heavy_freelancer": api_token_issue(user=heavy_freelancer, name="load benchmark")[1],
            },
            "project_id": heavy_project.pk,
            "contract_10_milestones": ten,
            "search": {
                "rare": RARE_WORDS[0],
                "common": COMMON_WORD,
                "three_words": THREE_WORDS,
                "phrase": f'"{PHRASE}"',
            },
            "skills_filter": {"skills": [s.pk for s in self.skills[:2]], "budget_min": 1000},
            "counts": self._counts(),
        }
        if connection.vendor == "postgresql":
            # Bulk inserts leave the planner without statistics until autovacuum comes round: with
            # none, it guesses one row per filter and walks indexes through the whole table.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps(info, indent=2))
        self.stdout.write(self.style.SUCCESS(f"Done in {info['seconds']} s. Written to {output}:"))
        self.stdout.write(json.dumps({k: info[k] for k in ("heavy_client", "heavy_freelancer", "counts")}, indent=2))

    # --- Progress ----------------------------------------------------------------------------

    def _progress(self, label: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        elapsed = time.monotonic() - self.started
        self.stdout.write(
            f"\r  {label:<14} [{'#' * filled}{'.' * (width - filled)}] {done:>8,}/{total:,}  {elapsed:6.0f} s",
            ending="",
        )
        if done >= total:
            self.stdout.write("")
        self.stdout.flush()

    def _bulk(self, label: str, model, rows: list) -> list:
        created = []
        for start in range(0, len(rows), BATCH):
            created += model.objects.bulk_create(rows[start : start + BATCH])
            self._progress(label, min(start + BATCH, len(rows)), len(rows))
        if not rows:
            self._progress(label, 0, 0)
        return created

    # --- The market, bulk-inserted -----------------------------------------------------------

    def _users(self, role: str, count: int, **flags) -> list[User]:
        users = self._bulk(
            f"{role}s",
            User,
            [
                User(
                    email=f"bench.{role}{i}@example.com",
                    password=self.password,
                    full_name=f"Bench {role.title()} {i}",
                    date_joined=self.now - timedelta(days=self.rng.randint(1, 900)),
                    **flags,
                )
                for i in range(count)
            ],
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users], batch_size=BATCH
        )
        if role == "client":
            ClientProfile.objects.bulk_create(
                [
                    ClientProfile(
                        user=u,
                        company_name=f"Bench Company {u.pk}",
                        about_team="A small team that ships every week.",
                        payment_method_verified_at=self.now if self.rng.random() < 0.6 else None,
                    )
                    for u in users
                ],
                batch_size=BATCH,
            )
        else:
            profiles = FreelancerProfile.objects.bulk_create(
                [
                    FreelancerProfile(
                        user=u,
                        headline="Engineer for small product teams",
                        bio="Ten years of shipping web apps.\nTests first.",
                        hourly_rate_cents=self.rng.randint(20, 150) * 100,
                    )
                    for u in users
                ],
                batch_size=BATCH,
            )
            through = FreelancerProfile.skills.through
            through.objects.bulk_create(
                [
                    through(freelancerprofile_id=p.pk, skill_id=s.pk)
                    for p in profiles
                    for s in self.rng.sample(self.skills, self.rng.randint(2, 6))
                ],
                batch_size=BATCH * 5,
            )
        return users

    def _projects(self, count: int, clients: list[User]) -> list[Project]:
        rng, now, today = self.rng, self.now, timezone.localdate(self.now)
        rows, skill_sets = [], []
        for i in range(count):
            # The heavy client posts more than anyone else; the rest are spread over every client.
            client = clients[0] if i % 200 == 0 else rng.choice(clients)
            is_test = rng.random() < 0.10
            skills = rng.sample(self.skills, rng.randint(1, 5))
            recent = rng.random() < 0.65
            age = timedelta(days=rng.uniform(0, 29) if recent else rng.uniform(31, 365))
            published = now - age
            if rng.random() < 0.03:
                status, published = Project.Status.DRAFT, None
            elif recent:
                status = Project.Status.OPEN if rng.random() < 0.92 else rng.choice(["closed", "filled"])
            else:
                status = Project.Status.CLOSED if rng.random() < 0.8 else Project.Status.FILLED
            if is_test:
                budget_min = budget_max = rng.randint(5, 50) * 1000
            else:
                budget_min = int(10 ** rng.uniform(4.7, 7.3)) // 100 * 100
                budget_max = budget_min if rng.random() < 0.6 else budget_min * rng.choice([2, 3])
            title = f"{rng.choice(TITLE_VERBS)} {rng.choice(TITLE_OBJECTS)}{rng.choice(TITLE_TAILS)}"
            summary = f"{title}: a clear brief, a fixed budget and a client who answers quickly."
            confidential = rng.random() < 0.03
            brief = description(self.rng)
            closed = status in ("closed", "filled")
            rows.append(
                Project(
                    client=client,
                    kind=Project.Kind.TEST if is_test else Project.Kind.STANDARD,
                    title=title,
                    summary=summary,
                    description=brief,
                    acceptance_criteria="A short report and passing tests." if is_test else "",
                    follow_on_plan="A longer contract if this goes well." if is_test else "",
                    category=skills[0].category,
                    experience_level=rng.choice(["entry", "intermediate", "expert"]),
                    budget_min_cents=budget_min,
                    budget_max_cents=budget_max,
                    duration_days=rng.randint(3, 14) if is_test else rng.randint(7, 120),
                    apply_by=(published.date() if published else today) + timedelta(days=rng.randint(7, 29)),
                    visibility="invite_only" if rng.random() < 0.05 else "public",
                    is_confidential=confidential,
                    status=status,
                    close_reason=(
                        ("hired" if status == "filled" else ("expired" if not recent else "client")) if closed else ""
                    ),
                    published_at=published,
                    expires_at=published + timedelta(days=settings.PROJECT_OPEN_DAYS) if published else None,
                    closed_at=now - age / 2 if closed else None,
                    # The shape market.services writes: title, skills, summary, and the description
                    # unless the project is confidential.
                    search_text="\n".join(
                        [title, " ".join(s.name for s in skills), summary] + ([] if confidential else [brief])
                    ),
                    created_at=(published or now) - timedelta(hours=rng.randint(1, 48)),
                )
            )
            skill_sets.append(skills)
        projects = self._bulk("projects", Project, rows)
        through = Project.skills.through
        self._bulk(
            "project skills",
            through,
            [
                through(project_id=p.pk, skill_id=s.pk)
                for p, skills in zip(projects, skill_sets, strict=True)
                for s in skills
            ],
        )
        return projects

    def _proposals(self, projects: list[Project], freelancers: list[User]) -> list[Proposal]:
        rng = self.rng
        rows, terms = [], []
        statuses = ["submitted"] * 70 + ["shortlisted"] * 10 + ["declined"] * 12 + ["withdrawn"] * 8
        for project in projects:
            if project.published_at is None:
                continue
            for freelancer in rng.sample(freelancers, rng.choice([0, 1, 2, 3, 3, 4, 4, 5, 6])):
                bid = max(project.budget_min_cents, 1000)
                created = project.published_at + timedelta(hours=rng.uniform(1, 72))
                rows.append(
                    Proposal(
                        project=project,
                        freelancer=freelancer,
                        cover_letter="I have done this kind of work before and can start on Monday. " * 3,
                        bid_cents=bid,
                        duration_days=project.duration_days,
                        status=rng.choice(statuses),
                        created_at=min(created, self.now),
                    )
                )
                parts = 1 if bid < 2000 else rng.randint(1, 3)
                amounts = [bid // parts] * (parts - 1) + [bid - bid // parts * (parts - 1)]
                terms.append(amounts)
        proposals = self._bulk("proposals", Proposal, rows)
        due = timezone.localdate(self.now) + timedelta(days=30)
        self._bulk(
            "milestone terms",
            ProposedMilestone,
            [
                ProposedMilestone(proposal=p, position=i, title=f"Part {i}", amount_cents=a, due_date=due)
                for p, amounts in zip(proposals, terms, strict=True)
                for i, a in enumerate(amounts, start=1)
            ],
        )
        return proposals

    def _conversations(self, proposals: list[Proposal], projects: list[Project]) -> None:
        clients = {p.pk: p.client_id for p in projects}
        chosen = [p for p in proposals if self.rng.random() < 0.10]
        conversations = self._bulk(
            "conversations",
            Conversation,
            [Conversation(topic_type="proposal", topic_id=p.pk, title=f"Proposal {p.pk}") for p in chosen],
        )
        participants, messages, topics = [], [], []
        for conversation, proposal in zip(conversations, chosen, strict=True):
            topics.append(ConversationTopic(conversation=conversation, topic_type="proposal", topic_id=proposal.pk))
            people = [clients[proposal.project_id], proposal.freelancer_id]
            participants += [Participant(conversation=conversation, user_id=u, last_read_at=self.now) for u in people]
            for n in range(self.rng.randint(1, 5)):
                messages.append(
                    Message(
                        conversation=conversation,
                        sender_id=people[n % 2],
                        body="Thanks for the details. Could you tell me more about the timeline?",
                        created_at=proposal.created_at + timedelta(hours=n + 1),
                    )
                )
        ConversationTopic.objects.bulk_create(topics, batch_size=BATCH)
        Participant.objects.bulk_create(participants, batch_size=BATCH)
        self._bulk("messages", Message, messages)

    def _interviews(self, proposals: list[Proposal], projects: list[Project]) -> None:
        clients = {p.pk: p.client_id for p in projects}
        live = [p for p in proposals if p.status in ("submitted", "shortlisted") and self.rng.random() < 0.03]
        interviews = self._bulk(
            "interviews",
            Interview,
            [
                Interview(
                    proposal=p,
                    offered_by_id=clients[p.project_id],
                    meeting_token=f"bench{p.pk}",
                    status=Interview.Status.PROPOSED,
                )
                for p in live
            ],
        )
        start = (self.now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        InterviewSlot.objects.bulk_create(
            [InterviewSlot(interview=i, starts_at=start + timedelta(hours=h)) for i in interviews for h in (0, 4)],
            batch_size=BATCH,
        )

    def _notifications(self, proposals: list[Proposal], projects: list[Project]) -> None:
        clients = {p.pk: p.client_id for p in projects}
        self._bulk(
            "notifications",
            Notification,
            [
                Notification(
                    recipient_id=clients[p.project_id],
                    kind="proposal.new",
                    title="New proposal on your project",
                    url=p.get_absolute_url(),
                    created_at=p.created_at,
                    read_at=p.created_at if self.rng.random() < 0.7 else None,
                )
                for p in proposals
            ],
        )

    # --- Contracts and money, through the services -------------------------------------------

    def _contracts(self, plans: list[tuple[User, User]], *, move: bool = True) -> list[int]:
        """One project, proposal, hire and acceptance per plan, then (with `move`) each milestone
        moved to a state by the same services a person's clicks call."""
        # Tasks run inline and emails go nowhere: the seed must not queue thousands of emails
        # for a worker to send later.
        celery_app.conf.task_always_eager = True
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        ids = []
        due = timezone.localdate(self.now) + timedelta(days=30)
        category = self.skills[0].category
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            for n, (client, freelancer) in enumerate(plans):
                # The first contract is the benchmark's contract page: ten milestones, every state.
                parts = 10 if n == 0 else self.rng.choice([1, 1, 2, 3, 4])
                states = MILESTONE_STATES if n == 0 else [self.rng.choice(MILESTONE_STATES) for _ in range(parts)]
                states = [*states, *MILESTONE_STATES][:parts]
                amounts = [self.rng.randint(50, 2000) * 100 for _ in range(parts)]
                with transaction.atomic():
                    project = Project.objects.create(
                        client=client,
                        title=f"{self.rng.choice(TITLE_VERBS)} {self.rng.choice(TITLE_OBJECTS)}",
                        summary="Work for an existing client.",
                        description=description(self.rng),
                        category=category,
                        budget_min_cents=sum(amounts),
                        budget_max_cents=sum(amounts),
                        duration_days=30,
                        apply_by=due,
                        status=Project.Status.OPEN,
                        published_at=self.now - timedelta(days=self.rng.uniform(0, 20)),
                        expires_at=self.now + timedelta(days=10),
                        search_text="Work for an existing client.",
                    )
                    proposal = Proposal.objects.create(
                        project=project,
                        freelancer=freelancer,
                        cover_letter="Happy to work together again.",
                        bid_cents=sum(amounts),
                        duration_days=30,
                    )
                    ProposedMilestone.objects.bulk_create(
                        ProposedMilestone(
                            proposal=proposal, position=i, title=f"Milestone {i}", amount_cents=a, due_date=due
                        )
                        for i, a in enumerate(amounts, start=1)
                    )
                market.proposal_hire(proposal=proposal, by=client)
                contract = deals.offer_accept(offer=Offer.objects.get(proposal=proposal), by=freelancer)
                for milestone, state in zip(contract.milestones.order_by("position"), states, strict=True):
                    if move:
                        self._move(milestone, state, client=client, freelancer=freelancer)
                if move and n % 3 == 1 and not contract.milestones.filter(status__in=Milestone.HELD).exists():
                    deals.contract_end(contract=contract, by=client)
                ids.append(contract.pk)
                self._progress("contracts", n + 1, len(plans))
        return ids

    def _move(self, milestone: Milestone, state: str, *, client: User, freelancer: User) -> None:
        S = Milestone.Status
        if state == S.PENDING:
            return
        if state == S.CANCELLED:
            edit = deals.milestone_removal_propose(milestone=milestone, by=client)
            deals.milestone_edit_accept(edit=edit, by=freelancer)
            return
        deals.milestone_fund(milestone=milestone, by=client)
        if state == S.FUNDED:
            return
        if state == S.REFUNDED:
            deals.milestone_refund_offer(milestone=milestone, by=freelancer, amount_cents=milestone.amount_cents)
            return
        deals.milestone_submit(milestone=milestone, by=freelancer, message="Here is the work.")
        if state == S.CHANGES_REQUESTED:
            deals.milestone_request_changes(milestone=milestone, by=client, reason="The export is missing.")
        elif state == S.RELEASED:
            deals.milestone_approve(milestone=milestone, by=client)

    def _counts(self) -> dict[str, int]:
        from payments.models import LedgerTransaction

        return {
            "clients": User.objects.filter(is_client=True).count(),
            "freelancers": User.objects.filter(is_freelancer=True).count(),
            "projects": Project.objects.count(),
            "open_projects": Project.objects.filter(status=Project.Status.OPEN).count(),
            "test_projects": Project.objects.filter(kind=Project.Kind.TEST).count(),
            "proposals": Proposal.objects.count(),
            "contracts": Contract.objects.count(),
            "milestones": Milestone.objects.count(),
            "ledger_transactions": LedgerTransaction.objects.count(),
            "messages": Message.objects.count(),
            "notifications": Notification.objects.count(),
        }
