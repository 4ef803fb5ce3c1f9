"""Post/redirect/get for forms that fail: what was typed and the errors wait in the session for the
page the form belongs to, which shows them once, on a GET. So a refresh reloads the page and never
posts the form again, and the address bar keeps the page's own address.

Uploaded files cannot wait in a session: the page is told they were dropped (`files_dropped`) and
asks for them again. Fields named in `exclude` (a card number) are not kept either."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponseRedirect
from django.utils.datastructures import MultiValueDict

SESSION_KEY = "failed_form"
NOT_KEPT = {"csrfmiddlewaretoken"}


@dataclass
class FailedForm:
    name: str
    data: dict[str, list[str]]
    errors: dict[str, list[str]]
    files_dropped: bool

    def bind(self, form_class, **kwargs):
        """The form again, bound to what was typed, with the errors it failed with."""
        form = form_class(MultiValueDict(self.data), **kwargs)
        form.is_valid()  # sets cleaned_data, which add_error updates
        form.errors.clear()
        for field, texts in self.errors.items():
            form.add_error(field if field in form.fields or field == NON_FIELD_ERRORS else None, texts)
        form.files_dropped = self.files_dropped
        return form


def see_other(url: str) -> HttpResponseRedirect:
    """A redirect that a browser follows with a GET, whatever the method of the request."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def keep_failed_form(request, form, *, page: str, name: str, exclude: tuple[str, ...] = (), anchor: str = ""):
    """Keep `form`'s input and errors for `page` (a path) and answer a redirect to it."""
    skipped = NOT_KEPT | {form.add_prefix(field) for field in exclude}
    request.session[SESSION_KEY] = {
        "page": page,
        "name": name,
        "data": {key: request.POST.getlist(key) for key in request.POST if key not in skipped},
        "errors": {field: [str(text) for text in texts] for field, texts in form.errors.items()},
        "files_dropped": bool(request.FILES),
    }
    return see_other(page + anchor)


def take_failed_form(request) -> FailedForm | None:
    """The form that failed on this page (its address), once: a later visit shows a fresh form."""
    stored = request.session.get(SESSION_KEY)
    if not stored or stored.get("page") != request.path:
        return None
    del request.session[SESSION_KEY]
    return FailedForm(
        name=stored["name"], data=stored["data"], errors=stored["errors"], files_dropped=stored["files_dropped"]
    )
