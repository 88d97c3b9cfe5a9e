"""Sign up, log in, log out, reset a password, edit one's profile; who reaches the admin."""

import re

import pytest
from django.core import mail

from learners.models import User
from learners.roles import TRAINERS_GROUP
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "un-mot-de-passe-solide"


def signup(client, **fields):
    data = {"first_name": "Léa", "last_name": "Petit", "email": "lea@example.org",
            "password1": PASSWORD, "password2": PASSWORD}
    data.update(fields)
    return client.post("/comptes/inscription/", data)


def test_sign_up_creates_the_account_and_logs_in(client):
    response = signup(client, next="/formations/")

    assert response.status_code == 302 and response.url == "/formations/"
    user = User.objects.get(email="lea@example.org")
    assert user.get_full_name() == "Léa Petit"
    assert client.get("/comptes/profil/").status_code == 200


def test_sign_up_with_a_known_address_in_other_case_is_refused_with_a_message(client):
    make_user(email="lea@example.org")

    response = signup(client, email="LEA@Example.org")

    assert response.status_code == 200
    assert "Un compte existe déjà avec cette adresse" in response.content.decode()
    assert User.objects.count() == 1


def test_sign_up_refuses_mismatched_passwords_and_keeps_what_was_typed(client):
    response = signup(client, password2="autre-chose-encore")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="lea@example.org"' in html
    assert 'class="field__errors"' in html
    assert not User.objects.exists()


def test_sign_up_ignores_a_next_address_on_another_site(client):
    response = signup(client, next="https://ailleurs.example/")
    assert response.url == "/"


def test_log_in_by_email_in_any_case_and_log_out(client):
    make_user(email="sam@example.org")

    response = client.post("/comptes/connexion/", {"username": "SAM@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session

    response = client.post("/comptes/deconnexion/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_gets_a_clear_message(client):
    make_user(email="sam@example.org")
    response = client.post("/comptes/connexion/", {"username": "sam@example.org", "password": "faux"})
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()


def test_password_reset_sends_a_link_that_sets_a_new_password(client):
    make_user(email="sam@example.org")

    client.post("/comptes/mot-de-passe/oubli/", {"email": "sam@example.org"})

    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/comptes/mot-de-passe/nouveau/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session value
    response = client.post(form_url, {"new_password1": "nouveau-secret-42", "new_password2": "nouveau-secret-42"})
    assert response.status_code == 302
    client.post("/comptes/connexion/", {"username": "sam@example.org", "password": "nouveau-secret-42"})
    assert "_auth_user_id" in client.session


def test_password_reset_for_an_unknown_address_reveals_nothing(client):
    response = client.post("/comptes/mot-de-passe/oubli/", {"email": "personne@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0


def test_an_expired_reset_link_says_so(client):
    response = client.get("/comptes/mot-de-passe/nouveau/MQ/mauvais-jeton/")
    assert "Ce lien n'est plus valable" in response.content.decode()


def test_profile_edits_name_and_language(client):
    user = make_user()
    client.force_login(user)

    response = client.post("/comptes/profil/", {"first_name": "Noa", "last_name": "Roux", "preferred_language": "en"})

    user.refresh_from_db()
    assert response.status_code == 302
    assert (user.first_name, user.preferred_language) == ("Noa", "en")
    assert client.get("/comptes/profil/").content.decode().count("My profile") >= 1


def test_the_profile_asks_anonymous_visitors_to_log_in(client):
    response = client.get("/comptes/profil/")
    assert response.status_code == 302 and response.url.startswith("/comptes/connexion/")


def test_a_learner_is_refused_the_admin_with_a_message(client):
    client.force_login(make_user())

    response = client.get("/admin/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    assert "Vous n’avez pas l’autorisation d’accéder à l’administration." in response.content.decode()


def test_a_trainer_reaches_the_admin_and_may_add_a_lesson_to_a_module(client, demo_course):
    from django.contrib.auth.models import Group

    from courses.models import ModulePage

    trainer = make_user()
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    client.force_login(trainer)
    module = ModulePage.objects.first()

    assert client.get("/admin/").status_code == 200
    assert client.get(f"/admin/pages/{module.pk}/edit/").status_code == 200
    response = client.get(f"/admin/pages/add/courses/lessonpage/{module.pk}/")
    assert response.status_code == 200


def test_a_trainer_cannot_add_a_lesson_directly_under_a_course(client, demo_course):
    from django.contrib.auth.models import Group

    trainer = make_user()
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    client.force_login(trainer)

    response = client.get(f"/admin/pages/add/courses/lessonpage/{demo_course.pk}/")

    assert response.status_code in (302, 403, 404)
