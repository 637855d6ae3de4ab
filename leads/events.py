"""What leadhub tells partners about a lead: the `data` of lead.* outbound events.

Internal columns (raw payload, the posting server's IP and agent, ops notes) never leave leadhub;
the consumer's IP and user agent and the consent evidence do, so a buyer can claim the consent.
"""

LEAD_EVENT_FIELDS = (
    "webhook_id", "lead_type", "first_name", "last_name", "email", "phone", "address", "address2",
    "city", "state", "zip_code", "source", "campaign_id", "utm_source", "utm_medium", "utm_campaign",
    "subsource", "landing_page_url", "productid", "monthly_electric_bill", "property_type",
    "roof_condition", "roof_age", "shade_coverage", "system_type", "system_age", "service_type",
    "urgency", "property_size", "policy_type", "coverage_amount", "current_premium", "property_value",
    "claims_history", "consent_description", "consent_value", "tcpa_compliance", "status",
    "priority", "workspace_id", "workspace_status", "workspace_assigned_at", "created_at",
    "ip_address", "user_agent", "trustedform_cert_url", "jornaya_leadid", "evidence_invalid",
)


def lead_event_data(lead, access=None) -> dict:
    """The lead as partners see it; with `access`, as that holder sees it: its own status,
    priority and accept/reject, and no other workspace's id."""
    data = {"lead_id": lead.pk, "external_id": lead.external_id, "contact_id": lead.contact_id,
            **{name: getattr(lead, name) for name in LEAD_EVENT_FIELDS}}
    if access is not None:
        data.update(
            status=access.status, priority=access.priority, workspace_status=access.workspace_status,
            workspace_id=access.workspace_id, workspace_assigned_at=access.granted_at,
        )
    return data
