import re
from pathlib import Path

from rete import audit

RETE = Path(__file__).resolve().parent.parent / "rete"


def recorded(pattern: str) -> set[str]:
    found = set()
    for source in RETE.rglob("*.py"):
        found |= set(re.findall(pattern, source.read_text()))
    return found


def test_every_recorded_action_has_an_italian_label():
    actions = recorded(r'audit\.record\(\s*(?:session|self\.session),\s*"([a-z_]+)"')
    actions |= recorded(r'\.audit\(\s*"([a-z_]+)"')  # through the write path
    assert actions, "the pattern must find the calls"
    assert actions <= set(audit.ACTION_LABELS)


def test_every_audited_kind_of_record_has_an_italian_label():
    entities = recorded(r'entity="([a-z_]+)"')
    entities |= recorded(r'\.audit\(\s*"[a-z_]+",\s*"([a-z_]+)"')
    assert entities and entities <= set(audit.ENTITY_LABELS)
