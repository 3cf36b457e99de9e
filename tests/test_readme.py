"""The README's control tables are the code's own tables: regenerate and compare."""

from livedance import readme


def test_generated_sections_match_the_code():
    text = readme.README.read_text()
    assert readme.render(text) == text, "README out of date: run python -m livedance.readme"


def test_every_section_is_in_the_readme_and_not_empty():
    text = readme.README.read_text()
    for name, body in readme.sections().items():
        assert f"<!-- generated: {name} -->" in text and body.strip()
