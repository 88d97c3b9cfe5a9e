from django.apps import AppConfig
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = _("Accueil")

    def ready(self):
        from home import checks  # noqa: F401  registers the system checks
        from home.converters import IdConverter

        # `<id:…>` in every app's URLs: a database id that always fits 64 bits.
        register_converter(IdConverter, "id")
