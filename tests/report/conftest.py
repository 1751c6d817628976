"""Fixtures of the report tests: a small SNGAN Table 2 of fake runs and the papers' references."""
import pytest

from repro.report import load_references

from fake_runs import FIXTURE_REFERENCES, sngan_table2


@pytest.fixture
def table(tmp_path):
    """(table TSV, runs root) of `fake_runs.sngan_table2`."""
    return sngan_table2(tmp_path)


@pytest.fixture
def refs(tmp_path):
    """The references of FIXTURE_REFERENCES, loaded as the shipped ones are."""
    path = tmp_path / "fixture_references.csv"
    path.write_text(FIXTURE_REFERENCES)
    return load_references(path)
