"""The partner directory: who in the network covers which need, where, and whom to call.

- `ranking`: which partners can take a need, best first, and why (the referral form and
  «Chi può aiutare?» share it).
"""

from rete.directory.ranking import (
    ContactCard,
    Proposal,
    active_partners,
    partner_contacts,
    propose_partners,
)

__all__ = [
    "ContactCard",
    "Proposal",
    "active_partners",
    "partner_contacts",
    "propose_partners",
]
