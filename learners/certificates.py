"""Course certificates: issued once per learner and course, verifiable by code, printable
and downloadable as a PDF (fpdf2 with a Unicode font from PyPI: no system package)."""

import secrets
from importlib.resources import files

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from learners import audit
from learners.models import Certificate

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to read aloud
FONTS = files("font_source_sans_pro") / "files"


def new_code():
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(text):
    """What a person typed (spaces, lower case, no dashes) -> the stored form."""
    raw = "".join(ch for ch in text.upper() if ch in CODE_ALPHABET)
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}" if len(raw) == 12 else None


# The reason of a certificate the platform revoked when a regrade took away the pass of a
# quiz of the course (learners.progress.withdraw_step_completion), in the platform's
# language: the course completed again, the certificate is valid again (issue_for).
REGRADED_REASON = "Un quiz de la formation, corrigé à nouveau, n'est plus réussi."


def issue_for(enrollments, course):
    """Issue the certificate of each completed enrolment of `course`. The unique (learner,
    course) constraint makes a second issue, even a concurrent one, a no-op. A certificate
    revoked for REGRADED_REASON is reinstated instead, with an audit event."""
    if not enrollments:
        return
    revoked_by_regrade = Certificate.objects.select_for_update().filter(
        course=course, user_id__in=[enrollment.user_id for enrollment in enrollments],
        revoked_at__isnull=False, revocation_reason=REGRADED_REASON,
    )
    for certificate in revoked_by_regrade:
        was_revoked_at = certificate.revoked_at
        certificate.revoked_at, certificate.revocation_reason = None, ""
        certificate.save(update_fields=["revoked_at", "revocation_reason"])
        audit.record_certificate_edit(actor=None, certificate=certificate, was_revoked_at=was_revoked_at,
                                      was_reason=REGRADED_REASON)
    Certificate.objects.bulk_create(
        [
            Certificate(
                code=new_code(),
                user=enrollment.user,
                course=course,
                learner_name=enrollment.user.get_full_name() or enrollment.user.email,
                course_title=course.title,
            )
            for enrollment in enrollments
        ],
        ignore_conflicts=True,
    )


def render_pdf(certificate, verify_url):
    """The certificate as an A4 landscape PDF (bytes)."""
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(_("Certificat de réussite — %(course)s") % {"course": certificate.course_title})
    pdf.set_author("Passerelle")
    pdf.add_font("Source", "", str(FONTS / "SourceSansPro-Regular.ttf"))
    pdf.add_font("Source", "B", str(FONTS / "SourceSansPro-Bold.ttf"))
    pdf.add_page()
    pdf.set_draw_color(29, 63, 143)
    pdf.set_line_width(1.5)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_text_color(29, 63, 143)
    pdf.set_font("Source", "B", 16)
    pdf.set_y(30)
    pdf.cell(0, 10, "PASSERELLE", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(27, 31, 36)
    pdf.set_font("Source", "B", 34)
    pdf.cell(0, 20, _("Certificat de réussite"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Source", "", 16)
    pdf.ln(6)
    pdf.cell(0, 10, _("délivré à"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Source", "B", 26)
    pdf.cell(0, 16, certificate.learner_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Source", "", 16)
    pdf.cell(0, 10, _("pour avoir terminé la formation"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Source", "B", 20)
    pdf.multi_cell(0, 11, certificate.course_title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Source", "", 14)
    pdf.ln(4)
    issued = formats.date_format(timezone.localtime(certificate.issued_at), "j F Y")
    pdf.cell(0, 9, _("le %(date)s") % {"date": issued}, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(pdf.h - 42)
    pdf.set_font("Source", "", 11)
    pdf.cell(0, 7, _("Code de vérification : %(code)s") % {"code": certificate.code}, align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, verify_url, align="C", link=verify_url)
    return bytes(pdf.output())
