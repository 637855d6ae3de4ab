"""Form fields for the JSON columns ops configure, so nobody types JSON: a list of known values
as a multi-select (anything unknown is refused by name) and a flat object as key/value rows."""
import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join


class ChoiceListField(forms.MultipleChoiceField):
    """A JSON list of known values (scopes, event types, webhook ids) as checkboxes. A stored value
    no longer known is still shown, marked, so saving it again is refused with its name."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, choices, unknown_message="Unknown entry: {value}.", **kwargs):
        self.unknown_message = unknown_message
        super().__init__(choices=choices, required=False, **kwargs)

    def show_unknown(self, stored):
        known = {str(value) for value, _ in self.choices}
        extra = [(value, f"{value} (unknown: untick to save)") for value in stored or () if str(value) not in known]
        self.choices = [*self.choices, *extra]

    def validate(self, value):
        known = {str(choice) for choice, _ in self.choices if not str(_).endswith("(unknown: untick to save)")}
        unknown = [entry for entry in value if entry not in known]
        if unknown:
            raise ValidationError(self.unknown_message.format(value=", ".join(unknown)), code="invalid_choice")


class KeyValueWidget(forms.Widget):
    """Rows of key and value inputs, plus a few blank rows to add entries (save to get more)."""

    blank_rows = 3

    def format_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value) if value else {}
            except ValueError:
                return []
        if isinstance(value, dict):
            return [(key, item if isinstance(item, str) else json.dumps(item)) for key, item in value.items()]
        return list(value or [])

    def render(self, name, value, attrs=None, renderer=None):
        rows = [*self.format_value(value), *[("", "")] * self.blank_rows]
        body = format_html_join(
            "",
            '<tr><td><input type="text" name="{0}-key-{1}" value="{2}" aria-label="key" class="kv-key"></td>'
            '<td><input type="text" name="{0}-value-{1}" value="{3}" aria-label="value" class="vTextField kv-value">'
            "</td></tr>",
            ((name, index, key, item) for index, (key, item) in enumerate(rows)),
        )
        return format_html(
            '<table class="key-value" id="{}"><thead><tr><th>Key</th><th>Value</th></tr></thead><tbody>{}</tbody>'
            "</table>",
            (attrs or {}).get("id", name), body,
        )

    def value_from_datadict(self, data, files, name):
        rows, index = [], 0
        while f"{name}-key-{index}" in data:
            key, item = data[f"{name}-key-{index}"].strip(), data.get(f"{name}-value-{index}", "").strip()
            if key or item:
                rows.append((key, item))
            index += 1
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-key-0" not in data


class KeyValueField(forms.Field):
    """A flat JSON object edited as key/value rows. Values are text; a value typed as JSON (`[1, 2]`,
    `true`) is kept as that JSON value, and a stored number left as it was stays a number (so a
    ZIP typed as 02134 is never turned into one)."""

    widget = KeyValueWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        self.original = {}
        super().__init__(**kwargs)

    def to_python(self, rows):
        if isinstance(rows, dict):
            return rows
        result = {}
        for key, item in rows or ():
            if not key:
                raise ValidationError(f"The value '{item}' has no key.", code="missing_key")
            if key in result:
                raise ValidationError(f"The key '{key}' is there twice.", code="duplicate_key")
            result[key] = self._typed(key, item)
        return result

    def _typed(self, key, text):
        stored = self.original.get(key) if isinstance(self.original, dict) else None
        if stored is not None and not isinstance(stored, str) and json.dumps(stored) == text:
            return stored
        if text[:1] in "[{" or text in ("true", "false", "null"):
            try:
                return json.loads(text)
            except ValueError:
                pass
        return text

    def has_changed(self, initial, data):
        return (initial or {}) != self.to_python(data)

