from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """A person across the apps (merge, purge, the contact admin and partner view): above leads,
    appointments and conversions, which it imports."""

    name = "people"
