"""The demo's fixtures (account, signed-in alice, root keys), for pages seen in other languages and zones."""

from tests.demo.conftest import account, alice_client, root

__all__ = ["account", "alice_client", "root"]
