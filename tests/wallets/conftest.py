"""The web tests' world (an organization, its coach, a participant with a badge, and another
organization's) for the wallet tests."""

from tests.web.conftest import client_factory, coach_client, world

__all__ = ["client_factory", "coach_client", "world"]
