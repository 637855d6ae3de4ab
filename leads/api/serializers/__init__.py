"""Lead API serializers by resource: `webhook` and `partner`, as in `leads.api.views`."""
