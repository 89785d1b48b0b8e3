"""The partner directory: who in the network covers which need, where, and whom to call.

- `ranking`: which partners can take a need, best first, and why (the referral form and
  «Chi può aiutare?» share it).
- `edit`: adding, editing, verifying, deactivating and deleting partners, with their contact
  persons, coverage and places, validated.
- `search`: finding partners (free text without accents or case, what they cover, where, kind),
  their cards, and each one's record in the network.
- `coverage`: «Copertura della rete»: needs against the partners covering them, the gaps,
  the partners unused in a period, the entries to check again.
- `excel`: the directory's contact persons as an Excel workbook to hand out.
"""

from rete.directory.coverage import (
    Coverage,
    coverage_by_area,
    coverage_by_need,
    coverage_section,
    gap_needs,
    network_gaps,
    partners_to_recheck,
    unused_partners,
)
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
from rete.directory.excel import directory_workbook
from rete.directory.ranking import (
    ContactCard,
    Proposal,
    active_partners,
    partner_contacts,
    propose_partners,
)
from rete.directory.search import (
    DirectoryPage,
    DirectoryQuery,
    PartnerCard,
    PartnerRecord,
    partner_cards,
    partner_records,
    search_partners,
)

__all__ = [
    "CONTACT_CHANNELS",
    "ContactCard",
    "ContactInput",
    "Coverage",
    "DirectoryPage",
    "DirectoryQuery",
    "PartnerCard",
    "PartnerInput",
    "PartnerRecord",
    "Proposal",
    "active_partners",
    "coverage_by_area",
    "coverage_by_need",
    "coverage_section",
    "create_partner",
    "delete_partner",
    "directory_workbook",
    "gap_needs",
    "mark_verified",
    "network_gaps",
    "partner_cards",
    "partner_contacts",
    "partner_input",
    "partner_records",
    "partners_to_recheck",
    "propose_partners",
    "search_partners",
    "set_active",
    "unused_partners",
    "update_partner",
]
