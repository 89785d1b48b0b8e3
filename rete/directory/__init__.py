"""The partner directory: who in the network covers which need, where, and whom to call.

- `ranking`: which partners can take a need, best first, and why (the referral form and
  «Chi può aiutare?» share it).
- `edit`: adding, editing, verifying, deactivating and deleting partners, with their contact
  persons, coverage and places, validated.
"""

from rete.directory.edit import (
    CONTACT_CHANNELS,
    ContactInput,
    PartnerInput,
    create_partner,
    delete_partner,
    mark_verified,
    partner_input,
    set_active,
    update_partner,
)
from rete.directory.ranking import (
    ContactCard,
    Proposal,
    active_partners,
    partner_contacts,
    propose_partners,
)

__all__ = [
    "CONTACT_CHANNELS",
    "ContactCard",
    "ContactInput",
    "PartnerInput",
    "Proposal",
    "active_partners",
    "create_partner",
    "delete_partner",
    "mark_verified",
    "partner_contacts",
    "partner_input",
    "propose_partners",
    "set_active",
    "update_partner",
]
