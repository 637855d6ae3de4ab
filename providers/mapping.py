"""A source's payload read as leadhub's fields: the webhook's field and value mapping, and a POST's
query-string fields.

A source moving from another platform posts what it already posts: ops map its field names
(`Primary_Phone` is `phone`) and values (`Yes` is `true` for consent_value) per webhook, as rows
(`WebhookFieldMapping`, `WebhookValueMapping`). The rows are compiled onto the webhook
(`webhook.payload_mapping`, by `providers.services.mapping.webhook_mapping_refresh`), so a post
reads its mapping with the webhook's own row, however many rows there are.

`payload_map` is THE place a mapping is applied; every path that takes a source's payload
(webhook, test mode, re-processing, CSV import, the admin's sample post) reaches it through the
endpoint's cleaning (`leads.ingest.clean_lead`, `appointments.services.intake`), before validation.
Pure: no database access.
"""
from leadhub.payload_aliases import payload_key
from providers.handlers import MAPPING_TARGETS

MAPPING_TWICE = "Given twice with different values ('{first}' and '{second}')."


def mapping_target_error(name) -> str | None:
    """Why a mapping row's leadhub field names none (no endpoint reads it), with the field it most
    likely meant; None when one does. A typo is refused where ops type it, not found later in
    every post's `unknown_fields`."""
    key = payload_key(name)
    if not MAPPING_TARGETS or any(key in names for names, _suggest in MAPPING_TARGETS.values()):
        return None
    meant = next((hint for _names, suggest in MAPPING_TARGETS.values() if suggest and (hint := suggest(name))), None)
    return f"'{name}' is no leadhub field" + (f": did you mean '{meant}'?" if meant else ".")


def unknown_fields_refused(unknown: list) -> dict:
    """A `strict` webhook's refusal of the unknown fields `[{field, did_you_mean}]` of a post, per field."""
    def message(item):
        hint = f" Did you mean '{item['did_you_mean']}'?" if item["did_you_mean"] else ""
        return f"Unknown field: this webhook refuses fields it does not know.{hint}"
    return {item["field"]: [message(item)] for item in unknown}


def value_key(value) -> str:
    """A sent value as value mappings compare it: text without regard to case or surrounding
    spaces (`Yes`, `yes ` and `YES` are one; JSON true is `true`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower()


def mapping_compile(field_rows, value_rows) -> dict:
    """The stored form of a webhook's rows: `(source_field, field)` and `(field, source_value, value)`."""
    compiled = {}
    if fields := {payload_key(source): field for source, field in field_rows}:
        compiled["fields"] = fields
    values = {}
    for field, source_value, value in value_rows:
        values.setdefault(payload_key(field), {})[value_key(source_value)] = value
    if values:
        compiled["values"] = values
    return compiled


def mapped_name(mapping: dict, key) -> str:
    """The field a payload key is under the mapping (the key itself when no row names it)."""
    return (mapping or {}).get("fields", {}).get(payload_key(key), key)


def payload_map(payload, mapping: dict, *, field_of=None) -> tuple[dict, dict]:
    """(the payload with the webhook's field names and values mapped, {field: [message]}).

    A source field is renamed to its leadhub field; a value is replaced where a value row of its
    field names it (`field_of(key)` says which field a key is, for endpoints with aliases: an alias
    carries its field's value mapping too); one level of nesting (`consent: {value}`) is mapped as
    its flattened key. A renamed field that lands on a field also sent with another value is an
    error under that field, as a field sent twice is."""
    if not mapping or not isinstance(payload, dict):
        return payload, {}
    fields, values = mapping.get("fields", {}), mapping.get("values", {})
    mapped, sent_as, errors = {}, {}, {}
    for key, value in payload.items():
        name = fields.get(payload_key(key), key)
        if name in mapped and mapped[name] != value:
            errors[name] = [MAPPING_TWICE.format(first=sent_as[name], second=key)]
            continue
        mapped[name], sent_as[name] = value, key
    if values:
        def field_values(key):
            return values.get(payload_key((field_of(key) if field_of else None) or key))

        for name, value in mapped.items():
            if isinstance(value, dict):
                mapped[name] = {sub: _value_mapped(field_values(f"{name}_{sub}"), item) for sub, item in value.items()}
            else:
                mapped[name] = _value_mapped(field_values(name), value)
    return mapped, errors


def _value_mapped(rows, value):
    if not rows or isinstance(value, (dict, list)) or value is None:
        return value
    return rows.get(value_key(value), value)


def query_fields(query) -> dict:
    """A POST's query-string fields (a QueryDict) as a form body's: a repeated one is a list."""
    return {key: items[0] if len(items) == 1 else items for key, items in query.lists()}


def query_fields_merge(payload: dict, query: dict) -> dict:
    """The body with the query string's fields it does not name itself: where both name a field
    (as payload keys compare), the body wins."""
    if not query:
        return payload
    named = {payload_key(key) for key in payload}
    return {**{key: value for key, value in query.items() if payload_key(key) not in named}, **payload}
