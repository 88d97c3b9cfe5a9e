"""Demo accounts, one per role, for a local try-out, and the demo organisation their
manager runs: two teams of fictional learners at varied progress in the demo course.
The accounts' passwords are public: the command creates them only on a debug site
unless told otherwise."""

import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from courses import scenario_engine, scenario_services
from courses.scenarios import ScenarioPage, ScenarioRun
from courses.selectors import course_outline, reusing_outlines
from learners import progress
from learners.models import (
    Assignment,
    Certificate,
    Enrollment,
    Membership,
    Organisation,
    StepProgress,
    Team,
    User,
)
from learners.roles import TRAINERS_GROUP
from quizzes import services
from quizzes.demo import demo_responses
from quizzes.models import Attempt, QuizPage


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    first_name: str
    last_name: str


LEARNER = DemoAccount("apprenant", "apprenant@passerelle.example", "apprendre-2026", "Camille", "Martin")
TRAINER = DemoAccount("formatrice", "formatrice@passerelle.example", "former-2026", "Inès", "Durand")
MANAGER = DemoAccount("responsable", "responsable@passerelle.example", "piloter-2026", "Karim", "Benali")
ADMIN = DemoAccount("administrateur", "admin@passerelle.example", "administrer-2026", "Alex", "Admin")
DEMO_ACCOUNTS = [LEARNER, TRAINER, MANAGER, ADMIN]

ORGANISATION_SLUG = "maison-des-associations"
ORGANISATION_NAME = "Maison des associations (démo)"


@transaction.atomic
def create_demo_accounts():
    """Create or reset the four demo accounts and their demo organisation. Idempotent."""
    organisation, _ = Organisation.objects.get_or_create(slug=ORGANISATION_SLUG, defaults={"name": ORGANISATION_NAME})
    team, _ = Team.objects.get_or_create(organisation=organisation, name=COMMUNICATION)
    users = {account: upsert_user(account) for account in DEMO_ACCOUNTS}

    Membership.objects.update_or_create(
        user=users[LEARNER], organisation=organisation, team=team, defaults={"role": Membership.Role.LEARNER}
    )
    # The demo manager runs the whole organisation (no team).
    Membership.objects.update_or_create(
        user=users[MANAGER], organisation=organisation, team=None, defaults={"role": Membership.Role.MANAGER}
    )
    users[TRAINER].groups.add(Group.objects.get(name=TRAINERS_GROUP))
    return DEMO_ACCOUNTS


def upsert_user(account):
    is_admin = account is ADMIN
    user, _ = User.objects.update_or_create(
        email=account.email,
        defaults={
            "first_name": account.first_name,
            "last_name": account.last_name,
            "is_staff": is_admin,
            "is_superuser": is_admin,
            "is_active": True,
        },
    )
    if not user.check_password(account.password):
        user.set_password(account.password)
        user.save(update_fields=["password"])
    return user


# --- The demo organisation's teams and learners -------------------------------------------

COMMUNICATION = "Communication"
RECEPTION = "Accueil"
DEMO_LEARNER_DOMAIN = "demo.passerelle.example"
# Each team is assigned the demo course; the reception team's due date is already past.
DUE_IN_DAYS = {COMMUNICATION: 21, RECEPTION: -5}
ASSIGNED_DAYS_AGO = 30


@dataclass(frozen=True)
class DemoLearner:
    """A fictional learner and how far they went in the demo course: `modules_done`
    whole modules (lessons, crisis room played and scored, quiz passed), then
    `lessons_after` lessons of the next
    one, then `failed_attempts` failed attempts at that module's quiz. Their activity
    ended `days_ago` days ago."""

    first_name: str
    last_name: str
    team: str
    modules_done: int = 0
    lessons_after: int = 0
    failed_attempts: int = 0
    days_ago: int = 0

    @property
    def email(self):
        plain = unicodedata.normalize("NFKD", f"{self.first_name}.{self.last_name}").encode("ascii", "ignore")
        return f"{plain.decode().lower().replace(' ', '-')}@{DEMO_LEARNER_DOMAIN}"


