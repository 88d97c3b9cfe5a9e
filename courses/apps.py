from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Formations")

    def ready(self):
        from courses import publishing

        publishing.connect()
