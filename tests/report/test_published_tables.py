"""The registry-derived decimals, labels and directions render the published tables unchanged:
each results/ table is re-rendered from its own published verdicts and compared with the file."""
import shutil
from pathlib import Path

import pandas as pd
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


def test_verdicts_with_the_old_collapsed_column_are_read_as_degraded(tmp_path, monkeypatch, capsys):
    """A verdicts file published before the renames of issue 12 (degraded count in a column
    ``collapsed``, the paper's table label in ``table``) is rejudged and checked without a
    traceback: the counts come back under ``degraded`` as published, the tables render as
    published, and two such files cost one deprecation line per old name in all."""
    from repro import cli, deprecation

    monkeypatch.setattr(deprecation, "_told", set())
    name = "lsgan_mog"
    published = RESULTS / name / f"{name}.verdicts.csv"
    header, body = published.read_text().split("\n", 1)
    header = header.replace("paper,table,", "paper,paper_table,")  # the current names
    assert ",degraded," in header and "degraded)" in (RESULTS / name / f"{name}.md").read_text()
    old = [tmp_path / d / published.name for d in ("a", "b")]
    for p in old:
        p.parent.mkdir()
        p.write_text(header.replace(",degraded,", ",collapsed,").replace(",paper_table,", ",table,") + "\n" + body)
    assert cli.main(["check", str(old[0]), "--out", str(tmp_path / "check.txt")]) == 0
    assert cli.main(["rejudge", str(old[0].parent), str(old[1].parent)]) == 0
    err = capsys.readouterr().err
    assert err.count("deprecated:") == 2, err
    assert "column 'collapsed' is now 'degraded'" in err and "column 'table' is now 'paper_table'" in err
    assert (tmp_path / "check.txt").read_text() == (RESULTS / name / "check.txt").read_text()
    for p in old:
        assert p.read_text().split("\n", 1)[0] == header  # rewritten under the new names
        got = pd.read_csv(p)["degraded"].tolist()
        assert got == pd.read_csv(published)["degraded"].tolist() and sum(got) > 0
        for suffix in (".md", ".best.md"):
            assert (p.parent / f"{name}{suffix}").read_text() == (RESULTS / name / f"{name}{suffix}").read_text()


def test_verdicts_with_an_old_column_beside_its_new_one_are_refused(tmp_path, capsys):
    """``collapsed`` beside ``degraded``: which holds the counts cannot be told, so `repro check`
    says so in one error line naming both, instead of silently reading one of them."""
    from repro import cli

    published = RESULTS / "lsgan_mog" / "lsgan_mog.verdicts.csv"
    header, body = published.read_text().split("\n", 1)
    both = tmp_path / published.name
    both.write_text(header + ",collapsed\n" + "\n".join(l + ",0" for l in body.splitlines()) + "\n")
    assert cli.main(["check", str(both)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "'collapsed' and 'degraded' both given" in err[0], err
