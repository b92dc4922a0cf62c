"""The ledger: every event of the log chained in log order, ``head_n = sha256(head_{n-1} ‖
the event exactly as stored)`` (``encoding``); the chain kept as the log grows
(``follower``, ``chain``), its head published, and ``ejournal verify`` (``verify``).
"""

from ejournal.ledger.chain import Chain, Head
from ejournal.ledger.chain import setup as setup_chain
from ejournal.ledger.follower import Follower, follow

__all__ = ["Chain", "Follower", "Head", "follow", "setup_chain"]
