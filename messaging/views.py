from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from core.exceptions import DomainError
from core.files import attachment_response
from core.forms import add_service_error
from messaging import selectors, services
from messaging.forms import MessageForm
from messaging.models import Conversation
from messaging.topics import topic_links

if TYPE_CHECKING:
    from accounts.models import User


def thread_context(
    *,
    conversation: Conversation,
    user: User,
    form: MessageForm | None = None,
    return_to: str = "",
    last: int | None = None,
) -> dict:
    """What templates/messaging/_thread.html needs; shared with the conversation_panel tag."""
    return {
        "conversation": conversation,
        "message_list": selectors.messages_with_receipts(conversation, user, last=last),
        "form": form or MessageForm(conversation_id=conversation.pk),
        "return_to": return_to,
    }


def _safe_return_to(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@login_required
@require_safe
def conversation_list(request):
    page = Paginator(selectors.inbox_for_user(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "messaging/inbox.html", {"page": page})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def conversation_detail(request, pk: int):
    user = request.user
    conversation = get_object_or_404(selectors.conversations_for_user(user), pk=pk)
    return_to = _safe_return_to(request) if request.method == "POST" else ""
    form = None
    if request.method == "POST":
        form = MessageForm(request.POST, request.FILES, conversation_id=conversation.pk)
        if form.is_valid():
            try:
                message = services.message_send(
                    conversation=conversation,
                    sender=user,
                    body=form.cleaned_data["body"],
                    files=form.cleaned_data["files"],
                )
            except DomainError as error:
                add_service_error(form, error)
            else:
                if not request.htmx:
                    target = return_to.split("#", 1)[0] or conversation.get_absolute_url()
                    return redirect(f"{target}#message-{message.pk}")
                form = None  # a fresh, empty form under the new message
        if request.htmx:
            # 200 even with errors: htmx only swaps successful responses, and the errors must show.
            context = thread_context(conversation=conversation, user=user, form=form, return_to=return_to)
            return render(request, "messaging/_thread.html", context)
    else:
        services.conversation_mark_read(conversation=conversation, user=user)
    context = thread_context(conversation=conversation, user=user, form=form, return_to=return_to)
    context.update(topics=topic_links(conversation), others=selectors.other_members(conversation, user))
    return render(request, "messaging/conversation.html", context)


@login_required
@require_safe
def message_attachment(request, pk: int):
    attachment = get_object_or_404(selectors.attachments_for_user(request.user), pk=pk)
    return attachment_response(attachment)
