"""Import a GIFT file into the question bank, whole or not at all (quizzes.gift_import)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from quizzes import gift
from quizzes.gift_import import ImportRefused, import_questions, read_file


class Command(BaseCommand):
    help = "Importe un fichier GIFT dans la banque de questions : tout ou rien."

    def add_arguments(self, parser):
        parser.add_argument("file", help="le fichier GIFT (UTF-8, 10 Mo au plus)")
        parser.add_argument("--dry-run", action="store_true", help="lire et vérifier le fichier sans rien importer")

    def handle(self, *args, file, dry_run, **options):
        path = Path(file)
        try:
            if path.stat().st_size > gift.MAX_BYTES:
                raise CommandError(_("Le fichier dépasse 10 Mo : découpez-le en plusieurs fichiers."))
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(_("Lecture impossible de %(file)s : %(error)s") % {"file": file, "error": error.strerror})
        read = read_file(data)
        for notice in read.notices:
            self.stdout.write(notice.message)
        if dry_run and read.ok:
            self.stdout.write(ngettext(
                "%(count)s question à importer (essai : rien n'est importé).",
                "%(count)s questions à importer (essai : rien n'est importé).", len(read.questions),
            ) % {"count": len(read.questions)})
            return
        try:
            created = import_questions(read)
        except ImportRefused as refusal:
            for error in refusal.errors:
                self.stderr.write(error.message)
            raise CommandError(refusal.message) from None
        self.stdout.write(self.style.SUCCESS(ngettext(
            "%(count)s question importée.", "%(count)s questions importées.", len(created),
        ) % {"count": len(created)}))
