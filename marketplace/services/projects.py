from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Skill, User
from core import transitions
from core.exceptions import DomainError, InvalidTransition, NotAllowed
from core.files import change_files
from core.templatetags.core_tags import money as _money
from marketplace.models import (
    ConfidentialAccess,
    NdaAcceptance,
    Project,
    ProjectAttachment,
    ProjectEvent,
    Proposal,
    ScreeningQuestion,
)
from marketplace.selectors import client_trust_forget
from marketplace.services.invitations import invitations_announce_for
from marketplace.services.proposals import check_no_offer_out, project_end, proposals_close_for_project
from notifications.services import notify

PROJECT_FIELDS = (
    "kind",
    "title",
    "summary",
    "description",
    "acceptance_criteria",
    "follow_on_plan",
    "category",
    "experience_level",
    "budget_min_cents",
    "budget_max_cents",
    "duration_days",
    "apply_by",
    "visibility",
    "is_confidential",
    "nda_text",
)
MAX_QUESTIONS = 5
MAX_ATTACHMENTS = 5
MAX_SKILLS = 15


def _check_client(user: User) -> None:
    if not user.is_client:
        raise DomainError("Choose “I want to hire” in your settings before posting a project.")
    if user.is_suspended:
        raise NotAllowed("Your account is suspended, so you cannot post projects.")


