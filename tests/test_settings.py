"""Configuration comes from the environment; production refuses unsafe settings."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']), "
    "'conn_max_age': s.DATABASES['default']['CONN_MAX_AGE'], 'broker': s.CELERY_BROKER_URL, "
    "'transport_options': getattr(s, 'CELERY_BROKER_TRANSPORT_OPTIONS', {}), 'debug': s.DEBUG, "
    "'hosts': s.ALLOWED_HOSTS, 'email': s.EMAIL_BACKEND, 'language': s.LANGUAGE_CODE, "
    "'publish_retry': getattr(s, 'CELERY_TASK_PUBLISH_RETRY_POLICY', None), "
    "'broker_max_retries': getattr(s, 'CELERY_BROKER_CONNECTION_MAX_RETRIES', 'celery default'), "
    "'sweep': s.CELERY_BEAT_SCHEDULE['requeue-stuck-attempts']['schedule']}))"
)
CONFIG_VARIABLES = {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "EMAIL_BACKEND",
                    "DJANGO_SETTINGS_MODULE", "PASSERELLE_VAR_DIR", "PASSERELLE_BROKER_DIR", "CONN_MAX_AGE",
                    "DJANGO_ALLOW_ASYNC_UNSAFE", "REQUIRE_2FA", "CELERY_BROKER_SOCKET_TIMEOUT", "QUIZ_SWEEP_SECONDS"}


def run_python(code, settings_module="config.settings.dev", **env):
    clean = {key: value for key, value in os.environ.items() if key not in CONFIG_VARIABLES}
    clean.update(env, DJANGO_SETTINGS_MODULE=settings_module)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def read_settings(settings_module="config.settings.dev", **env):
    result = run_python(PRINT_SETTINGS, settings_module, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_defaults_need_no_server(tmp_path):
    settings = read_settings(PASSERELLE_VAR_DIR=str(tmp_path))

    assert settings["engine"] == "django.db.backends.sqlite3"
    assert settings["name"] == str(tmp_path / "passerelle.sqlite3")
    assert settings["broker"] == "filesystem://"
    assert settings["transport_options"]["data_folder_in"] == str(tmp_path / "broker" / "queue")
    assert settings["email"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["language"] == "fr"
    assert settings["debug"] is True
    assert settings["publish_retry"] is None and settings["broker_max_retries"] == "celery default"
    assert settings["sweep"] == 30.0


def test_the_environment_chooses_database_broker_hosts_and_mail():
    settings = read_settings(
        DATABASE_URL="postgres://passerelle@db.internal:5432/lms",
        CELERY_BROKER_URL="redis://cache.internal:6379/1",
        ALLOWED_HOSTS="lms.example.org, www.lms.example.org",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        CONN_MAX_AGE="120",
        DEBUG="false",
    )

    assert settings["engine"] == "config.postgresql"
    assert settings["name"] == "lms"
    assert settings["conn_max_age"] == 120
    assert settings["broker"] == "redis://cache.internal:6379/1"
    assert settings["hosts"] == ["lms.example.org", "www.lms.example.org"]
    assert settings["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert settings["debug"] is False


def test_a_redis_broker_never_holds_a_request_long_and_workers_never_give_up_on_it():
    settings = read_settings(CELERY_BROKER_URL="redis://cache.internal:6379/1", QUIZ_SWEEP_SECONDS="10")

    assert settings["transport_options"] == {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}
    assert settings["publish_retry"]["max_retries"] == 1
    assert settings["broker_max_retries"] is None
    assert settings["sweep"] == 10.0


def test_a_malformed_broker_timeout_is_refused_with_its_name():
    result = run_python(PRINT_SETTINGS, CELERY_BROKER_URL="redis://cache.internal:6379/1",
                        CELERY_BROKER_SOCKET_TIMEOUT="une seconde")
    assert result.returncode != 0
    assert "CELERY_BROKER_SOCKET_TIMEOUT must be a number of seconds" in result.stderr


def test_a_malformed_boolean_is_refused_with_its_name():
    result = run_python(PRINT_SETTINGS, DEBUG="peut-être")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


@pytest.mark.parametrize("secret", [None, "", "django-insecure-" + "x" * 60, "court"])
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    env = {"ALLOWED_HOSTS": "lms.example.org"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    result = run_python(PRINT_SETTINGS, "config.settings.production", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_check_deploy_without_a_warning():
    clean = {key: value for key, value in os.environ.items() if key not in CONFIG_VARIABLES}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY=secrets.token_urlsafe(50),
                 ALLOWED_HOSTS="lms.example.org")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_workers_reuse_their_database_connection_between_tasks():
    from celery.fixups.django import DjangoWorkerFixup

    from config.celery import app

    assert DjangoWorkerFixup(app).db_reuse_max == 200
