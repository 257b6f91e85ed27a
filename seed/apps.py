from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SeedConfig(AppConfig):
    name = "seed"
    verbose_name = _("Seed and demo data")
