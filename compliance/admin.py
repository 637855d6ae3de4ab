"""Calling rules admin: ops edit the windows, holidays and frequency limits (each with its
source); the windows' list warns when a state that bans calls on holidays has no holiday row
for the next HOLIDAY_HORIZON_DAYS days, so a lapsed list never silently allows holiday calls."""
from django.contrib import admin, messages

from leadhub.admin import BaseAdmin

from .models import CallFrequencyLimit, CallingWindow
from .selectors import holiday_states_uncovered


@admin.register(CallingWindow)
class CallingWindowAdmin(BaseAdmin):
    list_display = ["state", "day", "holiday", "opens", "closes", "effective_from", "effective_until", "source", "note"]
    list_filter = ["state", "day"]
    search_fields = ["state", "source", "note"]
    date_hierarchy = "holiday"

    def changelist_view(self, request, extra_context=None):
        for state, last in holiday_states_uncovered():
            messages.warning(request, f"{state} bans calls on state holidays but has no holiday row for the next "
                                      f"60 days (last: {last or 'none'}): add its coming holidays.")
        return super().changelist_view(request, extra_context)


@admin.register(CallFrequencyLimit)
class CallFrequencyLimitAdmin(BaseAdmin):
    list_display = ["state", "max_calls", "hours", "effective_from", "effective_until", "source"]
    search_fields = ["state", "source"]
