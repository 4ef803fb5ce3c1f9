"""The words of the benchmark's market (seed_scale): what its searches find, and how often."""

from __future__ import annotations

import random

# Words every description draws from. COMMON_WORD sits in about two-thirds of all projects, the
# RARE_WORDS in a handful each, PHRASE in about one in a hundred: the searches the benchmark runs.
COMMON_WORD = "workflow"
RARE_WORDS = ["heliograph", "marquetry", "sextant", "tessellation", "vermiculture", "zither", "lapidary", "gamelan"]
PHRASE = "payment reconciliation"
THREE_WORDS = "django postgres migration"
SENTENCES = """
We need someone who can start this week and send a short written update every day.
The current system was built five years ago and nobody on the team knows it well any more.
You will work with our product lead and one engineer, mostly async, with a weekly call.
Tests are required for everything you change, and the code must pass our linters.
Our customers are small businesses across Europe, most of them on a phone.
Please include a link to similar work you have done and how long it took.
The budget is fixed, but there is more work after this if it goes well.
We use GitHub for code review and Linear for tasks; you will get access to both.
Documentation matters to us: leave a short README explaining what you did and why.
The deadline is firm because of a launch with a partner at the end of the month.
We care about accessibility and performance as much as about how things look.
There is an existing design system; new screens should follow it closely.
Data must stay in the EU, and nothing may be copied to a personal machine.
We will pay the first milestone as soon as the first deliverable is approved.
Our stack is Python on the back end and a small amount of TypeScript on the front.
Expect a short paid test first so both sides can see how we work together.
A previous freelancer started this and left; their notes are in the repository.
Communication in English is required; overlap of two hours with UTC is enough.
""".strip().splitlines()
COMMON_SENTENCE = f"Our {COMMON_WORD} today is manual and slow, and we want it automated end to end."
PHRASE_SENTENCE = f"The core of the job is {PHRASE} between our bank exports and the invoices we send."
THREE_SENTENCE = "We run Django on Postgres and need a careful migration of two large tables without downtime."
TITLE_VERBS = ["Build", "Fix", "Redesign", "Automate", "Migrate", "Audit", "Speed up", "Document", "Test", "Launch"]
TITLE_OBJECTS = """
our booking app
the checkout flow
a reporting dashboard
the customer portal
our Shopify store
the invoicing service
a data pipeline
our marketing site
the mobile onboarding
an internal admin tool
the search page
our API
""".strip().splitlines()
TITLE_TAILS = ["", " for a clinic", " for a small shop", " before launch", " in two weeks", " with tests", " (urgent)"]


def description(rng: random.Random) -> str:
    """About 1.5 KB of brief: the size whose full-text search the benchmark measures."""
    sentences = rng.sample(SENTENCES, 11)
    if rng.random() < 0.67:
        sentences.insert(rng.randrange(len(sentences)), COMMON_SENTENCE)
    if rng.random() < 0.01:
        sentences.insert(rng.randrange(len(sentences)), PHRASE_SENTENCE)
    if rng.random() < 0.01:
        sentences.insert(rng.randrange(len(sentences)), THREE_SENTENCE)
    if rng.random() < 40 / 100_000:
        sentences.append(f"Bonus points for anyone who knows about {rng.choice(RARE_WORDS)}.")
    return " ".join(sentences)
