from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class LearnersConfig(AppConfig):
    name = "learners"
    default = True  # this module holds another AppConfig (PasserelleUsersConfig, below)
    verbose_name = _("Apprenants et organisations")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from learners import content_changes
        from learners.roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, sender=self)
        post_migrate.connect(create_cache_tables, sender=self, dispatch_uid="learners-cache-tables")
        content_changes.connect()
        user_logged_in.connect(remember_admin_access, dispatch_uid="learners-admin-access")
        user_logged_in.connect(remember_manager_access, dispatch_uid="learners-manager-access")


def remember_admin_access(sender, request, user, **kwargs):
    """Pages show the admin link and toolbar from the session: no permission queries on
    every page for learners (the admin itself checks permissions on each request)."""
    if request is not None and hasattr(request, "session"):
        request.session["can_access_admin"] = user.has_perm("wagtailadmin.access_admin")


def remember_manager_access(sender, request, user, **kwargs):
    """The header's "Mon organisation" link, from the session: one query at login rather
    than one on every page."""
    from learners.access import managed_organisations

    if request is not None and hasattr(request, "session"):
        request.session["manages_organisation"] = managed_organisations(user).exists()


def create_cache_tables(sender, using="default", verbosity=1, **kwargs):
    """`migrate` also creates the tables of database caches (the rate-limit counters by
    default), so a fresh `make run` needs no extra step; existing tables are left alone."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=max(verbosity - 1, 0))


class PasserelleUsersConfig(WagtailUsersAppConfig):
    """Wagtail's users app, whose user screens record role changes and deletions in the
    audit log (INSTALLED_APPS lists this instead of "wagtail.users")."""

    default = False
    user_viewset = "learners.viewsets.AuditedUserViewSet"
