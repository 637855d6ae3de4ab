"""Create the first admin user on a fresh install and print its login (used by `make run`)."""
import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a superuser if none exists (ADMIN_USERNAME / ADMIN_PASSWORD env) and print the login."

    def handle(self, *args, **options):
        User = get_user_model()
        username = os.environ.get("ADMIN_USERNAME", "admin")
        password = os.environ.get("ADMIN_PASSWORD", "admin")
        existing = list(User.objects.filter(is_superuser=True).values_list("username", flat=True)[:3])
        if existing:
            self.stdout.write(
                f"Admin login: http://127.0.0.1:8000/admin/  user(s) {', '.join(existing)}; password unchanged "
                "(the one set when the user was created)."
            )
            return
        User.objects.create_superuser(username=username, email=f"{username}@example.com", password=password)
        self.stdout.write(self.style.SUCCESS(f"Admin login: http://127.0.0.1:8000/admin/  user={username}  password={password}"))