def _validate(project: Project, *, skills: list[Skill], questions: list[dict], today) -> None:
    """The rules of a project that hold for drafts and published projects alike."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if project.budget_min_cents is None or project.budget_min_cents <= 0:
        add("budget_min_cents", "Enter a budget above zero.")
    elif project.budget_min_cents < settings.MILESTONE_MIN_CENTS:
        add("budget_min_cents", f"A budget is at least {_money(settings.MILESTONE_MIN_CENTS)}: nobody works for free.")
    elif project.budget_max_cents is None or project.budget_max_cents < project.budget_min_cents:
        add("budget_max_cents", "The upper end of the budget cannot be below the lower end.")
    elif project.budget_max_cents > settings.PROJECT_MAX_BUDGET_CENTS:
        add("budget_max_cents", f"Budgets above {_money(settings.PROJECT_MAX_BUDGET_CENTS)} are not accepted.")
    if not 1 <= (project.duration_days or 0) <= 365:
        add("duration_days", "Expected duration must be between 1 and 365 days.")
    if project.apply_by and project.apply_by < today:
        add("apply_by", "The deadline to apply cannot be in the past.")
    elif project.apply_by and project.apply_by > today + timedelta(days=settings.PROJECT_OPEN_DAYS):
        # Checked on drafts too, so the preview never promises a deadline publishing would refuse.
        add("apply_by", f"Projects stay open {settings.PROJECT_OPEN_DAYS} days: choose a deadline before then.")
    if project.kind == Project.Kind.TEST:
        if project.budget_max_cents and project.budget_max_cents > settings.TEST_PROJECT_MAX_CENTS:
            add(
                "budget_max_cents",
                f"A paid test project is small: at most {_money(settings.TEST_PROJECT_MAX_CENTS)}.",
            )
        if project.budget_min_cents != project.budget_max_cents:
            add("budget_max_cents", "A paid test project has one fixed price, not a range.")
        if (project.duration_days or 0) > settings.TEST_PROJECT_MAX_DAYS:
            add("duration_days", f"A paid test project takes at most {settings.TEST_PROJECT_MAX_DAYS} days.")
        if not project.acceptance_criteria.strip():
            add("acceptance_criteria", "Say what “done” means: a paid test needs acceptance criteria.")
    if project.is_confidential and not project.nda_text.strip():
        add("nda_text", "A confidential project needs the NDA text freelancers agree to.")
    if len(skills) > MAX_SKILLS:
        add("skills", f"Choose at most {MAX_SKILLS} skills.")
    if len(questions) > MAX_QUESTIONS:
        add("questions", f"Ask at most {MAX_QUESTIONS} screening questions.")
    for question in questions:
        if not question.get("text", "").strip():
            add("questions", "A screening question cannot be empty.")
            break
    if errors:
        raise ValidationError(errors)


def project_rules_check(*, kind: str, data: dict[str, Any], skills: list[Skill], questions: list[dict]) -> None:
    """The rules of a project (a paid test's caps, the deadline, the budget's range) on what a
    form could read, unsaved, so the form shows them beside its own errors in one answer; a
    field missing from `data` counts as empty. Raises one ValidationError keyed by field."""
    fields = {key: value for key, value in data.items() if key in PROJECT_FIELDS and key != "kind"}
    _validate(Project(kind=kind, **fields), skills=skills, questions=questions, today=timezone.localdate())


def _check_fields(data: dict[str, Any]) -> None:
    unknown = set(data) - set(PROJECT_FIELDS)
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")


def _search_text(project: Project, skills: list[Skill]) -> str:
    # A confidential project's full description is not searchable: search must not leak it.
    parts = [project.title, " ".join(skill.name for skill in skills), project.summary]
    if not project.is_confidential:
        parts.append(project.description)
    return "\n".join(parts)


def _validate_and_save(project: Project, *, skills: list[Skill], questions: list[dict]) -> None:
    _validate(project, skills=skills, questions=questions, today=timezone.localdate())
    project.search_text = _search_text(project, skills)
    project.full_clean(exclude=["client", "search_text"])
    project.save()


def _locked_draft(project: Project, *, by: User, action: str, refuse: str) -> Project:
    """The project, locked, once it is known its client may still change it: only drafts change."""
    project = transitions.lock(project)
    _check_draft(project, by=by, action=action, refuse=refuse)
    return project


def _check_draft(project: Project, *, by: User, action: str, refuse: str) -> None:
    if project.client_id != by.pk:
        raise NotAllowed(f"Only the client who posted this project can {action}.")
    if project.status != Project.Status.DRAFT:
        raise InvalidTransition(f"{refuse} Close this project and post a new one to change it.")


def project_edit_check(*, project: Project, by: User) -> None:
    """Refuses unless `by` may edit `project` now (its client, a draft). The API asks before it
    reads the changes, so nobody else learns anything from how their input is judged;
    project_update checks again under the lock."""
    _check_draft(project, by=by, action="edit it", refuse="Only drafts can be edited.")


def _save_related(project: Project, *, skills, questions, attachments, remove_attachment_ids=()) -> None:
    project.skills.set(skills)
    project.questions.all().delete()
    ScreeningQuestion.objects.bulk_create(
        ScreeningQuestion(project=project, position=i, text=q["text"].strip()[:300], required=q.get("required", True))
        for i, q in enumerate(questions, start=1)
    )
    if attachments or remove_attachment_ids:
        _change_files(project, add=attachments, remove_ids=remove_attachment_ids, field="attachments")


def _change_files(project: Project, *, add, remove_ids, field: str = "files") -> None:
    build = partial(ProjectAttachment.build, project=project)
    change_files(project.attachments, build, add=add, remove_ids=remove_ids, limit=MAX_ATTACHMENTS, field=field)


@transaction.atomic
def project_create(
    *,
    client: User,
    data: dict[str, Any],
    skills: list[Skill] = (),
    questions: list[dict] = (),
    attachments=(),
) -> Project:
    """A client drafts a project; a paid test is small, short and says what “done” means."""
    _check_client(client)
    _check_fields(data)
    skills, questions = list(skills), list(questions)
    project = Project(client=client, **data)
    _validate_and_save(project, skills=skills, questions=questions)
    ProjectEvent.objects.create(project=project, actor=client, from_status="", to_status=project.status, note="Drafted")
    _save_related(project, skills=skills, questions=questions, attachments=list(attachments))
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    by: User,
    data: dict[str, Any],
    skills: list[Skill] | None = None,
    questions: list[dict] | None = None,
    attachments=(),
    remove_attachment_ids=(),
) -> Project:
    """Only the client edits, and only while the project is a draft (published terms stay put)."""
    project = _locked_draft(project, by=by, action="edit it", refuse="Only drafts can be edited.")
    _check_fields(data)
    for name, value in data.items():
        setattr(project, name, value)
    skills = list(project.skills.all()) if skills is None else list(skills)
    questions = (
        [{"text": q.text, "required": q.required} for q in project.questions.all()]
        if questions is None
        else list(questions)
    )
    _validate_and_save(project, skills=skills, questions=questions)
    _save_related(
        project,
        skills=skills,
        questions=questions,
        attachments=list(attachments),
        remove_attachment_ids=remove_attachment_ids,
    )
    return project


@transaction.atomic
def project_files_change(*, project: Project, by: User, add=(), remove_ids=()) -> Project:
    """The client adds files to a draft or removes some (at most MAX_ATTACHMENTS, each checked by its bytes)."""
    project = _locked_draft(project, by=by, action="change its files", refuse="Only a draft's files can change.")
    _change_files(project, add=add, remove_ids=remove_ids)
    return project


@transaction.atomic
def project_publish(*, project: Project, by: User) -> Project:
    """The client publishes a draft; it stays open for PROJECT_OPEN_DAYS, then expires."""
    if project.client_id != by.pk:
        raise NotAllowed("Only the client who posted this project can publish it.")
    _check_client(by)
    current = transitions.lock(project)
    now = timezone.now()
    _validate(
        current,
        skills=list(current.skills.all()),
        questions=[{"text": q.text} for q in current.questions.all()],
        today=timezone.localdate(),
    )
    expires_at = now + timedelta(days=settings.PROJECT_OPEN_DAYS)
    if current.apply_by > timezone.localdate(expires_at):
        raise ValidationError(
            {"apply_by": [f"Projects stay open {settings.PROJECT_OPEN_DAYS} days: choose a deadline before then."]}
        )
    project = transitions.move(
        current,
        to=Project.Status.OPEN,
        by=by,
        event_model=ProjectEvent,
        event_field="project",
        note="Published",
        published_at=now,
        expires_at=expires_at,
    )
    invitations_announce_for(project)
    client_trust_forget(project.client_id)
    return project


@transaction.atomic
def project_close(*, project: Project, by: User) -> Project:
    """The client closes a draft or an open project; open proposals are told, nothing else changes."""
    if project.client_id != by.pk:
        raise NotAllowed("Only the client who posted this project can close it.")
    check_no_offer_out(project, then="Withdraw the offer first, then close the project.")
    project = project_end(project, reason=Project.CloseReason.CLIENT, by=by, note="Closed by the client")
    proposals_close_for_project(
        project=project,
        by=by,
        reason="The client closed this project without hiring.",
        title=f"“{project.title}” is closed",
    )
    return project


def projects_expire_due(*, now=None) -> int:
    """Open projects past their expiry close as expired, each in its own transaction; twice is a no-op."""
    now = now or timezone.now()
    expired = 0
    # A project with an offer out waits for the freelancer's answer; it expires once the offer ends.
    due = Project.objects.filter(status=Project.Status.OPEN, expires_at__lte=now).exclude(
        proposals__status=Proposal.Status.OFFERED
    )
    for project in due.only("pk"):
        try:
            with transaction.atomic():
                project = project_end(project, reason=Project.CloseReason.EXPIRED, by=None, note="Expired", at=now)
                notify(
                    recipient=project.client,
                    kind="project.closed",
                    title=f"“{project.title}” expired",
                    body=f"It was open for {settings.PROJECT_OPEN_DAYS} days. Post it again if you still need it.",
                    url=project.get_absolute_url(),
                )
                proposals_close_for_project(
                    project=project,
                    by=None,
                    reason="The project expired without a hire.",
                    title=f"“{project.title}” expired",
                )
        except InvalidTransition:
            continue  # another run closed it first
        expired += 1
    return expired


@transaction.atomic
def project_nda_accept(*, project: Project, freelancer: User, ip_address: str | None) -> NdaAcceptance:
    """A freelancer agrees to a confidential project's NDA; the text and time are kept. Twice is a no-op."""
    if not project.is_confidential:
        raise DomainError("This project has no NDA.")
    if not freelancer.is_freelancer or freelancer.pk == project.client_id:
        raise NotAllowed("Only freelancers can accept a project's NDA.")
    if freelancer.is_suspended:
        raise NotAllowed("Your account is suspended.")
    existing = NdaAcceptance.objects.filter(project=project, freelancer=freelancer).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return NdaAcceptance.objects.create(
                project=project, freelancer=freelancer, nda_text=project.nda_text, ip_address=ip_address
            )
    except IntegrityError:
        return NdaAcceptance.objects.get(project=project, freelancer=freelancer)


def confidential_access_record(
    *, project: Project, user: User, action: str, attachment: ProjectAttachment | None = None, ip_address=None
) -> None:
    """Log who read a confidential project's full text or downloaded its files (not the client)."""
    if not project.is_confidential or user.pk == project.client_id:
        return
    ConfidentialAccess.objects.create(
        project=project, user=user, action=action, attachment=attachment, ip_address=ip_address
    )
