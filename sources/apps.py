from django.apps import AppConfig


class SourcesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sources"
    verbose_name = "Lead sources' view"

    def ready(self):
        from distribution.signals import lead_sold
        from ledger.signals import entries_recorded
        from returns.signals import return_approved
        from sources import receivers
        from sources.postbacks import POSTBACK_TARGET, postback_target
        from workspaces.delivery import outbound_target_register

        outbound_target_register(kind=POSTBACK_TARGET, resolve=postback_target)
        lead_sold.connect(receivers.sold_lead_postback, dispatch_uid="sources.sold_lead_postback")
        entries_recorded.connect(receivers.chargeback_postback, dispatch_uid="sources.chargeback_postback")
        return_approved.connect(receivers.returned_lead_postback, dispatch_uid="sources.returned_lead_postback")
