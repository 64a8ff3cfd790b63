"""Training pages: courses, their sessions and registers, the assessment grid and internal verification."""
