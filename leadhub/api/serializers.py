"""Request-body building blocks shared by the partner API's serializers."""
from collections.abc import Mapping

from rest_framework import serializers

from leadhub.api.exceptions import MalformedRequest


def unknown_fields_check(data, accepted) -> None:
    """A 400 naming every body field not in `accepted`: a misspelled field must not be ignored
    (provider webhooks are the exception: they keep unknown fields in the raw payload)."""
    if not isinstance(data, Mapping):
        return
    unknown = sorted(set(data) - set(accepted))
    if unknown:
        raise MalformedRequest({field: ["Unknown or read-only field."] for field in unknown})


class StrictSerializer(serializers.Serializer):
    """Refuses body fields it cannot write, by name (400), before validating the values (422).

    The check raises even from `is_valid()` without `raise_exception`: an unknown field makes the
    request malformed, which is not one of the value errors `.errors` reports."""

    def is_valid(self, *, raise_exception=False):
        unknown_fields_check(self.initial_data, [field.field_name for field in self._writable_fields])
        return super().is_valid(raise_exception=raise_exception)


class StrictModelSerializer(StrictSerializer, serializers.ModelSerializer):
    pass


class UnknownFieldSerializer(serializers.Serializer):
    """A field a webhook post carried that no field of the endpoint is known by."""

    field = serializers.CharField(help_text="The field as you sent it (`utm.term` for a key inside an object).")
    did_you_mean = serializers.CharField(allow_null=True, help_text="The field it most likely meant, or null.")
