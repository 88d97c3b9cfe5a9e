from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from courses.demo.loader import COURSE_FILE, SCENARIO_FILE, load_course, read_course, read_scenario
from learners.demo import ORGANISATION_NAME, ORGANISATION_SLUG, create_demo_accounts, create_demo_organisation
from quizzes.demo import load_quizzes, read_quizzes


class Command(BaseCommand):
    help = "Charge la formation de démonstration en français (idempotent) et les comptes de démo."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(COURSE_FILE), help="Fichier JSON de la formation.")
        parser.add_argument(
            "--scenario-file", default=str(SCENARIO_FILE), help="Fichier JSON de la salle de crise du module de crise."
        )
        parser.add_argument(
            "--accounts",
            action="store_true",
            help="Créer les comptes de démo même si DEBUG est désactivé (leurs mots de passe sont publics).",
        )
        parser.add_argument("--no-accounts", action="store_true", help="Ne pas créer les comptes de démo.")
        parser.add_argument(
            "--no-organisation", action="store_true",
            help="Créer les comptes de démo sans les équipes et les apprenants fictifs de leur organisation.",
        )

    def handle(self, *args, **options):
        try:
            data = read_course(options["file"])
            scenario = read_scenario(options["scenario_file"])
        except (OSError, ValueError) as error:
            raise CommandError(f"Impossible de lire la formation : {error}") from error
        try:
            course, created, updated = load_course(data, scenario)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        quiz_counts = load_quizzes(course, read_quizzes())
        created += quiz_counts["created"]
        updated += quiz_counts["updated"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Formation « {course.title} » : {created} page(s) créée(s), {updated} mise(s) à jour, "
                f"{course.get_children().count()} modules."
            )
        )
        if options["no_accounts"] or not (settings.DEBUG or options["accounts"]):
            return
        accounts = create_demo_accounts()
        learners = [] if options["no_organisation"] else create_demo_organisation(course)
        self.stdout.write("\nComptes de démonstration (e-mail / mot de passe) :")
        for account in accounts:
            self.stdout.write(f"  {account.role:<15} {account.email:<34} {account.password}")
        if learners:
            self.stdout.write(
                f"\nOrganisation « {ORGANISATION_NAME} » : 2 équipes, {len(learners)} apprenants fictifs ; "
                f"le responsable la suit sur /organisations/{ORGANISATION_SLUG}/"
            )
