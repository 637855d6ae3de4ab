"""Who acted, in the one form every audit column holds (`by`, `changed_by`, `performed_by`,
`created_by`, `deleted_by`, `voided_by`, `updated_by`):

- `staff:<username>`: a person, in the admin or with a staff API login;
- `workspace:<id>`: a partner, by its workspace API key;
- `provider:<id>`: a lead or appointment provider posting to a webhook;
- `system`: leadhub itself (routing, forwarding, scheduled tasks, management commands).

One form lets an auditor filter "everything workspace X did" across tables. The actor always
comes from who is authenticated, never from a request body: a partner's own user name is a
display name (`changed_by_name`, `created_by_name`), not an actor.
"""
SYSTEM = "system"
KINDS = ("staff", "workspace", "provider")


def actor_for_user(user) -> str:
    return f"staff:{user.get_username()}"


def actor_for_workspace(workspace) -> str:
    return f"workspace:{workspace.pk}"


def actor_for_provider(provider) -> str:
    return f"provider:{provider.provider_id}"


def provider_of_actor(actor: str) -> str:
    """The provider id of a `provider:<id>` actor; "" for any other."""
    kind, _, ident = (actor or "").partition(":")
    return ident if kind == "provider" else ""


def is_staff_actor(actor: str) -> bool:
    """Whether `actor` is a person of ours (admin or staff API login): ops, not a partner or provider."""
    return actor.startswith("staff:")


def actor_for_caller(user) -> str:
    """An API caller: a workspace key's user carries its `workspace`; anyone else is staff."""
    workspace = getattr(user, "workspace", None)
    return actor_for_workspace(workspace) if workspace is not None else actor_for_user(user)

