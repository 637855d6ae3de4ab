"""Conversion use cases (writes), one module per family; callers import from the family module.

- `create`: record a conversion (idempotent by Idempotency-Key, valued in USD).
- `changes`: change or void one.
- `aggregates`: the contact and workspace aggregates (their one writer, and their repair).
- `common`: what they share (the refusals, money in USD, field checks, event shapes).

Invariant kept here: for every contact and workspace, the stored aggregates (`conversion_count`
/ `lifetime_value`, `total_conversions` / `total_revenue`) equal COUNT / SUM of `conversion_value`
over its non-void conversions. Each service locks the contact row first (so concurrent
conversions of one person queue up), then moves the aggregates by the delta with F()
expressions in the same transaction as the rows. Lock order is always contact → conversion →
lead → workspace, the order `people.services.contact_purge` uses too.

Money is Decimal throughout. Aggregates are in USD: a conversion reported in another currency is
valued with the rate-table rate of its `converted_at` day (UTC); the reported amount and currency
stay on the row (`original_value`, `original_currency`, `exchange_rate`).
"""
