"""The manager space, under /organisations/<slug>/. Every view resolves its scope with
learners.access.manager_scope first: people outside it get a 404."""

from django.urls import path  # noqa: F401 - the sections below add their paths

urlpatterns = []
