"""Regrade on a real worker: 500 attempts, answer key changed, each regraded once, even
when the coordinator is delivered twice; the report counts what changed, and a second
regrade changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from config import queueing
from courses.models import ModulePage
from learners import progress
from learners.models import Certificate, Enrollment, StepProgress, User
from quizzes import regrading, tasks
from quizzes.models import Answer, Attempt, Regrade, RegradedAttempt, SingleChoiceQuestion, TrueFalseQuestion
from tests.factories import make_course_with, make_quiz
from tests.utils import wait_for

pytestmark = pytest.mark.worker

LEARNERS = 500


def graded_attempts_in_bulk(quiz, count):
    """`count` enrolled learners with one graded attempt each at `quiz` (a true/false, true,
    and a single choice, 2 points each, passed at 70 %): the single choice right for all,
    the statement judged true by the even ones (100 %, passed, the step completed and the
    course certificate issued) and false by the odd ones (50 %, failed). A few bulk
    statements, as grading would have left them."""
    course = quiz.get_parent().get_parent().specific
    true_false = TrueFalseQuestion.objects.get(pk__in=quiz.question_ids())
    choice = SingleChoiceQuestion.objects.get(pk__in=quiz.question_ids())
    right_choice = choice.choices.get(is_correct=True).pk
    users = User.objects.bulk_create(
        [User(email=f"apprenant{n}@example.org", first_name="Apprenant", last_name=str(n)) for n in range(count)]
    )
    Enrollment.objects.bulk_create([Enrollment(user=user, course=course) for user in users])
    graded_at = timezone.now() - timedelta(minutes=5)
    attempts = Attempt.objects.bulk_create([
        Attempt(user=user, quiz=quiz, number=1, status=Attempt.Status.GRADED, question_order=quiz.question_ids(),
                submitted_at=graded_at, graded_at=graded_at, grade_count=1, max_score=Decimal(4),
                score=Decimal(4 if n % 2 == 0 else 2), percent=100 if n % 2 == 0 else 50, passed=n % 2 == 0)
        for n, user in enumerate(users)
    ])
    answers = []
    for n, attempt in enumerate(attempts):
        judged_true = n % 2 == 0
        answers += [
            Answer(attempt=attempt, question=true_false, payload=judged_true, score=Decimal(2 if judged_true else 0),
                   max_score=Decimal(2)),
            Answer(attempt=attempt, question=choice, payload=right_choice, score=Decimal(2), max_score=Decimal(2)),
        ]
    Answer.objects.bulk_create(answers)
    StepProgress.objects.bulk_create([
        StepProgress(user=user, step_id=quiz.pk, course=course, status=StepProgress.Status.COMPLETED,
                     completed_at=graded_at, score=100)
        for n, user in enumerate(users) if n % 2 == 0
    ])
    progress.recount_course(course, force=True)  # rollups and certificates, as the progress door leaves them
    return true_false, users


def finished(regrade):
    regrade.refresh_from_db()
    return not regrade.is_running


def test_five_hundred_attempts_are_each_regraded_once_and_the_report_counts_the_changes(celery_worker_process):
    # given 500 graded attempts, half passed (with their certificates), half failed
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=2, kinds=["true_false", "single_choice"])
    true_false, users = graded_attempts_in_bulk(quiz, LEARNERS)
    passers = {user.pk for n, user in enumerate(users) if n % 2 == 0}
    assert set(Certificate.objects.values_list("user_id", flat=True)) == passers

    # when the statement turns out false, and the regrade is started (its coordinator
    # sent after the commit) and its coordinator delivered a second time
    true_false.answer = False
    true_false.save()
    assert regrading.regrade_offer(true_false) == LEARNERS
    regrade = regrading.start_regrade(question=true_false, user=None)
    queueing.send_task(tasks.plan_regrade, regrade.pk)
    wait_for(lambda: finished(regrade), timeout=180, interval=0.5, message="the regrade finished")

    # then each attempt was regraded exactly once, and every score and outcome flipped
    assert RegradedAttempt.objects.filter(regrade=regrade).count() == LEARNERS
    assert set(RegradedAttempt.objects.values_list("attempt_id", flat=True)) == set(Attempt.objects.values_list("pk", flat=True))
    assert (regrade.attempts_total, regrade.attempts_done, regrade.scores_changed) == (LEARNERS, LEARNERS, LEARNERS)
    assert (regrade.passed_to_failed, regrade.failed_to_passed) == (LEARNERS // 2, LEARNERS // 2)
    assert set(Attempt.objects.filter(user_id__in=passers).values_list("percent", "passed")) == {(50, False)}
    assert set(Attempt.objects.exclude(user_id__in=passers).values_list("percent", "passed")) == {(100, True)}
    assert set(Attempt.objects.values_list("grade_count", flat=True)) == {1}  # a regrade is not a first grading
    # progress and certificates followed through the progress door
    completed = set(StepProgress.objects.filter(status=StepProgress.Status.COMPLETED).values_list("user_id", flat=True))
    assert completed == {user.pk for user in users} - passers
    assert set(Certificate.objects.filter(revoked_at__isnull=True).values_list("user_id", flat=True)) == completed
    assert set(Certificate.objects.filter(revoked_at__isnull=False).values_list("user_id", flat=True)) == passers

    # and a second regrade, on the same worker, changes nothing
    again = regrading.start_regrade(question=true_false, user=None)
    wait_for(lambda: finished(again), timeout=120, interval=0.5, message="the second regrade finished")
    assert (again.attempts_done, again.scores_changed, again.passed_to_failed, again.failed_to_passed) == (
        LEARNERS, 0, 0, 0)
    assert Regrade.objects.count() == 2
