"""The authorization matrix: every route of the URLconf that takes an object id, how to make an
object for it (with its parties), and what each kind of visitor may get.

`id_routes()` walks the URLconf; `ROUTES` is the table. tests/security/test_authorization_matrix.py
fails when the two disagree, so a new route that takes an id cannot land without a row here.

Adding a row: pick a builder below (or write one that returns a `Made`), and write
`"name": Row(builder)`; API rows are keyed `api:<router name>`. Only add `public=` with the reason
a stranger may see the object, and `forbidden=` with the party roles that must be refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.reports import report_create
from accounts.tokens import api_token_issue
from contracts.models import Milestone, SubmissionFile
from contracts.services import dispute_open, milestone_removal_propose, milestone_submit
from marketplace.models import ProjectAttachment, ProposalAttachment
from marketplace.services import project_create
from messaging.models import MessageAttachment
from messaging.services import conversation_for_topic, message_send
from notifications.services import notify
from payments.models import Payment
from tests.contracts.factories import (
    active_contract,
    funded_milestone,
    hire_offer,
    milestone_in,
    milestone_of,
    refund_request_on,
)
from tests.factories import PortfolioItemFactory
from tests.marketplace.factories import (
    DEFAULT_SKILLS,
    InterviewFactory,
    InvitationFactory,
    draft_project,
    new_client,
    new_freelancer,
    open_project,
    project_data,
    skills_named,
    submit_proposal,
)

API_PREFIX = "api/v1/"
# URL groups that are not object ids: a DRF format suffix.
NOT_ID_GROUPS = {"format"}
# Routes whose groups are not object ids, with why.
NOT_OBJECT_ROUTES = {
    "account_confirm_email": "an emailed one-time key, checked by allauth",
    "account_reset_password_from_key": "an emailed one-time key, checked by allauth",
    "media": "a file path under MEDIA_ROOT, served only in development (SERVE_MEDIA); private files "
    "go through the download routes in this table",
}
# The admin: every route is a staff area, tested as one (test_the_admin_refuses_…).
STAFF_NAMESPACES = ("admin",)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name: str = "brief.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _walk(resolver, prefix="", namespace=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            yield from _walk(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace, pattern


def route_groups(route: str) -> set[str]:
    named = set(re.findall(r"\(\?P<(\w+)>", route)) | set(re.findall(r"<(?:\w+:)?(\w+)>", route))
    return named - NOT_ID_GROUPS


def id_routes() -> dict[str, tuple[str, URLPattern]]:
    """Every route that takes an object id: key → (its route, its pattern); `api:` keys for the API."""
    found = {}
    for route, namespace, pattern in _walk(get_resolver()):
        if not route_groups(route) or namespace in STAFF_NAMESPACES or pattern.name in NOT_OBJECT_ROUTES:
            continue
        key = f"api:{pattern.name}" if route.startswith(API_PREFIX) else pattern.name
        found.setdefault(key, (route, pattern))
    return found


def staff_routes() -> dict[str, set[str]]:
    """The admin's named routes that take an object id: `admin:<name>` → its groups."""
    return {
        f"{namespace}:{pattern.name}": route_groups(route)
        for route, namespace, pattern in _walk(get_resolver())
        if namespace in STAFF_NAMESPACES and pattern.name and route_groups(route) - {"app_label"}
    }


# --- What a row's builder makes -------------------------------------------------------------------


@dataclass
class Made:
    """An object's URL arguments and its parties by role ("client", "freelancer", "owner")."""

    kwargs: dict[str, int]
    parties: dict[str, object]


def a_draft_project(key="pk") -> Callable[[], Made]:
    def build():
        project = draft_project()
        return Made({key: project.pk}, {"client": project.client})

    return build


def a_project_attachment():
    client = new_client()
    project = project_create(
        client=client, data=project_data(), skills=skills_named(*DEFAULT_SKILLS), attachments=[pdf()]
    )
    attachment = ProjectAttachment.objects.get(project=project)
    return Made({"pk": project.pk, "attachment_pk": attachment.pk}, {"client": project.client})


