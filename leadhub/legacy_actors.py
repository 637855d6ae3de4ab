"""Rewrite of audit values written before `leadhub.actors` existed, for each app's data migration.

Each app's migration rewrites its own tables with the historical model it was given; the ids
that tell a workspace from a user or a provider are looked up there and passed in.
"""
import re

from django.conf import settings
from django.db.models import Q

from leadhub.actors import KINDS, SYSTEM

ROUTING_RULE = re.compile(r"^system:routing:rule-(\d+)$")
BATCH = 1000


def legacy_actor(value, *, workspace_ids=(), usernames=(), provider_ids=(), workspace_id=None):
    """(actor, display name) for an old audit value.

    Known forms stay; `system:routing:...`, `system:forwarding` and `webhook:<id>` (an appointment
    without a provider) were leadhub itself; `admin:<name>`/`ops:<name>` were staff. A bare value
    is a workspace id (the partner API wrote those), else a username, else a provider id. Anything
    else on a row that belongs to a workspace was a partner's own user name taken from the request
    body: the actor becomes that workspace and the name is returned, to keep as the display name.
    A bare value placed nowhere is taken for a person (admin-only columns held plain usernames).
    Blank stays blank.
    """
    value = (value or "").strip()
    if not value:
        return "", ""
    kind, colon, rest = value.partition(":")
    if colon and kind in KINDS and rest:
        return value, ""
    if value == SYSTEM or (colon and kind in (SYSTEM, "webhook")):
        return SYSTEM, ""
    if colon and kind in ("admin", "ops") and rest:
        return f"staff:{rest}", ""
    if value in workspace_ids:
        return f"workspace:{value}", ""
    if value in usernames:
        return f"staff:{value}", ""
    if value in provider_ids:
        return f"provider:{value}", ""
    if workspace_id:
        return f"workspace:{workspace_id}", value
    return f"staff:{value}", ""


def _in_form(column):
    """Rows whose column already holds the one form (or nothing): skipped without being read."""
    done = Q(**{column: ""}) | Q(**{column: SYSTEM})
    for kind in KINDS:
        done |= Q(**{f"{column}__startswith": f"{kind}:"})
    return done


def actor_lookups(apps) -> dict:
    """What the old forms are checked against (`legacy_actor`'s keyword arguments), read through a
    migration's historical `apps`, which must include the providers app: the usernames, workspace
    ids and provider ids that exist."""

    def ids(app_label, model_name, field):
        return frozenset(apps.get_model(app_label, model_name).objects.values_list(field, flat=True))

    return {
        "usernames": ids(*settings.AUTH_USER_MODEL.split("."), "username"),
        "workspace_ids": ids("workspaces", "Workspace", "id"),
        "provider_ids": ids("providers", "LeadSourceProvider", "provider_id"),
    }


def actors_rewrite(model, *, lookups, columns=(), json_keys=(), json_column="", name_column="", workspace_of=None):
    """Rewrite `columns` (text) and `json_keys` of `json_column` of every row of `model`.

    `workspace_of(row)` names the workspace a row belongs to (a partner's name on it becomes that
    workspace, and the name goes to `name_column` when that is blank); a routing rule named in the
    old value (`system:routing:rule-7`) is kept as `routing_rule_id` in `json_column`.
    """
    rows = model.objects.none()
    for column in columns:
        rows |= model.objects.exclude(_in_form(column))
    for key in json_keys:
        rows |= model.objects.filter(**{f"{json_column}__has_key": key})
    fields = [*columns, *([json_column] if json_column else []), *([name_column] if name_column else [])]
    batch = []
    for row in rows.distinct().order_by("pk").iterator(chunk_size=BATCH):
        workspace_id = workspace_of(row) if workspace_of else None
        data = dict(getattr(row, json_column) or {}) if json_column else {}
        names = []
        for column in columns:
            setattr(row, column, _mapped(getattr(row, column), data, names, workspace_id, lookups))
        for key in json_keys:
            if isinstance(data.get(key), str):
                data[key] = _mapped(data[key], data, names, workspace_id, lookups)
        if name_column and names and not getattr(row, name_column):
            setattr(row, name_column, names[0])
        if json_column:
            setattr(row, json_column, data)
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        model.objects.bulk_update(batch, fields)


def _mapped(old, data, names, workspace_id, lookups):
    """The new form of `old`; a partner's display name goes to `names`, a routing rule to `data`."""
    actor, name = legacy_actor(old, workspace_id=workspace_id, **lookups)
    if name:
        names.append(name)
    if rule := ROUTING_RULE.match(old or ""):
        data.setdefault("routing_rule_id", int(rule.group(1)))
    return actor
