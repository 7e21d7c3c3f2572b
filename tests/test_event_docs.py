"""The field documentation is rendered from the event tables the mappers run, so it cannot
drift from the events: the shipped file is what the tables render now."""
from conftest import REPO_ROOT
from estreamer.events import FIELDS, PROFILES
from estreamer.events.docs import DEFAULT_PATH, render

SHIPPED = REPO_ROOT / DEFAULT_PATH


def test_the_shipped_field_documentation_is_rendered_from_the_tables():
    assert SHIPPED.read_text(encoding="utf-8") == render(), \
        "regenerate it: make docs"


def test_every_family_and_every_key_of_its_events_is_documented():
    text = render()
    for profile in set(PROFILES.values()):
        section = text.split(f"## {profile.family}\n", 1)[1].split("\n## ", 1)[0]
        for name in FIELDS[profile.family]:
            assert f"| `{name}` |" in section, f"{profile.family}: {name}"
