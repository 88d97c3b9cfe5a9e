"""Find the steps marked completed without meeting their rule (a quiz marked done instead
of passed), and with --fix reopen them and revoke the certificates they earned."""

from django.core.management.base import BaseCommand

from learners import progress


class Command(BaseCommand):
    help = "List completions that do not meet their step's rule; --fix reopens them and revokes their certificates."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Reopen them, recount, revoke the certificates concerned.")

    def handle(self, *args, fix=False, **options):
        if fix:
            reopened, revoked = progress.withdraw_unearned_completions()
            self.stdout.write(f"{reopened} completion(s) reopened, {revoked} certificate(s) revoked.")
            return
        rows = progress.unearned_completions()
        for row in rows:
            self.stdout.write(f"user {row.user_id} ({row.user.email}): step {row.step_id} of course {row.course_id}")
        self.stdout.write(f"{len(rows)} completion(s) without their rule met. Run with --fix to reopen them.")
