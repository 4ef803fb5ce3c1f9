from __future__ import annotations

import io

import factory
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import ClientProfile, FreelancerProfile, PortfolioItem, Skill, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)
        if create:
            self.save()


class FreelancerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FreelancerProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, is_freelancer=True)
    headline = "Django developer for payment-heavy products"
    bio = "I build and test Django apps.\nTen years of Python."
    hourly_rate_cents = 65_00
    availability = FreelancerProfile.Availability.PART_TIME

    @factory.post_generation
    def skills(self, create, extracted, **kwargs):
        if create:
            self.skills.set(extracted if extracted is not None else Skill.objects.filter(name__in=["Python", "Django"]))


class ClientProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientProfile

    user = factory.SubFactory(UserFactory, is_client=True)
    company_name = factory.Faker("company")
    website = "https://example.com"
    team_size = ClientProfile.TeamSize.SMALL
    about_team = "A small product team."
    vision = "Make clinics run themselves."
    values = "Clear specs, quick feedback."


class PortfolioItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PortfolioItem

    profile = factory.SubFactory(FreelancerProfileFactory)
    title = factory.Sequence(lambda n: f"Project {n}")
    description = "Built the whole thing."
    url = "https://example.com/work"


def image_upload(name: str = "photo.png", *, size=(64, 64), image_format: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 90)).save(buffer, format=image_format)
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}[image_format]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)
