"""The admin's readable values (leadhub.admin) for templates: `{{ lead.phone|phone }}`, `{{ value|money }}`."""
from django import template

from leadhub.admin import money_display, percent_display, phone_display

register = template.Library()
register.filter("phone", phone_display)
register.filter("money", money_display)
register.filter("percent", percent_display)
