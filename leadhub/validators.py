"""Validators that keep JSON columns in the shape the seed schema documents."""
from django.core.exceptions import ValidationError


def validate_json_object(value):
    if not isinstance(value, dict):
        raise ValidationError("Must be a JSON object.", code="invalid_json_shape")


def validate_json_array(value):
    if not isinstance(value, list):
        raise ValidationError("Must be a JSON array.", code="invalid_json_shape")


def validate_string_array(value):
    validate_json_array(value)
    if not all(isinstance(item, str) and item.strip() for item in value):
        raise ValidationError("Must be a JSON array of non-empty strings.", code="invalid_json_shape")


def validate_optional_string_array(value):
    """`null` means "no restriction" (e.g. allowed_webhooks); otherwise an array of strings."""
    if value is not None:
        validate_string_array(value)
