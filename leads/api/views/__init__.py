"""Lead API views by resource: `webhook` (providers post leads) and `partner` (workspaces work them)."""