def a_proposal():
    proposal = submit_proposal(project=open_project())
    return Made({"pk": proposal.pk}, {"client": proposal.project.client, "freelancer": proposal.freelancer})


def a_proposal_attachment():
    proposal = submit_proposal(project=open_project(), attachments=[pdf()])
    attachment = ProposalAttachment.objects.get(proposal=proposal)
    return Made(
        {"pk": proposal.pk, "attachment_pk": attachment.pk},
        {"client": proposal.project.client, "freelancer": proposal.freelancer},
    )


def an_interview():
    interview = InterviewFactory()
    proposal = interview.proposal
    return Made({"pk": interview.pk}, {"client": proposal.project.client, "freelancer": proposal.freelancer})


def an_invitation():
    invitation = InvitationFactory()
    return Made({"pk": invitation.pk}, {"client": invitation.project.client, "freelancer": invitation.freelancer})


def an_offer():
    offer = hire_offer()
    return Made({"pk": offer.pk}, {"client": offer.client, "freelancer": offer.freelancer})


def a_contract():
    contract = active_contract()
    return Made({"pk": contract.pk}, {"client": contract.client, "freelancer": contract.freelancer})


def a_funded_milestone():
    milestone = funded_milestone()
    contract = milestone.contract
    return Made({"pk": milestone.pk}, {"client": contract.client, "freelancer": contract.freelancer})


def a_delivered_file(key="pk", milestone_key=None):
    def build():
        milestone = funded_milestone()
        contract = milestone.contract
        milestone_submit(milestone=milestone, by=contract.freelancer, message="Here it is.", files=[pdf("work.pdf")])
        file = SubmissionFile.objects.get(submission__milestone=milestone)
        kwargs = {key: file.pk} | ({milestone_key: milestone.pk} if milestone_key else {})
        return Made(kwargs, {"client": contract.client, "freelancer": contract.freelancer})

    return build


def a_dispute(with_file: bool = False, key: str = "pk"):
    """An open dispute the freelancer opened on delivered work (with an evidence file)."""

    def build():
        milestone = milestone_in(Milestone.Status.SUBMITTED)
        contract = milestone.contract
        dispute = dispute_open(
            milestone=milestone,
            by=contract.freelancer,
            reason="not_approved",
            description="No answer since delivery.",
            asked_cents=milestone.amount_cents,
            files=[pdf("timesheet.pdf")] if with_file else (),
        )
        kwargs = {key: dispute.pk}
        if with_file:
            kwargs["file_pk"] = dispute.evidence.get().pk
        return Made(kwargs, {"client": contract.client, "freelancer": contract.freelancer})

    return build


def a_dispute_with_delivered_file():
    milestone = funded_milestone()
    contract = milestone.contract
    milestone_submit(milestone=milestone, by=contract.freelancer, message="Here it is.", files=[pdf("work.pdf")])
    dispute = dispute_open(
        milestone=milestone, by=contract.client, reason="quality", description="Broken.", asked_cents=0
    )
    file = SubmissionFile.objects.get(submission__milestone=milestone)
    return Made({"pk": dispute.pk, "file_pk": file.pk}, {"client": contract.client, "freelancer": contract.freelancer})


def a_report():
    project = open_project()
    reporter = new_freelancer()
    report = report_create(reporter=reporter, target=f"project:{project.pk}", reason="spam")
    return Made({"pk": report.pk}, {"owner": reporter})


def an_ended_contract(key: str = "pk"):
    def build():
        from contracts.services import contract_end
        from tests.contracts.factories import move_to

        contract = active_contract(amounts=(400_00,))
        move_to(milestone_of(contract), Milestone.Status.RELEASED)
        contract_end(contract=contract, by=contract.client)
        return Made({key: contract.pk}, {"client": contract.client, "freelancer": contract.freelancer})

    return build


