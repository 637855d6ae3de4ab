"""When a consumer may be called: ops-editable calling windows and call-frequency limits.

One `calling_windows` row per (state, or `US` for the federal rule; weekday, or a dated holiday):
the local window calls may be made in (no window: no calls that day), from its effective date
(and until its end, when a law changed), with the statute or URL it comes from. A state's
rows narrow the federal ones; a rule not effective on the consumer's local date is ignored.
`call_frequency_limits` caps how many calling buyers one lead is sold to per window of hours.
"""
from django.core.exceptions import ValidationError
from django.db import models

from leadhub.models import TimeStampedModel, choices_constraint

FEDERAL = "US"


class Day(models.TextChoices):
    MON = "mon", "Monday"
    TUE = "tue", "Tuesday"
    WED = "wed", "Wednesday"
    THU = "thu", "Thursday"
    FRI = "fri", "Friday"
    SAT = "sat", "Saturday"
    SUN = "sun", "Sunday"
    HOLIDAY = "holiday", "Holiday (dated)"


WEEKDAYS = [Day.MON, Day.TUE, Day.WED, Day.THU, Day.FRI, Day.SAT, Day.SUN]  # date.weekday() order


class CallingWindow(TimeStampedModel):
    state = models.CharField(max_length=2, help_text="Two-letter state, or US for the federal rule.")
    day = models.CharField(max_length=7, choices=Day.choices)
    holiday = models.DateField(null=True, blank=True, help_text="The holiday's date (day = holiday only).")
    opens = models.TimeField(null=True, blank=True, help_text="Local time calls may start; empty: no calls that day.")
    closes = models.TimeField(null=True, blank=True, help_text="Local time calls must end by.")
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True, help_text="Last day in force; empty: still in force.")
    source = models.CharField(max_length=255, help_text="The statute or URL.")
    note = models.TextField(blank=True)

    class Meta:
        db_table = "calling_windows"
        ordering = ["state", "day", "holiday", "-effective_from"]
        constraints = [
            choices_constraint("calling_windows", "day", Day.choices),
            models.CheckConstraint(
                condition=models.Q(day=Day.HOLIDAY, holiday__isnull=False)
                | (~models.Q(day=Day.HOLIDAY) & models.Q(holiday__isnull=True)),
                name="calling_windows_holiday_dated",
            ),
            models.CheckConstraint(
                condition=models.Q(opens__isnull=True, closes__isnull=True)
                | models.Q(opens__isnull=False, closes__isnull=False, opens__lt=models.F("closes")),
                name="calling_windows_window",
            ),
        ]

    def __str__(self):
        when = self.holiday.isoformat() if self.holiday else self.get_day_display()
        hours = f"{self.opens:%H:%M}–{self.closes:%H:%M}" if self.opens else "no calls"
        return f"{self.state} {when}: {hours}"

    def clean(self):
        self.state = (self.state or "").strip().upper()
        if (self.day == Day.HOLIDAY) != (self.holiday is not None):
            raise ValidationError({"holiday": "A holiday row has a date; a weekday row has none."})
        if (self.opens is None) != (self.closes is None) or (self.opens and self.opens >= self.closes):
            raise ValidationError({"closes": "Give both times, opening before closing, or neither (no calls)."})
        if self.effective_until and self.effective_until < self.effective_from:
            raise ValidationError({"effective_until": "Ends before it takes effect."})


class CallFrequencyLimit(TimeStampedModel):
    state = models.CharField(max_length=2)
    max_calls = models.PositiveSmallIntegerField(help_text="Calling buyers one lead is sold to per window.")
    hours = models.PositiveSmallIntegerField(default=24)
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=255)
    note = models.TextField(blank=True)

    class Meta:
        db_table = "call_frequency_limits"
        ordering = ["state", "-effective_from"]
        constraints = [models.CheckConstraint(condition=models.Q(max_calls__gt=0, hours__gt=0),
                                              name="call_frequency_limits_positive")]

    def __str__(self):
        return f"{self.state}: at most {self.max_calls} calling buyers per {self.hours} h"
