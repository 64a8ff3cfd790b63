"""People and the mentor pathway: mentors, their transitions, shadowing and matches."""