# 15 learners: in Communication (due in three weeks) some done, some on the way, some not
# started; in Accueil (due five days ago) everyone not done is late. Three of them fail
# the crisis module's quiz after its lessons.
DEMO_LEARNERS = [
    DemoLearner("Léa", "Moreau", COMMUNICATION, modules_done=5, days_ago=12),
    DemoLearner("Hugo", "Lefèvre", COMMUNICATION, modules_done=5, days_ago=4),
    DemoLearner("Chloé", "Garnier", COMMUNICATION, modules_done=2, days_ago=1),
    DemoLearner("Nathan", "Roux", COMMUNICATION, lessons_after=2, days_ago=3),
    DemoLearner("Manon", "Fournier", COMMUNICATION, modules_done=3, lessons_after=4, failed_attempts=2, days_ago=2),
    DemoLearner("Théo", "Girard", COMMUNICATION),
    DemoLearner("Sarah", "Bonnet", COMMUNICATION),
    DemoLearner("Lucas", "Mercier", COMMUNICATION, modules_done=3, lessons_after=1, days_ago=6),
    DemoLearner("Emma", "Dupont", RECEPTION, modules_done=5, days_ago=18),
    DemoLearner("Yanis", "Lambert", RECEPTION, modules_done=3, lessons_after=4, failed_attempts=1, days_ago=8),
    DemoLearner("Jade", "Fontaine", RECEPTION, modules_done=1, lessons_after=2, days_ago=9),
    DemoLearner("Louis", "Chevalier", RECEPTION),
    DemoLearner("Zoé", "Robin", RECEPTION, lessons_after=1, days_ago=15),
    DemoLearner("Adam", "Masson", RECEPTION, modules_done=5, days_ago=7),
    DemoLearner("Lina", "Perrin", RECEPTION, modules_done=3, lessons_after=4, failed_attempts=1, days_ago=5),
]


@transaction.atomic
def create_demo_organisation(course):
    """Give the demo organisation its two teams and DEMO_LEARNERS (unusable passwords),
    assign `course` to both teams with a due date (the demo learner account is in
    Communication), and build each fictional learner's progress through the real
    services: lessons completed, quizzes passed or failed by graded attempts. Run after
    create_demo_accounts(). Idempotent: what exists is left as it is, so a second run
    changes nothing. Returns the learners."""
    organisation = Organisation.objects.get(slug=ORGANISATION_SLUG)
    manager = User.objects.get(email=MANAGER.email)
    today = timezone.localdate()
    assigned_at = timezone.now() - timedelta(days=ASSIGNED_DAYS_AGO)
    teams = {name: Team.objects.get_or_create(organisation=organisation, name=name)[0] for name in DUE_IN_DAYS}
    members = [(User.objects.get(email=LEARNER.email), teams[COMMUNICATION], None)]
    for learner in DEMO_LEARNERS:
        user = User.objects.filter(email=learner.email).first() or User.objects.create_user(
            email=learner.email, password=None, first_name=learner.first_name, last_name=learner.last_name,
            date_joined=assigned_at,
        )
        Membership.objects.get_or_create(
            user=user, organisation=organisation, team=teams[learner.team],
            defaults={"role": Membership.Role.LEARNER, "joined_at": assigned_at},
        )
        members.append((user, teams[learner.team], learner))
    with reusing_outlines():  # the course's tree does not change while progress is built
        for user, team, learner in members:
            assignment, created = Assignment.objects.get_or_create(
                organisation=organisation, user=user, course=course,
                defaults={"team": team, "due_on": today + timedelta(days=DUE_IN_DAYS[team.name]), "assigned_by": manager},
            )
            if created:
                Assignment.objects.filter(pk=assignment.pk).update(assigned_at=assigned_at)
            newly_enrolled = not Enrollment.objects.filter(user=user, course=course).exists()
            progress.enroll(user=user, course=course)
            if learner is not None and newly_enrolled:
                build_progress(user, course, learner)
    return DEMO_LEARNERS


