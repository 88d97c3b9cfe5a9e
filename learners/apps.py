from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearnersConfig(AppConfig):
    name = "learners"
    verbose_name = _("Apprenants et organisations")

    def ready(self):
        from django.db.models.signals import post_migrate

        from learners.roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, sender=self)
