"""A person's rights over their data: a copy of everything kept about them (access and
portability, GDPR articles 15 and 20) and the deletion of their account (erasure,
article 17).

Deleting an account keeps the organisation's statistics whole without keeping the
person: their enrolments, step progress, quiz attempts, certificates, memberships and
assignments move to a new "deleted account" row of their own (no name, an address that
cannot receive mail, no usable password, inactive), then the person's own row is deleted.
Nothing links the new row to the old one: not its id, not the audit log (which records
the deletion under the old id). Free-text answers (short answers, essays and their reviewers'
comments), exercise answers and autosaved drafts are blanked;
certificates stay verifiable as issued to a deleted account, without the name."""

import json
import secrets
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from courses.scenarios import ScenarioAction, ScenarioRun
from home.refusals import Kind, Refused
from learners import audit, two_factor
from learners.models import (
    Assignment,
    AuditEvent,
    Certificate,
    Enrollment,
    Membership,
    StepProgress,
    User,
)
from learners.models.accounts import DELETED_ACCOUNT_DOMAIN
from quizzes.models import Answer, Attempt, EssayQuestion, ShortAnswerQuestion

EXPORT_FORMAT = "passerelle-mes-donnees/1"
# The audit log's label for a deleted account (in the platform's language, like every
# label the log copies): never the e-mail address or the name.
DELETED_ACCOUNT_LABEL = "compte supprimé"


# --- Access: everything kept about a person ----------------------------------------------


def personal_data(user):
    """Everything Passerelle keeps about `user`, as JSON-ready dicts, in EXPORT_QUERIES
    queries whatever their history. Only their own rows: of the audit events they
    caused, those about someone or something else keep their date, action and kind of
    target, not the label and details (which may describe another person)."""
    return {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now(),
        "profile": {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "preferred_language": user.preferred_language,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "memberships": [
            {"organisation": row["organisation__name"], "team": row["team__name"], "role": row["role"],
             "joined_at": row["joined_at"]}
            for row in Membership.objects.filter(user=user).order_by("organisation__name", "pk").values(
                "organisation__name", "team__name", "role", "joined_at"
            )
        ],
        "enrolments": [
            {"course": row.pop("course__title"), **row}
            for row in Enrollment.objects.filter(user=user).order_by("enrolled_at", "pk").values(
                "course__title", "percent", "completed_steps", "total_steps", "time_spent_seconds", "enrolled_at",
                "completed_at",
            )
        ],
        "step_progress": [
            {"course": row.pop("course__title"), "step": row.pop("step__title"), **row}
            for row in StepProgress.objects.filter(user=user).order_by("first_viewed_at", "pk").values(
                "course__title", "step__title", "status", "first_viewed_at", "completed_at", "score",
                "time_spent_seconds", "exercises",
            )
        ],
        "quiz_attempts": quiz_attempts(user),
        "crisis_room_runs": crisis_room_runs(user),
        "assignments": [
            {"organisation": row["organisation__name"], "course": row["course__title"], "team": row["team__name"],
             "due_on": row["due_on"], "assigned_at": row["assigned_at"]}
            for row in Assignment.objects.filter(user=user).order_by("assigned_at", "pk").values(
                "organisation__name", "course__title", "team__name", "due_on", "assigned_at"
            )
        ],
        "certificates": [
            {**row, "revoked": row["revoked_at"] is not None}
            for row in Certificate.objects.filter(user=user).order_by("issued_at", "pk").values(
                "code", "course_title", "learner_name", "issued_at", "revoked_at", "revocation_reason"
            )
        ],
        "two_factor": {"enabled": two_factor.is_enabled(user)},
        "audit_events": audit_events(user),
    }


# memberships, enrolments, step progress, attempts, answers, crisis-room runs and their
# actions, assignments, certificates, two-factor status, audit events
EXPORT_QUERIES = 11


def quiz_attempts(user):
    """The person's attempts, each with its answers: the question asked, the answer as
    stored (choice ids, text, numbers, pairs: what the grader read), its score and
    feedback, and on a quiz marked by certainty the certainty given and its score. Drafts are included while the attempt is in progress. Two queries."""
    attempts = {
        row["id"]: {
            "quiz": row["quiz__title"], "number": row["number"], "status": row["status"],
            "started_at": row["started_at"], "submitted_at": row["submitted_at"], "graded_at": row["graded_at"],
            "score": row["score"], "max_score": row["max_score"], "percent": row["percent"], "passed": row["passed"],
            "drafts": row["drafts"] if row["status"] == Attempt.Status.IN_PROGRESS else None,
            "answers": [],
        }
        for row in Attempt.objects.filter(user=user).order_by("started_at", "pk").values(
            "id", "quiz__title", "number", "status", "started_at", "submitted_at", "graded_at", "score",
            "max_score", "percent", "passed", "drafts",
        )
    }
    for row in Answer.objects.filter(attempt__user=user).order_by("attempt_id", "pk").values(
        "attempt_id", "question__prompt", "payload", "score", "max_score", "feedback", "certainty", "cbm_score",
        "review_comment",
    ):
        attempts[row["attempt_id"]]["answers"].append({
            "question": row["question__prompt"], "answer": row["payload"], "score": row["score"],
            "max_score": row["max_score"], "feedback": row["feedback"],
            # certainty-based marking: how sure the person said they were, what that earned
            "certainty": row["certainty"], "certainty_score": row["cbm_score"],
            "review_comment": row["review_comment"],  # an essay's: what its reviewer wrote
        })
    return list(attempts.values())


def crisis_room_runs(user):
    """The person's crisis-room runs, each with their actions: when, which action, the
    text they wrote as they typed it; the score per axis once scored. Two queries."""
    runs = {
        row["id"]: {
            "scenario": row["scenario__title"], "number": row["number"], "status": row["status"],
            "started_at": row["started_at"], "ended_at": row["ended_at"], "percent": row["percent"],
            "scores": row["result"], "actions": [],
        }
        for row in ScenarioRun.objects.filter(user=user).order_by("started_at", "pk").values(
            "id", "scenario__title", "number", "status", "started_at", "ended_at", "percent", "result",
        )
    }
    for row in ScenarioAction.objects.filter(run__user=user).order_by("run_id", "sequence").values(
        "run_id", "branch", "choice", "text", "at", "created_at"
    ):
        runs[row["run_id"]]["actions"].append({
            "moment": row["branch"], "action": row["choice"], "text": row["text"],
            "scenario_second": row["at"], "at": row["created_at"],
        })
    return list(runs.values())


def audit_events(user):
    own_type, own_id = User._meta.label_lower, str(user.pk)
    events = []
    for row in AuditEvent.objects.filter(actor=user).order_by("at", "pk").values(
        "at", "action", "target_type", "target_id", "target_label", "details", "ip_address"
    ):
        about_themselves = not row["target_type"] or (row["target_type"], row["target_id"]) == (own_type, own_id)
        events.append({
            "at": row["at"], "action": row["action"], "target_type": row["target_type"],
            "target": row["target_label"] if about_themselves else None,
            "details": row["details"] if about_themselves else None,
            "ip_address": row["ip_address"],
        })
    return events


def export_file(*, user, request=None):
    """The person's data as a UTF-8 JSON file: (file name, bytes). The export is recorded
    in the audit log (action EXPORT, on themselves)."""
    data = personal_data(user)
    with transaction.atomic():
        audit.record(actor=user, action=audit.Action.EXPORT, target=user, target_label=user.email, request=request,
                     kind="personal_data")
    name = f"passerelle-mes-donnees-{timezone.localdate().isoformat()}.json"
    return name, json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode("utf-8")


# --- Erasure: deleting one's account ------------------------------------------------------


class DeletionRefused(Refused):
    """The account cannot be deleted; `message` says why."""

    kind = Kind.FORBIDDEN


LAST_SUPERUSER = _(
    "Vous êtes le dernier administrateur de Passerelle : nommez d'abord un autre administrateur, "
    "puis supprimez votre compte."
)


def deletion_refusal(user):
    """Why `user` may not delete their account, or None: the last active administrator
    would leave nobody to run the platform."""
    if user.is_superuser and not User.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).exists():
        return LAST_SUPERUSER
    return None


