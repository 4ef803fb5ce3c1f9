"""The search box's syntax read the way PostgreSQL's websearch_to_tsquery reads it, for the
databases without full-text search (SQLite, the `make run` default):

- words separated by spaces must all appear;
- "a quoted phrase" must appear as those words in that order;
- -word or -"a phrase" must not appear (a word with its endings, not as a prefix);
- `or` between two terms accepts either.

Words match at a word boundary, as PostgreSQL's tokens do ("marina" is found in "per-marina",
"art" is not found in "start"); words of PREFIX_MIN_LENGTH letters or more also match longer words
("postgres" finds PostgreSQL), and a light English stemming drops a plural or verb ending first
("reminders" finds "reminder"), as the english configuration does on PostgreSQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q

PREFIX_MIN_LENGTH = 4
MAX_TERMS = 8


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase's words in order
    negated: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def parse(query: str) -> list[list[Term]]:
    """The query as AND of OR-groups of terms: `a or b -c "d e"` → [[a, b], [-c], ["d e"]]."""
    groups: list[list[Term]] = []
    join_next = False
    for match in _TOKEN.finditer(query):
        negated_phrase, phrase, bare = match.groups()
        if bare is not None and bare.lower() == "or":
            join_next = bool(groups)
            continue
        if phrase is not None:
            term = Term(tuple(re.findall(r"\w+", phrase.lower())), negated=bool(negated_phrase))
        else:
            negated = bare.startswith("-") and len(bare) > 1
            term = Term(tuple(re.findall(r"\w+", bare.lower())), negated=negated)
        if not term.words:
            continue
        if not term.is_phrase and len(term.words) > 1:  # "e-mail" or "c++/rust": its parts as a phrase
            term = Term(term.words, negated=term.negated)
        if join_next and not term.negated and not any(t.negated for t in groups[-1]):
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
        if sum(len(group) for group in groups) >= MAX_TERMS:
            break
    return groups


def stem(word: str) -> str:
    """A light English stemming: a plural or a verb ending off longer words ("reminders" →
    "reminder", "booking" → "book", "integrated" → "integrat")."""
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if len(word) - len(suffix) >= PREFIX_MIN_LENGTH and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def _pattern(term: Term) -> str:
    if term.is_phrase:
        return r"\b" + r"\W+".join(re.escape(word) for word in term.words) + r"\b"
    word = term.words[0]
    if len(word) < PREFIX_MIN_LENGTH:
        return r"\b" + re.escape(word) + r"\b"
    if term.negated:  # an exclusion is a word and its endings, never a prefix (as on PostgreSQL)
        return r"\b" + re.escape(stem(word)) + r"\w{0,3}\b"
    return r"\b" + re.escape(stem(word))  # a prefix: longer words match too


def to_q(query: str, field: str) -> tuple[Q, list[str]]:
    """A filter on `field` for the query, and the plain words it looks for (to rank title hits).
    Only negations, or nothing usable: everything that does not hold them."""
    condition, wanted = Q(), []
    for group in parse(query):
        either = Q()
        for term in group:
            matched = Q(**{f"{field}__iregex": _pattern(term)})
            either |= ~matched if term.negated else matched
            if not term.negated:
                wanted.append(_pattern(term))
        condition &= either
    return condition, wanted
