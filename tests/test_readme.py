"""The documents' control tables are the code's own tables: regenerate and compare."""

from livedance import readme


def test_generated_sections_match_the_code():
    for path, names in readme.documents().items():
        text = path.read_text()
        assert readme.render(text, names) == text, f"{path.name} out of date: run python -m livedance.readme"


def test_every_section_is_in_its_document_and_not_empty():
    for name, body in readme.sections().items():
        assert f"<!-- generated: {name} -->" in readme.DOCUMENTS[name].read_text() and body.strip()


def test_the_readme_is_a_front_door():
    assert len(readme.README.read_bytes()) < 15_000
