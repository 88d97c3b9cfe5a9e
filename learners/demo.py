"""Demo accounts, one per role, for a local try-out. Their passwords are public:
the command creates them only on a debug site unless told otherwise."""

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from learners.models import Membership, Organisation, Team, User
from learners.roles import TRAINERS_GROUP


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


@transaction.atomic
def create_demo_accounts():
    """Create or reset the four demo accounts and their demo organisation. Idempotent."""
    organisation, _ = Organisation.objects.get_or_create(
        slug="maison-des-associations", defaults={"name": "Maison des associations (démo)"}
    )
    team, _ = Team.objects.get_or_create(organisation=organisation, name="Communication")
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
    user.set_password(account.password)
    user.save(update_fields=["password"])
    return user
