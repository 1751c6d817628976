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


def test_verdicts_under_the_names_before_issue_12_are_refused_in_one_line(tmp_path, capsys):
    """No old name is read any more (issue 22): a verdicts file with the paper's table label in
    ``table`` makes `repro check` say, in one error line, which column is missing."""
    from repro import cli

    published = RESULTS / "lsgan_mog" / "lsgan_mog.verdicts.csv"
    old = tmp_path / published.name
    old.write_text(published.read_text().replace(",paper_table,", ",table,", 1))
    assert cli.main(["check", str(old)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {old} is not a verdicts file: no column(s) ['paper_table']"), err


def test_rejudge_refuses_a_verdicts_file_without_a_column_it_writes_back(tmp_path, capsys):
    """`repro rejudge` writes every column of the verdicts back: a file without one (here
    ``spending``, which `repro check` does not read) is one error line, and is left as it was."""
    from repro import cli

    published = RESULTS / "lsgan_mog" / "lsgan_mog.verdicts.csv"
    old = tmp_path / published.name
    old.write_text(published.read_text().replace(",spending,", ",", 1))
    before = old.read_bytes()
    assert cli.main(["check", str(old)]) == 0  # what check reads is all there
    capsys.readouterr()
    assert cli.main(["rejudge", str(old)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {old} is not a verdicts file: no column(s) ['spending']"), err
    assert old.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [old.name]
