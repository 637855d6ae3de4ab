"""Tenant isolation of /api/v1/conversions/ (the shared IsolationSuite)."""
from conversions.models import Conversion
from leadhub.api.testing import IsolationSuite
from leadhub.testing import assert_error, make_contact, make_conversion, make_lead


class TestConversionIsolation(IsolationSuite):
    url_names = ("partner-conversion-list", "partner-conversion-detail", "partner-conversion-void")
    list_url = "/api/v1/conversions/"
    detail_url = "/api/v1/conversions/{pk}/"
    filter_params = (
        lambda conversion: {"conversion_type": "contract"},
        lambda conversion: {"lead_id": conversion.lead_id},
        lambda conversion: {"contact_id": conversion.contact_id},
        lambda conversion: {"converted_at_after": "2000-01-01T00:00:00Z", "converted_at_before": "2999-01-01T00:00:00Z"},
        lambda conversion: {"voided": "false", "currency": "usd"},
    )
    write_requests = (
        ("patch", "/api/v1/conversions/{pk}/", {"conversion_value": "1.00"}),
        ("post", "/api/v1/conversions/{pk}/void/", {"reason": "not yours"}),
    )

    def make_object(self, workspace):
        lead = make_lead(make_contact(), workspace=workspace, workspace_status="assigned")
        return make_conversion(lead=lead, workspace=workspace, conversion_type="contract")

    def snapshot(self, obj):
        conversion = Conversion.objects.get(pk=obj.pk)
        return {"value": conversion.conversion_value, "voided_at": conversion.voided_at, "events": conversion.events.count()}

    def test_a_conversion_cannot_be_recorded_on_another_workspaces_lead_or_contact(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        lead = make_lead(make_contact(), workspace=workspace_a, workspace_status="assigned")
        for body in ({"lead_id": lead.pk}, {"contact_id": lead.contact_id}):
            response = client_b.post(
                self.list_url, {**body, "conversion_type": "sale", "conversion_value": "5.00"}, format="json"
            )
            assert_error(response, 404, code="not_found", field=list(body)[0])
        assert not Conversion.objects.exists()
