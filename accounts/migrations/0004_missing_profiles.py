"""Profiles for people who chose a role before choosing one created them: pages read profiles and
never create them."""

from django.db import migrations


def create_missing_profiles(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    FreelancerProfile = apps.get_model("accounts", "FreelancerProfile")
    ClientProfile = apps.get_model("accounts", "ClientProfile")
    freelancers = User.objects.filter(is_freelancer=True, freelancer_profile__isnull=True).values_list("pk", flat=True)
    FreelancerProfile.objects.bulk_create([FreelancerProfile(user_id=pk) for pk in freelancers])
    clients = User.objects.filter(is_client=True, client_profile__isnull=True).values_list("pk", flat=True)
    ClientProfile.objects.bulk_create([ClientProfile(user_id=pk) for pk in clients])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_clientprofile_payment_method_verified_at")]

    operations = [migrations.RunPython(create_missing_profiles, migrations.RunPython.noop)]
