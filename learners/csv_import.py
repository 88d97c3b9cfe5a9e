"""Invite people from a CSV file: read it, show every row with its problem, import the
good rows once the manager confirms.

Reading (`read_csv`) refuses the whole file — with one clear message — when it cannot be
a list of people: over 2 MB, binary, not UTF-8 (with or without BOM) nor Windows-1252, no
header naming the e-mail, first-name and last-name columns, or more than 5,000 rows.
Separators `;` and `,` are both understood (French spreadsheets write `;`), and any line
ending. Checking (`check_rows`) names the problem of each row by its line number in the
file. Nothing is written until `import_batch`, which checks every row again (the data
may have changed since the preview) and invites the good ones in one transaction; the
mails leave after the commit."""

import csv
import io
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from home.refusals import Kind, Refused
from learners import invitations
from learners.models import ImportBatch, Invitation, Membership

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
NAME_MAX_LENGTH = 150

# Accepted column titles, compared without accents, case or separators ("E-mail" = "email").
COLUMNS = {
    "email": {"email", "e_mail", "courriel", "mail", "adresse_e_mail", "adresse_email"},
    "first_name": {"prenom", "first_name", "firstname"},
    "last_name": {"nom", "last_name", "lastname", "nom_de_famille"},
    "team": {"equipe", "team"},
}
REQUIRED_COLUMNS = {
    "email": gettext_lazy("e-mail (ou courriel, email)"),
    "first_name": gettext_lazy("prénom (ou first_name)"),
    "last_name": gettext_lazy("nom (ou last_name)"),
}


class FileRefused(Refused):
    """The file as a whole cannot be read as a list of people; `message` says why."""

    kind = Kind.INVALID


@dataclass
class ParsedFile:
    encoding: str  # "utf-8" or "cp1252"
    delimiter: str
    rows: list  # [{"line", "email", "first_name", "last_name", "team"}], as typed


@dataclass
class CheckedRow:
    line: int
    email: str
    first_name: str
    last_name: str
    team_name: str
    team: object = None  # the Team, when the row names one seen
    problem: str = ""  # empty when the row can be imported

    @property
    def ok(self):
        return not self.problem


# --- Reading --------------------------------------------------------------------------


def column_key(title):
    """'Prénom ' -> 'prenom', 'E-mail' -> 'e_mail'."""
    text = unicodedata.normalize("NFKD", title.strip().lstrip("\ufeff")).encode("ascii", "ignore").decode("ascii")
    return "_".join(text.lower().replace("-", " ").replace("_", " ").split())


