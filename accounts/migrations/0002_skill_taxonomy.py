"""The seeded skill taxonomy. Staff can add more in the admin; this list is the starting set."""

from django.db import migrations
from django.utils.text import slugify

TAXONOMY = {
    "Web & Software Development": [
        "Python", "Django", "Django REST Framework", "Flask", "FastAPI", "JavaScript", "TypeScript",
        "React", "Vue.js", "Svelte", "Node.js", "Ruby on Rails", "PHP", "Laravel", "Go", "Rust",
        "Java", "Kotlin", "C#", ".NET", "HTML & CSS", "Tailwind CSS", "htmx", "WordPress", "Shopify",
        "REST API Design", "GraphQL", "Stripe Integration", "Payments Engineering", "Web Scraping",
    ],
    "Mobile Development": ["iOS Development", "Swift", "Android Development", "Flutter", "React Native"],
    "Data & Machine Learning": [
        "PostgreSQL", "MySQL", "SQLite", "Data Analysis", "Data Engineering", "Machine Learning",
        "Pandas", "ETL Pipelines", "Data Visualization", "Natural Language Processing",
    ],
    "DevOps & Cloud": [
        "Docker", "Kubernetes", "AWS", "Google Cloud", "Azure", "Linux Administration", "CI/CD",
        "Terraform", "Redis", "Celery", "Site Reliability",
    ],
    "Quality & Security": [
        "Automated Testing", "Playwright", "Manual QA", "Accessibility Audits", "Security Review",
        "Penetration Testing",
    ],
    "Design & Creative": [
        "UI Design", "UX Research", "Figma", "Brand Identity", "Logo Design", "Illustration",
        "Motion Graphics", "Video Editing", "Photography",
    ],
    "Writing & Translation": [
        "Technical Writing", "Copywriting", "Content Strategy", "Editing & Proofreading",
        "Translation (German)", "Translation (Spanish)", "Translation (French)", "API Documentation",
    ],
    "Sales, Marketing & Operations": [
        "SEO", "Email Marketing", "Social Media Marketing", "Product Management", "Project Management",
        "Bookkeeping", "Customer Support", "Virtual Assistance",
    ],
}


def seed(apps, schema_editor):
    SkillCategory = apps.get_model("accounts", "SkillCategory")
    Skill = apps.get_model("accounts", "Skill")
    for category_name, skills in TAXONOMY.items():
        category, _ = SkillCategory.objects.get_or_create(
            slug=slugify(category_name), defaults={"name": category_name}
        )
        for name in skills:
            Skill.objects.get_or_create(
                slug=slugify(name.replace("#", "sharp").replace(".NET", "dotnet").replace(".", "-")),
                defaults={"name": name, "category": category},
            )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
