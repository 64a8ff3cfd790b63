from tests.training.scenario import *  # noqa: F403
