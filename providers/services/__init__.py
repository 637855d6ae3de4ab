"""Provider-side use cases (writes), one module per family; callers import from the family module.

- `keys`: a provider's API key, a webhook's signing secret.
- `usage`: accepted posts counted per provider, webhook and day.
- `rejected`: the log of refused posts (record, re-process, purge).
- `replay`: signature receipts (a signed post sent again gets its first answer back).
- `lifecycle`: a webhook config's soft delete, restore and final deletion.
- `mapping`: a webhook's field and value mapping rows compiled onto it (providers.mapping applies them).
"""
