"""The HTTP layer of supervision, one module per sub-domain (supervision/people, sessions, incidents)."""
