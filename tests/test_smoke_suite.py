"""The README's main job end to end: the smoke suite through Snakemake, offline, on this CPU.

Its check rule compares every cell with the smoke suite's own reference ranges
(config/references/smoke.csv), so a change that breaks training or metrics fails CI, naming
the cell. The results are shared with the SLURM test, which must reproduce them.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("smoke_mog", "smoke_digits")


def snakemake(*args, cwd=ROOT, timeout=1800):
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("smoke")
    dirs = [f"runs_dir={out}/runs", f"ckpt_dir={out}/checkpoints", f"results_dir={out}/results"]
    done = snakemake("--config", "suite=smoke", *dirs)
    return out, dirs, done


@pytest.mark.slow
def test_smoke_suite_runs_end_to_end_and_passes_its_check(smoke_run):
    out, _, done = smoke_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for table in TABLES:
        res = out / "results" / table
        verdicts = pd.read_csv(res / f"{table}.verdicts.csv")
        ranged = verdicts[verdicts["ref_kind"] == "regression"]
        assert len(ranged) >= 4 and set(ranged["verdict"]) == {"held"}, ranged.to_string()
        tsv = pd.read_csv(ROOT / "config" / "tables" / f"{table}.tsv", sep="\t")
        md = (res / f"{table}.md").read_text()
        assert all(str(label) in md for label in tsv["row"].unique())
        assert (res / f"{table}.curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (res / f"{table}.tex").read_text().count("\\begin{tabular}") == 1
        prov = pd.read_csv(res / f"{table}.provenance.csv")
        assert sorted(prov["run_id"]) == sorted(tsv["run_id"])
        assert "check:" in (res / "check.txt").read_text()
        for run in tsv["run_id"]:
            scores = json.loads((out / "runs" / table / run / "scores.json").read_text())
            assert scores["status"] == "completed"
            assert scores["final"]["protocol_name"] in ("mog", "digits")


@pytest.mark.slow
def test_smoke_check_fails_on_a_doctored_score_naming_the_cell(smoke_run, tmp_path):
    """Doctor one finished run's score: only the report and check rerun, and the check fails."""
    out, dirs, done = smoke_run
    assert done.returncode == 0
    work = tmp_path / "runs"
    shutil.copytree(out / "runs", work)
    for run in ("mog-ls-s0", "mog-ls-s1", "mog-ls-s2"):
        path = work / "smoke_mog" / run / "scores.json"
        scores = json.loads(path.read_text())
        scores["final"]["modes_covered"] = 0  # LSGAN "collapsed" to no mode at all
        path.write_text(json.dumps(scores))
    doctored = snakemake("--config", "suite=smoke", f"runs_dir={work}", f"ckpt_dir={out}/checkpoints",
                         f"results_dir={tmp_path}/results", "--allowed-rules", "report", "check", "all",
                         "--", f"{tmp_path}/results/smoke_mog/check.txt")
    assert doctored.returncode != 0
    text = doctored.stdout + doctored.stderr
    assert "FAIL" in text and "smoke_mog" in text and "LSGAN" in text and "modes_covered" in text
    assert not (tmp_path / "results" / "smoke_mog" / "check.txt").exists()


@pytest.mark.slow
def test_snakemake_report_bundles_the_results(smoke_run, tmp_path):
    """`snakemake --report` (pygments: the `reports` extra) gathers the report() outputs offline."""
    out, dirs, done = smoke_run
    assert done.returncode == 0
    html = tmp_path / "report.html"
    made = snakemake("--config", "suite=smoke", *dirs, "--report", str(html))
    assert made.returncode == 0, made.stderr[-2000:]
    text = html.read_text(errors="replace")
    assert html.stat().st_size > 10_000 and "smoke_mog" in text
