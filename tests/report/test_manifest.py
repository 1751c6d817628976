"""Published results sealed (issue 24): a forged number or table line is caught by `repro check`
and refused by `repro rejudge`; `repro publish` seals a folder with the runs each row came from."""
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from repro import rundir
from repro.cli import main
from repro.report import manifest
from repro.report.tables import write_report

from fake_runs import run_row, score, write_run, write_tsv

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results"


@pytest.mark.parametrize("folder", sorted(p.name for p in RESULTS.iterdir() if p.is_dir()))
def test_every_published_folder_is_sealed_and_matches(folder):
    assert (RESULTS / folder / manifest.MANIFEST).is_file(), f"run `repro publish` for results/{folder}"
    assert manifest.problems(RESULTS / folder) == []


@pytest.fixture
def published(tmp_path):
    """A copy of the committed results/smoke_mog (its tables, verdicts and manifest)."""
    dest = tmp_path / "results" / "smoke_mog"
    shutil.copytree(RESULTS / "smoke_mog", dest)
    return dest


def _forge_mean(folder: Path) -> None:
    """Change one mean of the verdicts CSV (as issue 24: 0.5 -> 7.5), keeping it a valid CSV."""
    path = folder / "smoke_mog.verdicts.csv"
    v = pd.read_csv(path)
    v.loc[0, "mean"] = float(v.loc[0, "mean"]) + 7.0
    v.to_csv(path, index=False)


def _forge_table_line(folder: Path) -> None:
    path = folder / "smoke_mog.md"
    lines = path.read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("| ") and any(c.isdigit() for c in line))
    lines[i] = lines[i].replace("1", "7", 1) if "1" in lines[i] else lines[i].replace("0", "9", 1)
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("forge, named", [(_forge_mean, "smoke_mog.verdicts.csv"), (_forge_table_line, "smoke_mog.md")])
def test_check_fails_naming_a_forged_file(published, forge, named, capsys):
    assert main(["check", str(published)]) == 0
    forge(published)
    assert main(["check", str(published)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and f"{published / named} does not match its digest" in err


def test_rejudge_refuses_a_forged_row_and_reseals_an_honest_one(published, capsys):
    before = (published / "smoke_mog.verdicts.csv").read_bytes()
    assert main(["rejudge", str(published), "--confidence", "0.8"]) == 0  # derived again: sealed again
    assert manifest.problems(published) == []
    assert (published / "smoke_mog.verdicts.csv").read_bytes() != before  # the intervals are 80 % now
    _forge_mean(published)
    forged = (published / "smoke_mog.verdicts.csv").read_bytes()
    assert main(["rejudge", str(published)]) == 1
    assert "smoke_mog.verdicts.csv does not match its digest" in capsys.readouterr().err
    assert (published / "smoke_mog.verdicts.csv").read_bytes() == forged  # nothing re-rendered


def test_an_added_file_or_an_edited_manifest_is_caught(published):
    (published / "extra.md").write_text("not published\n")
    assert manifest.problems(published) == [f"{published / 'extra.md'} is not listed in "
                                            f"{published / manifest.MANIFEST} (added after publication)"]
    (published / "extra.md").unlink()
    record = json.loads((published / manifest.MANIFEST).read_text())
    record["runs"][0]["config_hash"] = "0" * 16
    (published / manifest.MANIFEST).write_text(json.dumps(record))
    assert manifest.problems(published) == [f"{published / manifest.MANIFEST} does not match its own seal "
                                            f"(edited or damaged)"]


def _suite_folder(tmp_path):
    """A table made from three sealed fake runs, as `repro report` leaves it under runs/results."""
    runs, rows = tmp_path / "runs", []
    for s in range(3):
        rows.append(run_row(f"sn-s{s}", "SN-GANs", "CIFAR-10", s))
        write_run(runs, "t", f"sn-s{s}", seed=s, final=score(fid=30.0 + s, is_mean=7.0, is_std=0.1))
    tsv = write_tsv(tmp_path / "t.tsv", rows)
    write_report(tsv, runs, tmp_path / "runs" / "results" / "t" / "t")
    return tmp_path / "runs" / "results" / "t", runs


def test_publish_records_each_rows_run_seal(tmp_path):
    source, runs = _suite_folder(tmp_path)
    (tmp_path / "results" / "t").mkdir(parents=True)
    (tmp_path / "results" / "t" / "README.md").write_text("hand-written\n")  # kept and sealed
    assert main(["publish", str(source), "--to", str(tmp_path / "results")]) == 0
    record = json.loads((tmp_path / "results" / "t" / manifest.MANIFEST).read_text())
    seals = {r["run_id"]: r["scores_seal"] for r in record["runs"]}
    assert seals == {f"sn-s{s}": json.loads((runs / "t" / f"sn-s{s}" / rundir.SCORES).read_text())[rundir.SEAL]
                     for s in range(3)}
    assert "README.md" in record["files"] and manifest.problems(tmp_path / "results" / "t") == []


def test_publish_refuses_a_row_whose_run_is_damaged(tmp_path, capsys):
    source, runs = _suite_folder(tmp_path)
    scores = json.loads((runs / "t" / "sn-s1" / rundir.SCORES).read_text())
    del scores[rundir.SEAL]
    (runs / "t" / "sn-s1" / rundir.SCORES).write_text(json.dumps(scores))
    assert main(["publish", str(source), "--to", str(tmp_path / "results")]) == 1
    assert "row 'sn-s1'" in capsys.readouterr().err
    assert not (tmp_path / "results" / "t").exists()  # nothing copied
