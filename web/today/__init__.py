"""Each role's part of a partner's home page: what needs them today."""

from web.today import coordinator, mentor, supervisor, trainer

__all__ = ["coordinator", "mentor", "supervisor", "trainer"]