def a_working_relationship():
    """The client's page of their history with a freelancer they hired (the URL names the other person)."""
    contract = active_contract()
    return Made({"pk": contract.freelancer_id}, {"client": contract.client})


def a_published_review():
    from reviews.services import review_submit

    made = an_ended_contract()()
    client, freelancer = made.parties["client"], made.parties["freelancer"]
    contract_pk = made.kwargs["pk"]
    from contracts.models import Contract

    contract = Contract.objects.get(pk=contract_pk)
    review = review_submit(
        contract=contract,
        by=client,
        overall=5,
        aspects={"quality": 5, "communication": 5, "timeliness": 5, "expertise": 5},
        comment="Great.",
    )
    review_submit(
        contract=contract,
        by=freelancer,
        overall=5,
        aspects={"clarity": 5, "communication": 5, "payment": 5},
        comment="Paid.",
    )
    return Made({"pk": review.pk}, {"client": client, "freelancer": freelancer})


def a_submitted_milestone():
    milestone = milestone_in(Milestone.Status.SUBMITTED)
    contract = milestone.contract
    return Made({"pk": milestone.pk}, {"client": contract.client, "freelancer": contract.freelancer})


def a_payment():
    """A paid card payment: its receipt is the payer's alone (the freelancer of the contract is
    refused too, in tests/payments/test_billing.py)."""
    milestone = funded_milestone()
    contract = milestone.contract
    payment = Payment.objects.get(reference=milestone.ledger_reference, status=Payment.Status.SUCCEEDED)
    return Made({"pk": payment.pk}, {"client": contract.client, "freelancer": contract.freelancer})


def a_milestone_edit():
    contract = active_contract()
    edit = milestone_removal_propose(milestone=milestone_of(contract, 2), by=contract.client)
    return Made({"pk": edit.pk}, {"client": contract.client, "freelancer": contract.freelancer})


def a_refund_request():
    milestone = funded_milestone()
    request = refund_request_on(milestone)
    contract = milestone.contract
    return Made({"pk": request.pk}, {"client": contract.client, "freelancer": contract.freelancer})


def a_conversation(key="pk", with_attachment=False):
    def build():
        client, freelancer = new_client(), new_freelancer()
        conversation = conversation_for_topic(
            topic_type="proposal", topic_id=10**9, title="About the booking page", participants=[client, freelancer]
        )
        message_send(
            conversation=conversation, sender=client, body="Hello", files=[pdf("spec.pdf")] if with_attachment else ()
        )
        kwargs = {key: conversation.pk}
        if with_attachment:
            kwargs["attachment_pk"] = MessageAttachment.objects.get(message__conversation=conversation).pk
        return Made(kwargs, {"client": client, "freelancer": freelancer})

    return build


def a_message_attachment():
    made = a_conversation(with_attachment=True)()
    return Made({"pk": made.kwargs["attachment_pk"]}, made.parties)


def a_notification():
    user = new_freelancer()
    note = notify(recipient=user, kind="account.welcome", title="Welcome", url="/dashboard/")
    return Made({"pk": note.pk}, {"owner": user})


def an_api_token():
    user = new_freelancer()
    token, _key = api_token_issue(user=user, name="a script")
    return Made({"pk": token.pk}, {"owner": user})


def a_skill_category():
    category = skills_named("Django")[0].category
    return Made({"pk": category.pk}, {})


def a_skill():
    return Made({"pk": skills_named("Django")[0].pk}, {})


def a_portfolio_item():
    item = PortfolioItemFactory()
    return Made({"pk": item.pk}, {"owner": item.profile.user})


def a_freelancer(key="pk"):
    def build():
        user = new_freelancer()
        return Made({key: user.pk}, {"owner": user})

    return build


def a_client():
    user = new_client()
    return Made({"pk": user.pk}, {"owner": user})


def a_member():
    user = new_freelancer()
    return Made({"pk": user.pk}, {})


