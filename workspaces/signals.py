"""Signals the delivery module sends, so higher apps can react without workspaces importing them.

`delivery_recorded(sender=OutboundEvent, event=<OutboundEvent>, attempt=<DeliveryAttempt|None>)`
is sent inside the transaction that stores an event's new delivery state: after every HTTP
attempt (`attempt` set), and when an event is stored or marked `skipped` or queued again
(`attempt` None). Receivers write in that same transaction (appointments mirror their forward
status this way).
"""
from django.dispatch import Signal

delivery_recorded = Signal()