def build_progress(user, course, learner):
    """`learner`'s path through `course`, then their dates moved back to when it happened."""
    modules = course_outline(course).modules
    done = []
    for position, module in enumerate(modules[:learner.modules_done + 1]):
        # Steps the learner completes by their word; a quiz or a crisis room needs its own play.
        lessons = [step for step in module.steps if step.completed_by_learner]
        quiz = next((step for step in module.steps if isinstance(step, QuizPage)), None)
        finishing = position < learner.modules_done
        for lesson in lessons if finishing else lessons[:learner.lessons_after]:
            progress.record_step_completed(user=user, page=lesson)
            done.append(lesson)
        if finishing:
            for scenario in (step for step in module.steps if isinstance(step, ScenarioPage)):
                play_scenario(user, scenario, expert=len(learner.last_name) % 2 == 0)
                done.append(scenario)
        if quiz is None:
            continue
        if not finishing:
            for _failure in range(learner.failed_attempts):
                take_quiz(user, quiz, wrong=range(0, 10, 2))  # half the questions wrong: failed (0 % by certainty)
            break
        # One question wrong for some, none for others: passed either way (pass mark 70 %;
        # the crisis quiz, marked by certainty, 60 %: one wrong answer "very sure" leaves 70 %).
        take_quiz(user, quiz, wrong=(len(learner.last_name) % 10,) if len(learner.first_name) % 2 else ())
        done.append(quiz)
    backdate(user, course, learner, last_step=done[-1] if done else None)


def take_quiz(user, quiz, wrong):
    """One attempt through the quiz services: started, submitted with the demo
    responses, graded (a passed quiz completes its step)."""
    attempt = services.start_attempt(user=user, quiz=quiz)
    services.submit_attempt(user=user, attempt_id=attempt.pk, raw=demo_responses(attempt, wrong=set(wrong)))
    services.grade_submitted_attempt(attempt.pk)


DEMO_REPLY = "Merci de votre message. Nous vérifions avec l'équipe concernée et revenons vers vous aujourd'hui."


def play_scenario(user, scenario, expert):
    """One run of a crisis room through its services, acted at once and scored (a
    scored run completes the step): the expert's path, or, for others, the second
    action offered at each moment (a plausible path of mistakes: masking the complaint,
    answering the councillor…)."""
    run = scenario_services.start_run(user=user, scenario=scenario)
    sequence = 0
    while True:
        state = scenario_services.snapshot(ScenarioRun.objects.get(pk=run.pk))
        if state.state.ended:
            break
        choices = scenario_engine.available_choices(run.script, state.state)
        choice = next(c for c in choices if c["expert"]) if expert or len(choices) < 2 else choices[1]
        text = DEMO_REPLY[: choice["limit"]] if choice["kind"] in scenario_engine.TEXT_KINDS else ""
        scenario_services.act(user=user, run_id=run.pk, choice_id=choice["id"], branch=state.state.branch,
                              sequence=sequence, text=text)
        sequence += 1
    scenario_services.score_run(run.pk)


def backdate(user, course, learner, last_step):
    """Move `learner`'s dates back: enrolled a few weeks ago, activity ended `days_ago`
    days ago, each lesson worth a few minutes of active time."""
    shift = timedelta(days=learner.days_ago)
    StepProgress.objects.filter(user=user, course=course).update(
        first_viewed_at=F("first_viewed_at") - shift, completed_at=F("completed_at") - shift,
        time_spent_seconds=240 + 60 * (len(learner.first_name) % 6),
    )
    Attempt.objects.filter(user=user, quiz__in=course.get_descendants()).update(
        started_at=F("started_at") - shift, submitted_at=F("submitted_at") - shift, graded_at=F("graded_at") - shift,
    )
    ScenarioRun.objects.filter(user=user, scenario__in=course.get_descendants()).update(
        started_at=F("started_at") - shift, ended_at=F("ended_at") - shift, scored_at=F("scored_at") - shift,
    )
    Certificate.objects.filter(user=user, course=course).update(issued_at=F("issued_at") - shift)
    steps = StepProgress.objects.filter(user=user, course=course)
    total_seconds = sum(steps.values_list("time_spent_seconds", flat=True))
    Enrollment.objects.filter(user=user, course=course).update(
        enrolled_at=timezone.now() - timedelta(days=ASSIGNED_DAYS_AGO - 1),
        completed_at=F("completed_at") - shift,
        last_step_id=last_step.pk if last_step is not None else None,
        time_spent_seconds=total_seconds,
    )
