"""The demo marketplace `seed_demo` creates: two clients, three freelancers and their projects."""

CLIENTS = [
    {
        "email": "client@example.com",
        "full_name": "Maya Okafor",
        "country": "GB",
        "timezone": "Europe/London",
        "profile": {
            "company_name": "Lumen Health",
            "website": "https://lumen-health.example.com",
            "team_size": "11-50",
            "about_team": (
                "We are a 20-person team of clinicians and engineers building appointment tools for "
                "independent physiotherapy clinics. You would work with Maya (product) and Tom (lead engineer)."
            ),
            "vision": (
                "Every small clinic should have booking, reminders and payments as good as the big chains, "
                "without a sales call. We want 1,000 clinics on Lumen by the end of next year."
            ),
            "values": (
                "Written specs before work starts. Feedback within two working days. We pay on time and "
                "we say thank you. We start with a small paid test so both sides can see how we work together."
            ),
        },
    },
    {
        "email": "hello@northwind.example.com",
        "full_name": "Jonas Berg",
        "country": "SE",
        "timezone": "Europe/Stockholm",
        "profile": {
            "company_name": "Northwind Studio",
            "website": "https://northwind.example.com",
            "team_size": "2-10",
            "about_team": "A small design-led studio making e-commerce sites for Scandinavian furniture makers.",
            "vision": "Beautiful shops that load fast on a phone in a forest cabin.",
            "values": "Calm pace, clear briefs, honest estimates. Async first; one weekly call.",
        },
    },
]

FREELANCERS = [
    {
        "email": "freelancer@example.com",
        "full_name": "Priya Raman",
        "country": "IN",
        "timezone": "Asia/Kolkata",
        "profile": {
            "headline": "Django & payments engineer — Stripe, ledgers, Celery",
            "bio": (
                "Eight years of Python, six of them on Django products that move money: marketplaces, "
                "subscription billing and payouts.\n\nI write tests first, document what I build and "
                "send a short written update at the end of every working day."
            ),
            "hourly_rate_cents": 85_00,
            "availability": "part_time",
        },
        "skills": ["Python", "Django", "Django REST Framework", "Stripe Integration", "PostgreSQL", "Celery"],
        "portfolio": [
            (
                "Payouts ledger for a tutoring marketplace",
                "Double-entry ledger and weekly payouts for 4,000 tutors.",
                "https://tutorly.example.com",
                (11, 93, 75),
            ),
            ("Booking API for clinics", "REST API with 99.95% uptime over two years.", "", (26, 86, 219)),
        ],
    },
    {
        "email": "lena.design@example.com",
        "full_name": "Lena Fischer",
        "country": "DE",
        "timezone": "Europe/Berlin",
        "profile": {
            "headline": "Product designer for calm, accessible interfaces",
            "bio": "I design web apps that people can use on the first try. WCAG AA by default.",
            "hourly_rate_cents": 70_00,
            "availability": "full_time",
        },
        "skills": ["UI Design", "UX Research", "Figma", "Accessibility Audits"],
        "portfolio": [("Clinic booking redesign", "Cut no-shows by 18% with clearer reminders.", "", (164, 22, 26))],
    },
    {
        "email": "sam.ops@example.com",
        "full_name": "Sam Adeyemi",
        "country": "NG",
        "timezone": "Africa/Lagos",
        "profile": {
            "headline": "DevOps engineer — Docker, PostgreSQL, zero-downtime deploys",
            "bio": "I make deploys boring: CI/CD, observability and databases that don't wake you up.",
            "hourly_rate_cents": 60_00,
            "availability": "as_needed",
        },
        "skills": ["Docker", "Kubernetes", "PostgreSQL", "CI/CD", "AWS", "Redis"],
        "portfolio": [],
    },
]