@dataclass(frozen=True)
class Deletion:
    """What a deletion kept (anonymised) and removed: counts only."""

    enrolments: int
    step_progress: int
    attempts: int
    texts_blanked: int
    certificates: int
    memberships: int
    assignments: int


@transaction.atomic
def delete_account(*, user, request=None):
    """Delete `user`'s account, all in one transaction or not at all:

    - a new deleted-account row (no name, an undeliverable unique address, unusable
      password, inactive) takes over their enrolments, step progress, quiz attempts,
      certificates, memberships (as a learner) and assignments, so every count and
      average of their organisations stays the same;
    - their short-answer texts, autosaved drafts and exercise answers are blanked (the
      exercises' answers, ticks and "done" go with them); their crisis-room runs
      (and the messages they wrote there) go with their row (the step stays completed);
    - their certificates keep their code, course and date but lose the name (the public
      page says "issued to a deleted account");
    - their two-factor devices are removed, the deletion is recorded in the audit log
      (actor: them; label: DELETED_ACCOUNT_LABEL), then their own row is deleted, which
      ends every session they had open (Django finds no user behind them).

    Raises DeletionRefused (nothing changed) for the last active administrator. Callers
    check the password (and two-factor code) first, and log the request out after."""
    if user.is_superuser:
        # Lock the administrators' rows: two last administrators deleting themselves at
        # once cannot both succeed.
        superusers = set(User.objects.select_for_update().filter(is_superuser=True, is_active=True)
                         .values_list("pk", flat=True))
        if not superusers - {user.pk}:
            raise DeletionRefused(LAST_SUPERUSER)
    placeholder = User.objects.create_user(
        email=f"{secrets.token_hex(12)}@{DELETED_ACCOUNT_DOMAIN}", password=None, is_active=False
    )
    text_types = ContentType.objects.get_for_models(ShortAnswerQuestion, EssayQuestion, for_concrete_models=True)
    texts_blanked = Answer.objects.filter(
        attempt__user=user, question__polymorphic_ctype__in=list(text_types.values()), payload__isnull=False
    ).update(payload="", review_comment="")
    kept = Deletion(
        enrolments=Enrollment.objects.filter(user=user).update(user=placeholder),
        step_progress=StepProgress.objects.filter(user=user).update(user=placeholder, exercises={}),
        attempts=Attempt.objects.filter(user=user).update(user=placeholder, drafts={}),
        texts_blanked=texts_blanked,
        certificates=Certificate.objects.filter(user=user).update(user=placeholder, learner_name=""),
        memberships=Membership.objects.filter(user=user).update(user=placeholder, role=Membership.Role.LEARNER),
        assignments=Assignment.objects.filter(user=user).update(user=placeholder),
    )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record(
        actor=user, action=audit.Action.ACCOUNT_DELETED, target=user, target_label=DELETED_ACCOUNT_LABEL,
        request=request, by="themselves", roles=audit.role_snapshot(user), kept=kept.__dict__,
    )
    user.delete()
    return kept
