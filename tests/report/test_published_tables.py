"""The registry-derived decimals, labels and directions render the published tables unchanged:
each results/ table is re-rendered from its own published verdicts and compared with the file."""
import shutil
from pathlib import Path

import pytest

from repro.report import rejudge

RESULTS = Path(__file__).resolve().parents[2] / "results"


@pytest.mark.parametrize("name", ["lsgan_mog", "sngan_digits"])
def test_published_tables_rerender_identically(name, tmp_path):
    src = RESULTS / name / f"{name}.verdicts.csv"
    shutil.copy(src, tmp_path / src.name)
    rejudge.write(tmp_path / src.name)
    for suffix in (".md", ".csv", ".tex", ".best.md", ".best.csv", ".best.tex"):
        published = RESULTS / name / f"{name}{suffix}"
        assert (tmp_path / published.name).read_text() == published.read_text(), published.name
