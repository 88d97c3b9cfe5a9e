"""The session and its person read in one query (learners.sessions): every refusal of
Django's own rule still holds."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from learners.models import Session, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PROFILE = "/comptes/profil/"


def logged_in(user, password="un-mot-de-passe-solide"):
    client = Client()
    assert client.post("/comptes/connexion/", {"username": user.email, "password": password}).status_code == 302
    return client


def is_logged_in(client):
    response = client.get(PROFILE)
    return response.status_code == 200


def test_a_session_row_names_the_person_logged_in_and_a_visitor_s_names_nobody(learner):
    # given a person who logs in
    client = logged_in(learner)
    # then their session row names them
    row = Session.objects.get(session_key=client.cookies["sessionid"].value)
    assert row.user_id == learner.pk and row.get_decoded()[SESSION_KEY] == str(learner.pk)
    # when they log out, their session row is gone
    client.post("/comptes/deconnexion/")
    assert not Session.objects.filter(user=learner).exists()


def test_a_logged_in_page_reads_the_session_and_its_person_in_one_query(learner):
    client = logged_in(learner)
    client.get(PROFILE)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PROFILE).status_code == 200
    session_reads = [query["sql"] for query in queries.captured_queries if "learners_session" in query["sql"]]
    assert len(session_reads) == 1 and "JOIN" in session_reads[0]
    assert not any('FROM "learners_user"' in query["sql"] for query in queries.captured_queries)


def test_a_password_changed_elsewhere_ends_the_other_sessions(learner):
    # given the same person logged in twice
    kept, other = logged_in(learner), logged_in(learner)
    # when the password changes behind the other session's back
    learner.set_password("un-autre-mot-de-passe")
    learner.save()
    # then the other session is refused and flushed, as Django does
    assert not is_logged_in(other)
    assert not Session.objects.filter(session_key=other.cookies["sessionid"].value).exists()
    assert not is_logged_in(kept)  # both were opened with the old password


def test_an_account_made_inactive_is_logged_out_on_its_next_request(learner):
    client = logged_in(learner)
    User.objects.filter(pk=learner.pk).update(is_active=False)
    assert not is_logged_in(client)


def test_a_deleted_person_s_sessions_are_deleted_with_them(learner):
    client = logged_in(learner)
    learner.delete()
    assert not Session.objects.exists()
    assert not is_logged_in(client)


def test_a_session_whose_data_names_someone_else_than_its_row_is_decided_by_django(learner):
    # given a session row whose person column was tampered with (an attacker with write
    # access to the column only): the data, signed with the secret key, stays the authority
    other = make_user()
    client = logged_in(learner)
    Session.objects.filter(session_key=client.cookies["sessionid"].value).update(user=other)
    response = client.get(PROFILE)
    assert response.status_code == 200 and learner.email in response.content.decode()
    assert other.email not in response.content.decode()


def test_a_hash_made_with_a_rotated_secret_key_keeps_the_session_through_django_s_fallback(learner):
    with override_settings(SECRET_KEY="an-old-secret-key-long-enough-for-the-tests-0123456789"):
        client = logged_in(learner)
    with override_settings(SECRET_KEY="a-new-secret-key-long-enough-for-the-tests-0123456789",
                           SECRET_KEY_FALLBACKS=["an-old-secret-key-long-enough-for-the-tests-0123456789"]):
        assert is_logged_in(client)
    with override_settings(SECRET_KEY="a-new-secret-key-long-enough-for-the-tests-0123456789"):
        assert is_logged_in(client)  # the session was given a hash made with the new key
