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
    """Refuses body fields it cannot write, by name (400), before validating the values (422)."""

    def to_internal_value(self, data):
        unknown_fields_check(data, [field.field_name for field in self._writable_fields])
        return super().to_internal_value(data)


class StrictModelSerializer(StrictSerializer, serializers.ModelSerializer):
    pass
