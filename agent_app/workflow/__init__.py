"""The agent workflow: states, call sessions, campaigns and compliance rules. No widgets."""