# --- The table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """`public`: why anyone may read it (a GET by anyone may answer 200, or 404 while the object is
    not public); `members`: why any signed-in member may use it (anonymous visitors still sign in
    first); `forbidden`: the party roles whose POST (with `data`, sent as `api_format` on the API)
    must be refused, moving nothing; `staff`: a moderation page (moderators only, anyone else 404)."""

    build: Callable[[], Made]
    public: str = ""
    members: str = ""
    forbidden: tuple[str, ...] = ()
    staff: bool = False
    data: dict = field(default_factory=dict)
    api_format: str = "json"


PUBLIC_PROJECT = "a published project page is public to anyone; a draft is a 404 to all but its client"
PUBLIC_PROFILE = "a freelancer's or client's public profile is public by design"
PUBLIC_ATTACHMENT = "a published, non-confidential project's brief files are as public as its page"
PUBLIC_CATALOGUE = "the categories and skills a project can be posted with are the same for everyone"
ANY_CLIENT_INVITES = "any client may invite any freelancer from their public profile, to the client's own project"

ROUTES: dict[str, Row] = {
    # Site pages (HTML)
    "notification_open": Row(a_notification),
    "api_token_revoke": Row(an_api_token),
    "conversation_detail": Row(a_conversation()),
    "message_attachment": Row(a_message_attachment),
    "project_detail": Row(a_draft_project(), public=PUBLIC_PROJECT),
    "project_edit": Row(a_draft_project()),
    "project_publish": Row(a_draft_project()),
    "project_close": Row(a_draft_project()),
    "project_nda_accept": Row(a_draft_project()),
    "project_attachment": Row(a_project_attachment, public=PUBLIC_ATTACHMENT),
    "project_invite": Row(a_draft_project()),
    "freelancer_invite": Row(a_freelancer("freelancer_pk"), members=ANY_CLIENT_INVITES),
    "invitation_accept": Row(an_invitation, forbidden=("client",)),
    "invitation_decline": Row(an_invitation, forbidden=("client",)),
    "proposal_create": Row(a_draft_project("project_id")),
    "project_proposals": Row(a_draft_project("project_id")),
    "proposal_detail": Row(a_proposal),
    "proposal_edit": Row(a_proposal, forbidden=("client",)),
    "proposal_shortlist": Row(a_proposal, forbidden=("freelancer",)),
    "proposal_decline": Row(a_proposal, forbidden=("freelancer",)),
    "proposal_hire": Row(a_proposal, forbidden=("freelancer",)),
    "proposal_withdraw": Row(a_proposal, forbidden=("client",)),
    "proposal_attachment": Row(a_proposal_attachment),
    "interview_create": Row(a_proposal, forbidden=("freelancer",)),
    "interview_detail": Row(an_interview),
    "interview_pick": Row(an_interview, forbidden=("client",)),
    "interview_offer_times": Row(an_interview),
    "interview_cancel": Row(an_interview),
    "interview_ics": Row(an_interview),
    "offer_detail": Row(an_offer),
    "offer_accept": Row(an_offer, forbidden=("client",)),
    "offer_decline": Row(an_offer, forbidden=("client",)),
    "offer_withdraw": Row(an_offer, forbidden=("freelancer",)),
    "offer_revise": Row(an_offer, forbidden=("freelancer",)),
    "contract_detail": Row(a_contract),
    "contract_end": Row(a_contract),
    "contract_milestone_add": Row(a_contract),
    "contract_continue": Row(a_contract, forbidden=("freelancer",)),
    "milestone_fund": Row(a_funded_milestone, forbidden=("freelancer",)),
    "milestone_submit": Row(a_funded_milestone, forbidden=("client",)),
    "milestone_request_changes": Row(a_funded_milestone, forbidden=("freelancer",)),
    "milestone_approve": Row(a_funded_milestone, forbidden=("freelancer",)),
    "milestone_release_partial": Row(a_funded_milestone, forbidden=("freelancer",), data={"amount": "50.00"}),
    "milestone_refund_request": Row(a_funded_milestone, forbidden=("freelancer",), data={"amount": "50.00"}),
    "milestone_refund_offer": Row(a_funded_milestone, forbidden=("client",), data={"amount": "50.00"}),
    "milestone_cancel": Row(a_funded_milestone),
    "milestone_edit_propose": Row(a_funded_milestone),
    "milestone_removal_propose": Row(a_funded_milestone),
    "milestone_edit_accept": Row(a_milestone_edit, forbidden=("client",)),
    "milestone_edit_decline": Row(a_milestone_edit, forbidden=("client",)),
    "milestone_edit_withdraw": Row(a_milestone_edit, forbidden=("freelancer",)),
    "refund_request_accept": Row(a_refund_request, forbidden=("client",)),
    "refund_request_decline": Row(a_refund_request, forbidden=("client",)),
    "submission_file": Row(a_delivered_file()),
    "billing_receipt": Row(a_payment),
    "dispute_open": Row(a_submitted_milestone),
    "review_write": Row(an_ended_contract()),
    "review_reply": Row(
        a_published_review, members="any member reaches a published review; only its subject's reply is taken"
    ),
    "dispute_detail": Row(a_dispute()),
    "dispute_file": Row(a_dispute(with_file=True)),
    "dispute_moderate": Row(a_dispute(), staff=True),
    "moderation_report": Row(a_report, staff=True),
    "moderation_view_contract": Row(a_contract, staff=True),
    "moderation_view_offer": Row(an_offer, staff=True),
    "moderation_view_project": Row(a_draft_project(), staff=True),
    "moderation_view_conversation": Row(a_conversation(), staff=True),
    "api:report-detail": Row(a_report),
    "dispute_submission_file": Row(a_dispute_with_delivered_file, staff=True),
    "moderation_member": Row(a_member, staff=True),
    "portfolio_item_edit": Row(a_portfolio_item),
    "portfolio_item_delete": Row(a_portfolio_item),
    "freelancer_public": Row(a_freelancer(), public=PUBLIC_PROFILE),
    "client_public": Row(a_client, public=PUBLIC_PROFILE),
    # The API (/api/v1/)
    "api:notification-detail": Row(a_notification),
    "api:notification-read": Row(a_notification),
    "api:conversation-detail": Row(a_conversation()),
    "api:conversation-attachment": Row(a_conversation(with_attachment=True)),
    "api:conversation-read": Row(a_conversation()),
    "api:conversation-message-list": Row(a_conversation("conversation_pk")),
    "api:project-detail": Row(a_draft_project(), public=PUBLIC_PROJECT),
    "api:project-attachment": Row(a_project_attachment, public=PUBLIC_ATTACHMENT),
    "api:project-attachments": Row(a_draft_project()),
    "api:project-close": Row(a_draft_project()),
    "api:project-nda": Row(a_draft_project()),
    "api:project-publish": Row(a_draft_project()),
    "api:project-proposal-list": Row(a_draft_project("project_pk")),
    "api:proposal-detail": Row(a_proposal),
    "api:proposal-attachment": Row(a_proposal_attachment),
    "api:proposal-attachments": Row(a_proposal, forbidden=("client",), data={"files": [pdf]}, api_format="multipart"),
    "api:proposal-decline": Row(a_proposal, forbidden=("freelancer",)),
    "api:proposal-hire": Row(a_proposal, forbidden=("freelancer",)),
    "api:proposal-shortlist": Row(a_proposal, forbidden=("freelancer",)),
    "api:proposal-withdraw": Row(a_proposal, forbidden=("client",)),
    "api:invitation-accept": Row(an_invitation, forbidden=("client",)),
    "api:invitation-decline": Row(an_invitation, forbidden=("client",)),
    "api:interview-detail": Row(an_interview),
    "api:interview-cancel": Row(an_interview),
    "api:interview-offer-times": Row(an_interview),
    "api:interview-pick": Row(an_interview, forbidden=("client",)),
    "api:offer-detail": Row(an_offer),
    "api:offer-accept": Row(an_offer, forbidden=("client",)),
    "api:offer-decline": Row(an_offer, forbidden=("client",)),
    "api:offer-revise": Row(an_offer, forbidden=("freelancer",)),
    "api:offer-withdraw": Row(an_offer, forbidden=("freelancer",)),
    "api:contract-detail": Row(a_contract),
    "api:contract-milestones": Row(a_contract),
    "api:contract-end": Row(a_contract),
    "api:contract-continue": Row(a_contract, forbidden=("freelancer",)),
    "api:category-detail": Row(a_skill_category, public=PUBLIC_CATALOGUE),
    "api:skill-detail": Row(a_skill, public=PUBLIC_CATALOGUE),
    "api:milestone-detail": Row(a_funded_milestone),
    "api:milestone-approve": Row(a_funded_milestone, forbidden=("freelancer",)),
    "api:milestone-cancel": Row(a_funded_milestone),
    "api:milestone-edit": Row(a_funded_milestone),
    "api:milestone-file": Row(a_delivered_file("file_pk", milestone_key="pk")),
    "api:milestone-fund": Row(a_funded_milestone, forbidden=("freelancer",)),
    "api:milestone-dispute": Row(a_submitted_milestone),
    "api:contract-review-list": Row(an_ended_contract("contract_pk")),
    "relationship": Row(a_working_relationship),
    "api:review-detail": Row(a_published_review, public="a published review is public by design"),
    "api:review-reply": Row(
        a_published_review,
        members="any member reaches a published review; only its subject's reply is taken",
        forbidden=("client",),
        data={"body": "Thanks."},
    ),
    "api:review-report": Row(
        a_published_review,
        members="any member may report a published review to the moderators; its author may not",
        forbidden=("client",),
        data={"reason": "misleading"},
    ),
    "api:user-review-list": Row(a_freelancer("user_pk"), public="a person's published reviews are public by design"),
    "api:user-reputation-list": Row(
        a_freelancer("user_pk"), public="reputation figures are public by design, as on profiles"
    ),
    "api:dispute-detail": Row(a_dispute()),
    "api:dispute-respond": Row(a_dispute(), forbidden=("freelancer",), data={"response": "Me too.", "asked_cents": 0}),
    "api:dispute-propose": Row(a_dispute()),
    "api:dispute-accept-proposal": Row(a_dispute()),
    "api:dispute-decline-proposal": Row(a_dispute()),
    "api:dispute-withdraw": Row(a_dispute(), forbidden=("client",)),
    "api:dispute-decide": Row(
        a_dispute(), forbidden=("client", "freelancer"), data={"freelancer_cents": 0, "rationale": "Mine."}
    ),
    "api:dispute-evidence": Row(a_dispute()),
    "api:dispute-evidence-file": Row(a_dispute(with_file=True)),
    "api:milestone-propose-removal": Row(a_funded_milestone),
    "api:milestone-refund-accept": Row(a_funded_milestone, forbidden=("client",)),
    "api:milestone-refund-decline": Row(a_funded_milestone, forbidden=("client",)),
    "api:milestone-refund-offer": Row(a_funded_milestone, forbidden=("client",), data={"amount_cents": 5000}),
    "api:milestone-refund-request": Row(a_funded_milestone, forbidden=("freelancer",), data={"amount_cents": 5000}),
    "api:milestone-release-partial": Row(a_funded_milestone, forbidden=("freelancer",), data={"amount_cents": 5000}),
    "api:milestone-request-changes": Row(a_funded_milestone, forbidden=("freelancer",), data={"reason": "More."}),
    "api:milestone-submit": Row(a_funded_milestone, forbidden=("client",), data={"message": "Done."}),
    "api:milestone-edit-detail": Row(a_milestone_edit),
    "api:milestone-edit-accept": Row(a_milestone_edit, forbidden=("client",)),
    "api:milestone-edit-decline": Row(a_milestone_edit, forbidden=("client",)),
    "api:milestone-edit-withdraw": Row(a_milestone_edit, forbidden=("freelancer",)),
}
