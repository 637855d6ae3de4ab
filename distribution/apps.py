from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "distribution"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from leads.compliance_record import lead_compliance_section_register
        from leads.handoff import lead_distributor_register
        from leads.selectors import lead_timeline_section_register
        from suppression.services import purchase_check_register

        from . import receivers  # connects the release and delivery hooks and the routing-rule sync
        from . import strategies  # noqa: F401  (names the strategies the webhook's field accepts)
        from .compliance_record import lead_decision_entries, lead_delivery_entries, lead_sale_entries
        from .selectors import lead_decision_items, workspace_bought

        lead_distributor_register(accepted=receivers.distribute_accepted_lead, replayed=receivers.replayed_lead_price,
                                  wanted_by=receivers.lead_wanted_by)
        lead_timeline_section_register(kind="decision", order=1, read=lead_decision_items, staff_only=True)
        purchase_check_register(workspace_bought)
        lead_compliance_section_register(key="sales", title="Sales", order=70, read=lead_sale_entries)
        lead_compliance_section_register(key="deliveries", title="Deliveries (what was sent, and when)", order=80,
                                         read=lead_delivery_entries)
        lead_compliance_section_register(key="decisions", title="Distribution decisions", order=90,
                                         read=lead_decision_entries, staff_only=True)
