"""Mentoring itself: the goals a match agrees with its mentee, the mentor's contact records, and how it ended."""
