"""The Celery app. Tasks live in each app's tasks.py and are found automatically."""

import os

from celery import Celery

from config import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

# `filesystem://` means our atomic file transport, not kombu's stock one.
broker.register()

app = Celery("passerelle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
