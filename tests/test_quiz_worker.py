"""Grading through a real Celery worker process on the configured broker (the file
broker by default, Redis in CI's second pass): nothing lost, nothing graded twice."""

import signal
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from courses.models import ModulePage
from home.middleware import refusal_status
from learners import progress
from quizzes import services
from quizzes.models import Attempt
from tests.conftest import WorkerProcess
from tests.factories import make_course_with, make_quiz, make_user, right_answers
from tests.utils import wait_for

pytestmark = pytest.mark.worker

Status = Attempt.Status


def enrolled_learners(count, questions=4):
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=questions)
    learners = [make_user() for _ in range(count)]
    for learner in learners:
        progress.enroll(user=learner, course=course)
    return quiz, learners


def submit_all(quiz, learners):
    """Start and submit one attempt per learner (each submit queues grading on commit)."""
    for learner in learners:
        attempt = services.start_attempt(user=learner, quiz=quiz)
        services.submit_attempt(user=learner, attempt_id=attempt.pk, raw=right_answers(attempt))


def graded():
    return Attempt.objects.filter(status=Status.GRADED).count()


def test_two_hundred_attempts_are_all_graded_exactly_once(celery_worker_process):
    quiz, learners = enrolled_learners(200)

    submit_all(quiz, learners)

    wait_for(lambda: graded() == 200, timeout=240, message="200 attempts graded")
    assert set(Attempt.objects.values_list("grade_count", flat=True)) == {1}
    assert set(Attempt.objects.values_list("percent", flat=True)) == {100}


def test_a_worker_killed_mid_run_loses_nothing_and_grades_nothing_twice(celery_worker_process, tmp_path, settings):
    settings.QUIZ_REGRADE_AFTER = timedelta(seconds=2)
    quiz, learners = enrolled_learners(200)

    # given a worker busy grading 200 attempts
    submit_all(quiz, learners)
    wait_for(lambda: graded() >= 10, timeout=120, message="the worker to start grading")

    # when it is killed without warning, then started again
    celery_worker_process.kill(signal.SIGKILL)
    killed_at = graded()
    replacement = WorkerProcess(tmp_path / "worker-2.log").start()
    try:
        # then the sweep (beat's job, run here every few seconds) re-queues what was lost
        def all_graded():
            if graded() < 200:
                services.requeue_stuck_attempts()
                time.sleep(1)
            return graded() == 200

        wait_for(all_graded, timeout=300, interval=1, message="every attempt graded after the kill")
    finally:
        replacement.stop()
    assert killed_at < 200, "the kill came too late to prove anything"
    assert set(Attempt.objects.values_list("grade_count", flat=True)) == {1}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_submits_of_one_attempt_grade_it_once(celery_worker_process):
    quiz, (learner,) = enrolled_learners(1)
    attempt = services.start_attempt(user=learner, quiz=quiz)
    raw = right_answers(attempt)
    barrier = threading.Barrier(20)
    outcomes = []

    def send():
        try:
            barrier.wait()
            services.submit_attempt(user=learner, attempt_id=attempt.pk, raw=raw)
            outcomes.append("submitted")
        except services.AttemptRefused as refusal:
            outcomes.append(refusal_status(refusal))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes, key=str) == [409] * 19 + ["submitted"]
    wait_for(lambda: graded() == 1, timeout=60, message="the attempt graded")
    # one submit succeeded, so one grading was sent; a duplicate delivery of it finds
    # nothing to do
    assert services.grade_submitted_attempt(attempt.pk) is False
    attempt.refresh_from_db()
    assert attempt.grade_count == 1 and attempt.answers.count() == 4
