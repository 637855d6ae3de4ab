"""Vocabularies shared by more than one app (kept in the base layer so imports point down)."""
from django.db import models


class LeadType(models.TextChoices):
    SOLAR = "solar", "Solar"
    HVAC = "hvac", "HVAC"
    INSURANCE = "insurance", "Insurance"