def decode(data):
    """The text of the file and the encoding it was read in."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise FileRefused(
            _("Ce fichier n'est pas un texte lisible (ni UTF-8 ni Windows-1252). Enregistrez-le au format "
              "« CSV UTF-8 » depuis votre tableur.")
        ) from None


def looks_binary(data, text):
    if b"\x00" in data:
        return True
    return any(ord(char) < 32 and char not in "\t\r\n" for char in text)


def sniff_delimiter(text):
    first_line = text.lstrip().splitlines()[0] if text.strip() else ""
    try:
        return csv.Sniffer().sniff(first_line, delimiters=";,").delimiter
    except csv.Error:
        return ";" if first_line.count(";") > first_line.count(",") else ","


def read_csv(uploaded):
    """Read an uploaded file into rows (nothing checked against the database yet).
    FileRefused for a file that cannot be a list of people."""
    if uploaded.size is not None and uploaded.size > MAX_BYTES:
        raise FileRefused(_("Ce fichier dépasse 2 Mo : découpez-le en plusieurs fichiers de %(max)d lignes au plus.")
                          % {"max": MAX_ROWS})
    data = uploaded.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FileRefused(_("Ce fichier dépasse 2 Mo : découpez-le en plusieurs fichiers de %(max)d lignes au plus.")
                          % {"max": MAX_ROWS})
    if not data.strip():
        raise FileRefused(_("Ce fichier est vide."))
    if b"\x00" in data:
        raise FileRefused(_("Ce fichier n'est pas un fichier texte CSV (c'est peut-être un classeur Excel ou une "
                            "image) : enregistrez-le au format « CSV » depuis votre tableur."))
    text, encoding = decode(data)
    if looks_binary(data, text):
        raise FileRefused(_("Ce fichier n'est pas un fichier texte CSV (c'est peut-être un classeur Excel ou une "
                            "image) : enregistrez-le au format « CSV » depuis votre tableur."))
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
        while not any(cell.strip() for cell in header):
            header = next(reader)
        positions = {}
        for index, title in enumerate(header):
            key = column_key(title)
            for name, titles in COLUMNS.items():
                if key in titles and name not in positions:
                    positions[name] = index
        missing = [str(label) for name, label in REQUIRED_COLUMNS.items() if name not in positions]
        if missing:
            raise FileRefused(
                _("La première ligne doit nommer les colonnes ; il manque : %(columns)s. Colonnes attendues : "
                  "e-mail, prénom, nom, équipe.") % {"columns": ", ".join(missing)}
            )
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise FileRefused(_("Ce fichier compte plus de %(max)d personnes : découpez-le en plusieurs fichiers.")
                                  % {"max": MAX_ROWS})

            def cell(name):
                index = positions.get(name)
                return cells[index].strip() if index is not None and index < len(cells) else ""

            rows.append({
                "line": reader.line_num, "email": cell("email"), "first_name": cell("first_name"),
                "last_name": cell("last_name"), "team": cell("team"),
            })
    except StopIteration:
        raise FileRefused(_("Ce fichier est vide.")) from None
    except csv.Error as error:
        raise FileRefused(
            _("Ce fichier n'est pas un CSV valide (ligne %(line)d) : vérifiez les guillemets.") % {"line": reader.line_num}
        ) from error
    if not rows:
        raise FileRefused(_("Ce fichier ne contient aucune personne après la ligne des titres."))
    return ParsedFile(encoding=encoding, delimiter=delimiter, rows=rows)


# --- Checking ---------------------------------------------------------------------------


def check_rows(*, scope, rows, now=None):
    """Each row with its problem, if any, in the order of the file. The team must be one
    the viewer sees (an empty team means the whole organisation, for those who see all
    of it). A constant number of queries, whatever the number of rows."""
    teams = {team.name.casefold(): team for team in scope.teams()}
    members = invitations.member_emails(scope.organisation)
    invited = invitations.pending_emails(scope.organisation, now)
    first_line = {}
    checked = []
    for row in rows:
        email = invitations.normalise_email(row["email"])
        result = CheckedRow(
            line=row["line"], email=email, first_name=row["first_name"], last_name=row["last_name"], team_name=row["team"]
        )
        result.team = teams.get(row["team"].casefold()) if row["team"] else None
        result.problem = row_problem(scope, result, members, invited, first_line)
        first_line.setdefault(email, result.line)
        checked.append(result)
    return checked


def row_problem(scope, row, members, invited, first_line):
    if not row.email:
        return _("adresse e-mail manquante")
    try:
        validate_email(row.email)
    except ValidationError:
        return _("adresse e-mail invalide : « %(email)s »") % {"email": row.email}
    if len(row.first_name) > NAME_MAX_LENGTH or len(row.last_name) > NAME_MAX_LENGTH:
        return _("prénom ou nom trop long (%(max)d caractères au plus)") % {"max": NAME_MAX_LENGTH}
    if row.team_name and row.team is None:
        return _("équipe inconnue : « %(team)s » (créez-la d'abord dans « Équipes et personnes »)") % {"team": row.team_name}
    if not row.team_name and not scope.whole_organisation:
        return _("équipe manquante")
    if row.email in first_line:
        return _("en double : cette adresse figure déjà ligne %(line)d") % {"line": first_line[row.email]}
    if row.email in members:
        return _("déjà membre de l'organisation")
    if row.email in invited:
        return _("déjà invité(e) : invitation en attente")
    return ""


# --- Preview and import ---------------------------------------------------------------


def store_preview(*, scope, parsed, file_name):
    """Keep the parsed rows server-side for the confirmation: one batch per viewer and
    organisation (a new upload replaces the previous one)."""
    with transaction.atomic():
        ImportBatch.objects.filter(organisation=scope.organisation, created_by=scope.viewer).delete()
        ImportBatch.objects.filter(created_at__lt=timezone.now() - ImportBatch.VALID_FOR).delete()
        return ImportBatch.objects.create(
            organisation=scope.organisation, created_by=scope.viewer, file_name=(file_name or "")[:255],
            encoding=parsed.encoding, rows=parsed.rows,
        )


def batch_in_scope(scope, batch_id):
    """The viewer's own batch for this organisation, still valid; None otherwise."""
    from learners.access import is_id

    if not is_id(batch_id):
        return None
    return ImportBatch.objects.filter(
        pk=batch_id, organisation=scope.organisation, created_by=scope.viewer,
        created_at__gte=timezone.now() - ImportBatch.VALID_FOR,
    ).first()


@dataclass
class ImportResult:
    invited: int
    skipped: list  # CheckedRow with a problem


def import_batch(*, scope, batch):
    """Invite (as learners) every row of `batch` that is still good, in one transaction,
    and delete the batch; rows that went bad since the preview are skipped and returned.
    A batch is imported once: a second confirmation finds nothing (FileRefused)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().filter(pk=batch.pk).first()
        if batch is None:
            raise FileRefused(_("Cet import a déjà été fait ou a expiré : envoyez le fichier à nouveau."))
        now = timezone.now()
        checked = check_rows(scope=scope, rows=batch.rows, now=now)
        good = [row for row in checked if row.ok]
        expired = {
            invitation.email: invitation
            for invitation in invitations.open_invitations(scope.organisation).select_for_update()
            .annotate(address=Lower("email")).filter(address__in=[row.email for row in good])
        }
        issued, created = [], []
        for row in good:
            token, token_hash = invitations.new_token()
            invitation = expired.get(row.email) or Invitation(organisation=scope.organisation, email=row.email, created_at=now)
            invitation.team, invitation.role, invitation.invited_by = row.team, Membership.Role.LEARNER, scope.viewer
            invitation.first_name, invitation.last_name = row.first_name, row.last_name
            invitation.token_hash, invitation.expires_at = token_hash, invitations.expiry(now)
            if invitation.pk:
                invitation.save()
            else:
                created.append(invitation)
            issued.append((invitation, token))
        Invitation.objects.bulk_create(created, batch_size=500)
        batch.delete()
        invitations.mail_after_commit(issued)
    return ImportResult(invited=len(good), skipped=[row for row in checked if not row.ok])
