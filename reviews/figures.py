"""The reputation figures, computed from the record: every figure with the number it is based on,
each formula published on the /trust page (templates/reviews/trust.html says the same in words).

Batch-first: each function takes many people and costs a fixed number of queries whatever their
history, so a list of proposals or a profile never queries per contract or per review.
A figure based on fewer than MIN_BASIS items is shown as "New" with its count, never as a score.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.db.models import Exists, F, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from contracts.models import Contract, ContractEvent, Dispute, Milestone
from marketplace.models import Interview, Proposal
from reviews.models import Review

MIN_BASIS = 3  # below this many contracts, ratings or milestones a figure says "New"
JOB_SUCCESS_MONTHS = 24
ANSWER_DAYS = 3  # "answers proposals within 3 days"
REPLACED_WITHIN_DAYS = 60  # ended early, then someone else hired for the same work within this
EARNED_BANDS = (  # (at least, label), highest first
    (100_000_000, "$1M+"),
    (10_000_000, "$100k+"),
    (5_000_000, "$50k+"),
    (1_000_000, "$10k+"),
    (500_000, "$5k+"),
    (100_000, "$1k+"),
    (1, "Under $1k"),
    (0, "$0"),
)


def earned_band(cents: int) -> str:
    return next(label for floor, label in EARNED_BANDS if cents >= floor)


def percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _ratings(subject_ids: list[int], direction: str) -> dict[int, dict]:
    """Average overall stars, the count of each star, and how many reviews were hidden by a
    moderator (out of the figures, counted in the open). One query."""
    result = {pk: {"ratings": [0, 0, 0, 0, 0], "hidden": 0, "by_contract": {}, "again": [0, 0]} for pk in subject_ids}
    rows = Review.objects.filter(subject_id__in=subject_ids, direction=direction, published_at__isnull=False).values(
        "subject_id", "contract_id", "overall", "hidden_at", "would_work_again"
    )
    for row in rows:
        entry = result[row["subject_id"]]
        if row["hidden_at"] is not None:
            entry["hidden"] += 1
            continue
        entry["ratings"][row["overall"] - 1] += 1
        if row["would_work_again"] is not None:  # the private answer: only its share is ever shown
            entry["again"][1] += 1
            entry["again"][0] += row["would_work_again"]
        entry["by_contract"][row["contract_id"]] = row["overall"]
    for entry in result.values():
        count = sum(entry["ratings"])
        total = sum(stars * n for stars, n in zip(range(1, 6), entry["ratings"], strict=True))
        entry["rating_count"] = count
        entry["rating_average"] = round(total / count, 2) if count else None
        # Highest first, for the bar chart: (stars, count, percent of the longest bar).
        longest = max(entry["ratings"]) or 1
        entry["distribution"] = [
            [stars, entry["ratings"][stars - 1], round(100 * entry["ratings"][stars - 1] / longest)]
            for stars in range(5, 0, -1)
        ]
    return result


def _shared_figures(role: str, rows: list[dict], rated: dict) -> dict:
    """What both roles show: the history's size ("New" below MIN_BASIS ended contracts with money
    paid) and the ratings from the other side."""
    ended_paid = sum(1 for r in rows if r["status"] == Contract.Status.ENDED and r["paid"])
    return {
        "role": role,
        "is_new": ended_paid < MIN_BASIS,
        "contracts": len(rows),
        "contracts_ended_paid": ended_paid,
        "rating_average": rated["rating_average"],
        "rating_count": rated["rating_count"],
        "rating_distribution": rated["distribution"],
        "hidden_reviews": rated["hidden"],
        "would_work_again_percent": percent(*rated["again"]),
        "would_work_again_basis": rated["again"][1],
    }


def _lost_disputes(contract_filter: Q, role: str) -> dict[int, int]:
    """Per contract: disputes decided (by staff or by a deadline's default) against `role` — they
    got less than half of what was held. One query."""
    lost: dict[int, int] = defaultdict(int)
    rows = Dispute.objects.filter(contract_filter, status__in=(Dispute.Status.DECIDED, Dispute.Status.DEFAULTED))
    for row in rows.values("contract_id", "held_cents", "outcome_freelancer_cents"):
        share = (
            row["outcome_freelancer_cents"]
            if role == "freelancer"
            else row["held_cents"] - row["outcome_freelancer_cents"]
        )
        if 2 * share < row["held_cents"]:
            lost[row["contract_id"]] += 1
    return lost


def _contracts(filter_q: Q):
    paid = (
        Milestone.objects.filter(contract=OuterRef("pk"))
        .values("contract")
        .annotate(s=Sum("released_cents"))
        .values("s")
    )
    ended_by = ContractEvent.objects.filter(contract=OuterRef("pk"), verb=ContractEvent.Verb.ENDED).values("actor_id")[
        :1
    ]
    return (
        Contract.objects.filter(filter_q)
        .annotate(
            paid=Subquery(paid),
            continued=Exists(Contract.objects.filter(follow_on_of=OuterRef("pk"))),
            ended_by=Subquery(ended_by),
        )
        .values(
            "pk",
            "title",
            "client_id",
            "freelancer_id",
            "status",
            "end_reason",
            "started_at",
            "ended_at",
            "is_test_project",
            "paid",
            "continued",
            "ended_by",
            "offer__proposal__project_id",
        )
        .order_by("-started_at", "-pk")
    )


def _job_success_line(contract: dict, *, rating: int | None, lost: int, since) -> tuple[str, str]:
    """What one contract does to the freelancer's job success: (counts, why). `counts` is
    "success", "against" or "not counted"."""
    if contract["status"] == Contract.Status.ACTIVE:
        return "not counted", "Still in progress."
    if not contract["paid"]:
        return "not counted", "No money was paid."
    if contract["ended_at"] < since:
        return "not counted", f"Ended more than {JOB_SUCCESS_MONTHS} months ago."
    if lost:
        return "against", "A dispute was decided against the freelancer."
    if rating is None:
        return "not counted", "No published rating from the client."
    if rating < 4:
        return "against", f"Rated {rating} of 5."
    return "success", f"Rated {rating} of 5, no dispute lost."


def freelancer_figures(user_ids: list[int], *, now=None) -> dict[int, dict]:
    """Each freelancer's record, in six queries for any number of freelancers."""
    now = now or timezone.now()
    since = now - timedelta(days=JOB_SUCCESS_MONTHS * 365 // 12)
    ratings = _ratings(user_ids, Review.Direction.OF_FREELANCER)
    lost = _lost_disputes(Q(contract__freelancer_id__in=user_ids), "freelancer")
    contracts = defaultdict(list)
    for row in _contracts(Q(freelancer_id__in=user_ids)):
        contracts[row["freelancer_id"]].append(row)
    # On time: the first submission of each milestone by the end of its due date; a milestone still
    # held past its due date with nothing submitted is late too.
    first_submission = dict(
        ContractEvent.objects.filter(contract__freelancer_id__in=user_ids, verb=ContractEvent.Verb.SUBMITTED)
        .values("milestone_id")
        .annotate(first=Min("at"))
        .values_list("milestone_id", "first")
    )
    on_time = {pk: [0, 0] for pk in user_ids}  # [on time, basis]
    milestones = Milestone.objects.filter(contract__freelancer_id__in=user_ids).values(
        "pk", "contract__freelancer_id", "due_date", "status"
    )
    today = timezone.localdate(now)
    for row in milestones:
        first = first_submission.get(row["pk"])
        tally = on_time[row["contract__freelancer_id"]]
        if first is not None:
            tally[1] += 1
            tally[0] += timezone.localdate(first) <= row["due_date"]
        elif row["status"] in Milestone.HELD and row["due_date"] < today:
            tally[1] += 1
    figures = {}
    for user_id in user_ids:
        rows = contracts[user_id]
        rated = ratings[user_id]
        lines = []
        for row in rows:
            counts, why = _job_success_line(
                row, rating=rated["by_contract"].get(row["pk"]), lost=lost.get(row["pk"], 0), since=since
            )
            lines.append({"contract_id": row["pk"], "title": row["title"], "counts": counts, "why": why})
        success = sum(line["counts"] == "success" for line in lines)
        judged = sum(line["counts"] != "not counted" for line in lines)
        clients = defaultdict(int)
        for row in rows:
            clients[row["client_id"]] += 1
        tests = [r for r in rows if r["is_test_project"] and r["end_reason"] == Contract.EndReason.COMPLETED]
        earned = sum(r["paid"] or 0 for r in rows)
        figures[user_id] = {
            **_shared_figures("freelancer", rows, rated),
            "job_success_percent": percent(success, judged),
            "job_success_basis": judged,
            "job_success_lines": lines,
            "on_time_percent": percent(*on_time[user_id]),
            "on_time_basis": on_time[user_id][1],
            "clients": len(clients),
            "repeat_clients": sum(1 for n in clients.values() if n > 1),
            "earned_band": earned_band(earned),
            "tests_done": len(tests),
            "tests_continued": sum(1 for r in tests if r["continued"]),
        }
    return figures


def _relationships(rows: list[dict], *, now) -> tuple[int, int, float | None]:
    """(freelancers hired, hired more than once, average days from the first contract's start to
    the last one's end — today while one is active)."""
    spans: dict[int, list] = {}
    for row in rows:
        end = row["ended_at"] or now
        first, last, n = spans.get(row["freelancer_id"], (row["started_at"], end, 0))
        spans[row["freelancer_id"]] = (min(first, row["started_at"]), max(last, end), n + 1)
    days = [(last - first).total_seconds() / 86400 for first, last, _ in spans.values()]
    average = round(sum(days) / len(days), 1) if days else None
    return len(spans), sum(1 for *_, n in spans.values() if n > 1), average


def replaced_mid_project(rows: list[dict], client_id: int) -> list[int]:
    """Contracts the client ended early and then, within REPLACED_WITHIN_DAYS, gave the same work
    (the same project, or a contract of the same title) to someone else."""
    replaced = []
    for ended in rows:
        if ended["end_reason"] != Contract.EndReason.CANCELLED or ended["ended_by"] != client_id:
            continue
        window_end = ended["ended_at"] + timedelta(days=REPLACED_WITHIN_DAYS)
        for later in rows:
            same_work = (
                ended["offer__proposal__project_id"] is not None
                and later["offer__proposal__project_id"] == ended["offer__proposal__project_id"]
            ) or later["title"].strip().lower() == ended["title"].strip().lower()
            if (
                later["freelancer_id"] != ended["freelancer_id"]
                and ended["ended_at"] <= later["started_at"] <= window_end
                and same_work
            ):
                replaced.append(ended["pk"])
                break
    return replaced


def client_figures(user_ids: list[int], *, now=None) -> dict[int, dict]:
    """Each client's record beyond the trust panel's (marketplace.selectors.ClientTrust), in six
    queries for any number of clients."""
    now = now or timezone.now()
    ratings = _ratings(user_ids, Review.Direction.OF_CLIENT)
    lost = _lost_disputes(Q(contract__client_id__in=user_ids), "client")
    contracts = defaultdict(list)
    for row in _contracts(Q(client_id__in=user_ids)):
        contracts[row["client_id"]].append(row)
    released = {pk: [0, 0] for pk in user_ids}  # [released with no dispute, released or refunded]
    settled = Milestone.objects.filter(
        contract__client_id__in=user_ids, status__in=(Milestone.Status.RELEASED, Milestone.Status.REFUNDED)
    ).annotate(disputed=Exists(Dispute.objects.filter(milestone=OuterRef("pk"))))
    for row in settled.values("contract__client_id", "status", "disputed"):
        tally = released[row["contract__client_id"]]
        tally[1] += 1
        tally[0] += row["status"] == Milestone.Status.RELEASED and not row["disputed"]
    # A proposal is answered when the client shortlists, declines, offers or proposes an interview.
    answered = {pk: [0, 0] for pk in user_ids}  # [within ANSWER_DAYS, basis]
    proposals = (
        Proposal.objects.filter(project__client_id__in=user_ids)
        .annotate(
            first_move=Min("events__at", filter=Q(events__actor_id=F("project__client_id"))),
            first_interview=Subquery(
                Interview.objects.filter(proposal=OuterRef("pk")).order_by("created_at").values("created_at")[:1]
            ),
        )
        .values("project__client_id", "created_at", "status", "first_move", "first_interview")
    )
    for row in proposals:
        moves = [at for at in (row["first_move"], row["first_interview"]) if at is not None]
        first = min(moves) if moves else None
        deadline = row["created_at"] + timedelta(days=ANSWER_DAYS)
        in_time = first is not None and first <= deadline
        if not in_time and (now < deadline or row["status"] == Proposal.Status.WITHDRAWN):
            continue  # still within its 3 days, or withdrawn before it could be judged
        tally = answered[row["project__client_id"]]
        tally[1] += 1
        tally[0] += in_time
    figures = {}
    for user_id in user_ids:
        rows = contracts[user_id]
        rated = ratings[user_id]
        hired, repeat, average_days = _relationships(rows, now=now)
        ended_early = [r for r in rows if r["end_reason"] == Contract.EndReason.CANCELLED and r["ended_by"] == user_id]
        figures[user_id] = {
            **_shared_figures("client", rows, rated),
            "released_without_dispute_percent": percent(*released[user_id]),
            "released_basis": released[user_id][1],
            "disputes_lost": sum(lost.get(r["pk"], 0) for r in rows),
            "freelancers_hired": hired,
            "repeat_hires": repeat,
            "relationship_days": average_days,
            "answered_percent": percent(*answered[user_id]),
            "answered_basis": answered[user_id][1],
            "ended_early": len(ended_early),
            "replaced_after_ending": len(replaced_mid_project(rows, user_id)),
        }
    return figures