PROJECTS = [
    {
        "client": "client@example.com",
        "skills": ["Python", "Django", "PostgreSQL"],
        "questions": [
            {"text": "Have you fixed timezone bugs in scheduling code before? Tell us how.", "required": True}
        ],
        "data": {
            "kind": "test",
            "title": "Fix the timezone bug in our appointment reminders",
            "summary": "Reminders go out an hour early for clinics after the clocks change. Find and fix it, with a test.",
            "description": (
                "Our Django app sends SMS reminders 24 hours before each appointment. Since the last daylight "
                "saving change, clinics in Europe/London get them an hour early.\n\nYou will get read access "
                "to the repository and a staging database. Celery beat schedules the reminders."
            ),
            "acceptance_criteria": (
                "1. Reminders go out 24 hours before the appointment in the clinic's local time, across DST.\n"
                "2. A regression test covers the clock change.\n3. A short note explains the cause."
            ),
            "follow_on_plan": "If this goes well, a 3-month contract to rebuild our reminder service (about $12,000).",
            "category": "web-software-development",
            "experience_level": "intermediate",
            "budget_min_cents": 350_00,
            "budget_max_cents": 350_00,
            "duration_days": 7,
            "apply_in_days": 10,
        },
        "proposals": [
            {
                "freelancer": "freelancer@example.com",
                "cover_letter": (
                    "I have fixed this exact bug twice: naive datetimes stored in UTC and converted with a fixed "
                    "offset. I'll reproduce it with a frozen-time test first, then fix it."
                ),
                "duration_days": 5,
                "milestones": [("Fix, regression test and write-up", 350_00, 6)],
                "answer": "Yes — a booking platform in 2024; the offset was cached per clinic at signup.",
                "shortlist": True,
                "interview": True,
                "messages": [
                    ("client", "Thanks Priya! Could you start on Monday?"),
                    ("freelancer", "Yes, Monday works. I'll need read access to the repository."),
                ],
            }
        ],
    },
    {
        "client": "client@example.com",
        "skills": ["Python", "Django", "Stripe Integration", "Payments Engineering"],
        "data": {
            "kind": "standard",
            "title": "Stripe Connect payouts for our clinic marketplace",
            "summary": "Pay out physiotherapists weekly through Stripe Connect, with a ledger we can audit.",
            "description": (
                "Clinics take payments through Lumen. We need weekly payouts to each therapist through Stripe "
                "Connect, a double-entry ledger, and a reconciliation report finance can read."
            ),
            "category": "web-software-development",
            "experience_level": "expert",
            "budget_min_cents": 4_000_00,
            "budget_max_cents": 6_000_00,
            "duration_days": 45,
            "apply_in_days": 20,
        },
        "proposals": [
            {
                "freelancer": "sam.ops@example.com",
                "cover_letter": "I can own the deployment and monitoring side and pair with your team on the ledger.",
                "duration_days": 40,
                "contract": ["fund", "submit", "approve"],
                "milestones": [
                    ("Ledger and Connect onboarding", 2_500_00, 20),
                    ("Payouts and reconciliation", 2_500_00, 40),
                ],
            }
        ],
    },
    {
        "client": "client@example.com",
        "skills": ["Accessibility Audits", "UX Research"],
        "publish": False,
        "data": {
            "kind": "test",
            "title": "Accessibility audit of our booking flow",
            "summary": "Audit the five booking screens against WCAG 2.2 AA and list fixes by priority.",
            "description": "Five screens, web only. We want a prioritised list with screenshots.",
            "acceptance_criteria": "A report covering every WCAG 2.2 AA criterion for the five screens.",
            "follow_on_plan": "If useful, we will hire you to help fix the issues.",
            "category": "quality-security",
            "experience_level": "intermediate",
            "budget_min_cents": 400_00,
            "budget_max_cents": 400_00,
            "duration_days": 5,
            "apply_in_days": 14,
        },
    },
    {
        "client": "client@example.com",
        "skills": ["PostgreSQL", "Data Engineering", "ETL Pipelines"],
        "data": {
            "kind": "standard",
            "title": "Patient-record import from a new EHR partner",
            "summary": "Import appointment history from a partner's records system into PostgreSQL, safely.",
            "description": (
                "Confidential: the partner is Northfield Health. Their export is a nightly SFTP drop of "
                "HL7 files; we need an idempotent importer with a dry-run mode."
            ),
            "category": "data-machine-learning",
            "experience_level": "expert",
            "budget_min_cents": 2_500_00,
            "budget_max_cents": 2_500_00,
            "duration_days": 30,
            "apply_in_days": 15,
            "is_confidential": True,
        },
    },
    {
        "client": "hello@northwind.example.com",
        "skills": ["Shopify", "HTML & CSS", "JavaScript"],
        "data": {
            "kind": "test",
            "title": "Make our product pages load fast on a phone",
            "summary": "Our Shopify product pages take 6 s on 4G. Get them under 2.5 s LCP.",
            "description": "Shopify theme, lots of large images and three apps injecting scripts.",
            "acceptance_criteria": "Largest Contentful Paint under 2.5 s on a mid-range phone for the top 5 products.",
            "follow_on_plan": "If it works, we redesign the whole shop together.",
            "category": "web-software-development",
            "experience_level": "intermediate",
            "budget_min_cents": 200_00,
            "budget_max_cents": 200_00,
            "duration_days": 5,
            "apply_in_days": 7,
        },
        "proposals": [
            {
                "freelancer": "freelancer@example.com",
                "cover_letter": "I'd start with a Lighthouse trace and lazy-load below-the-fold images.",
                "duration_days": 4,
                "contract": ["fund", "submit"],
                "milestones": [("Speed fixes with before/after report", 200_00, 5)],
            }
        ],
    },
    {
        "client": "hello@northwind.example.com",
        "skills": ["Shopify", "JavaScript"],
        "data": {
            "kind": "test",
            "title": "Fix the rounding of discounts in our Shopify cart",
            "summary": "Percentage discounts show one cent off in the cart drawer. Find and fix it.",
            "description": "The cart drawer is custom JavaScript; the checkout itself is right.",
            "acceptance_criteria": "Cart drawer totals match checkout for the ten discount codes we list.",
            "follow_on_plan": "If it goes well, we have a theme redesign coming.",
            "category": "web-software-development",
            "experience_level": "intermediate",
            "budget_min_cents": 150_00,
            "budget_max_cents": 150_00,
            "duration_days": 3,
            "apply_in_days": 7,
        },
        "proposals": [
            {
                "freelancer": "freelancer@example.com",
                "cover_letter": "Classic float rounding: I'd move the drawer to integer cents and add tests.",
                "duration_days": 2,
                # Completed and reviewed both ways, so profiles and trust panels show real figures.
                # Its $150 less the fee is available at once: the demo freelancer can try a payout.
                "contract": ["fund", "submit", "approve", "clear", "end", "review"],
                "milestones": [("Rounding fix with tests", 150_00, 3)],
            }
        ],
    },
    {
        "client": "hello@northwind.example.com",
        "skills": ["Shopify", "UI Design", "Figma"],
        "data": {
            "kind": "standard",
            "title": "Shopify theme redesign for a furniture maker",
            "summary": "A calm, fast theme for handmade Scandinavian furniture, designed and built.",
            "description": "Design in Figma first, then build it as a Shopify 2.0 theme. About 12 templates.",
            "category": "design-creative",
            "experience_level": "expert",
            "budget_min_cents": 3_000_00,
            "budget_max_cents": 3_000_00,
            "duration_days": 60,
            "apply_in_days": 25,
        },
        "proposals": [
            {
                "freelancer": "lena.design@example.com",
                "cover_letter": "I've designed two furniture shops; calm and fast is exactly how I work.",
                "duration_days": 50,
                "contract": ["fund"],
                "milestones": [("Figma designs", 1_200_00, 20), ("Theme build", 1_800_00, 50)],
            }
        ],
    },
]
