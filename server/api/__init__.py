"""HTTP routes of /api/v1, thin over the service modules."""
