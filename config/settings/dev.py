"""Settings for one machine: `make run`. Debug on, an insecure key of its own."""

from .base import *  # noqa: F401,F403
from .environment import env_bool, env_str

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "django-insecure-passerelle-local-development-only")
