"""The README's main job end to end: the smoke suite through Snakemake, offline, on this CPU;
and the claim lane (suite smoke_claims, `make claims-check`, marker ``claims``: left out of
`make test`).

Its check rule compares every cell with the smoke suite's own reference ranges
(config/references/smoke.csv), so a change that breaks training or metrics fails CI, naming
the cell. The results are shared with the SLURM test, which must reproduce them.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from repro import rundir

ROOT = Path(__file__).resolve().parents[1]
#: the smoke tables with regression ranges, and their ranged cells x metrics (config/references/smoke.csv:
#: 2 mixture cells x modes, HQ, top-mode share; 3 digits cells x FID)
TABLES = {"smoke_mog_short": 6, "smoke_digits": 3}


def snakemake(*args, cwd=ROOT, timeout=1800):
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def _suite_run(suite, out):
    dirs = [f"runs_dir={out}/runs", f"ckpt_dir={out}/checkpoints", f"results_dir={out}/results"]
    return out, dirs, snakemake("--config", f"suite={suite}", *dirs)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    return _suite_run("smoke", tmp_path_factory.mktemp("smoke"))


@pytest.fixture(scope="session")
def claims_run(tmp_path_factory):
    """The claim lane; `make claims-check` points REPRO_CLAIMS_RUNS at the lane it just ran
    (Snakemake then finds nothing to do) instead of training the 20 runs again."""
    given = os.environ.get("REPRO_CLAIMS_RUNS")
    return _suite_run("smoke_claims", Path(given).resolve() if given else tmp_path_factory.mktemp("claims"))


@pytest.mark.slow
def test_smoke_suite_runs_end_to_end_and_passes_its_check(smoke_run):
    out, _, done = smoke_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for table in TABLES:
        res = out / "results" / table
        verdicts = pd.read_csv(res / f"{table}.verdicts.csv")
        ranged = verdicts[verdicts["ref_kind"] == "regression"]
        # none shown outside its range; with 2 seeds most cells stay undecided (listed, passing)
        final = ranged[ranged["checkpoint"] == "final"]
        assert len(final) == TABLES[table] and set(ranged["verdict"]) <= {"held", "inconclusive"}, ranged.to_string()
        assert ranged["ours_low"].notna().all()  # every one was compared: an interval exists
        tsv = pd.read_csv(ROOT / "config" / "tables" / f"{table}.tsv", sep="\t")
        prov = pd.read_csv(res / f"{table}.provenance.csv")
        md = (res / f"{table}.md").read_text()
        assert all(str(label) in md for label in tsv["row"].unique())
        assert (res / f"{table}.curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (res / f"{table}.tex").read_text().count("\\begin{tabular}") == 1
        assert sorted(prov["run_id"]) == sorted(tsv["run_id"])
        assert "check:" in (res / "check.txt").read_text()
        for run in tsv["run_id"]:
            scores = json.loads((out / "runs" / table / run / "scores.json").read_text())
            assert scores["status"] == "completed"
            assert scores["final"]["protocol_name"] in ("mog", "digits")
    # every D-treatment kind and the Wasserstein loss trained and scored (no range: fingerprints
    # guard their numbers, tests/test_fingerprint.py)
    treated = pd.read_csv(out / "results" / "smoke_treatments" / "smoke_treatments.provenance.csv")
    assert sorted(treated["run_id"]) == ["tr-ortho-C-s0", "tr-wc-C-s0", "tr-wgangp-C-s0"]
    # adaptive (start 1, cap 2): no cell has a range, so round 0 decides every cell at 1 seed
    rounds = sorted((out / "runs" / "smoke_treatments" / "rounds").glob("*.json"))
    last = json.loads(rounds[-1].read_text())
    assert len(rounds) == 1 and last["done"] and set(last["seeds_per_cell"].values()) == {1}
    # the claim path and the order rule ran
    assert "mog_modes" in (out / "results" / "smoke_mog_short" / "smoke_mog_short.claim.md").read_text()
    assert "order rule smoke_digits / fid: SN-GANs / C vs SN-GANs / F" in \
        (out / "results" / "smoke_digits" / "check.txt").read_text()
    # the "Real data" cell: real digits scored under the digits protocol, judged like any cell
    real = pd.read_csv(out / "results" / "smoke_real" / "smoke_real.verdicts.csv")
    final = real[real["checkpoint"] == "final"]
    judged = final[final["ref_kind"] == "regression"]
    assert sorted(judged["metric"]) == ["fid", "is_mean"] and set(judged["verdict"]) == {"held"}
    # precision/recall (the digits protocol computes them) are shown without a reference
    shown = final[final["ref_kind"] != "regression"]
    assert sorted(shown["metric"]) == ["precision", "recall"] and set(shown["verdict"]) == {"inconclusive"}


def test_smoke_suite_trains_every_loss_every_d_treatment_kind_and_attention():
    """Point 1 of issue 23, counted from the tables: every loss of repro.losses, every kind of
    D treatment (each field of repro.norms.Normalization), attention and both update rules."""
    import yaml

    from repro import experiments, losses, norms

    suite = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["suites"]["smoke"]
    cfgs = [experiments.run_config(row) for table in suite
            for _, row in experiments.runs(ROOT / "config" / "tables" / f"{table}.tsv").iterrows()
            if "arch" in row and row["arch"]]
    assert {c.loss for c in cfgs} == set(losses.LOSS_NAMES) == {"standard", "hinge", "wasserstein", "least_squares"}
    treatments = [norms.get_norm(c.networks()["norm_d"]) for c in cfgs]
    kinds = {k for n in treatments for k, on in (("weight", n.weight), ("feature", n.feature), ("clip", n.clip),
                                                 ("penalty", n.gp_lambda), ("orthonormal", n.ortho_beta)) if on}
    assert kinds == {"weight", "feature", "clip", "penalty", "orthonormal"}
    assert any(n.name == "none" for n in treatments)
    assert any(c.attention for c in cfgs) and {c.update for c in cfgs} == {"simultaneous", "alternating"}


def _doctor(work, table, runs, change):
    for run in runs:
        path = work / table / run / "scores.json"
        scores = json.loads(path.read_text())
        change(scores["final"], run)
        for key in ("files", rundir.SEAL):  # sealed again as the trainer would: a result, not damage
            scores.pop(key, None)
        rundir.RunDir(path.parent).seal(scores)


def _recheck(out, work, tmp_path, table, suite="smoke"):
    """Only report and check rerun on the doctored runs (the seed rounds are kept as they were)."""
    return snakemake("--config", f"suite={suite}", f"runs_dir={work}", f"ckpt_dir={out}/checkpoints",
                     f"results_dir={tmp_path}/results", "--allowed-rules", "report", "check", "all",
                     "--rerun-triggers", "input", "params", "--", f"{tmp_path}/results/{table}/check.txt")


@pytest.mark.slow
def test_smoke_check_fails_on_a_doctored_score_naming_the_cell(smoke_run, tmp_path):
    """Doctor finished runs' scores so that a cell is shown outside its range: the check fails."""
    out, dirs, done = smoke_run
    assert done.returncode == 0
    work = tmp_path / "runs"
    shutil.copytree(out / "runs", work)
    ls = sorted(p.name for p in (work / "smoke_mog_short").glob("ring-ls-s*"))
    _doctor(work, "smoke_mog_short", ls, lambda f, _: f.update(modes_covered=0))  # LSGAN covers no mode
    sn = sorted(p.name for p in (work / "smoke_digits").iterdir() if (p / "scores.json").exists()
                and json.loads((p / "config.json").read_text()).get("config", {}).get("norm_d") == "spectralnorm")
    _doctor(work, "smoke_digits", sn, lambda f, _: f.update(fid=5000.0 + len(sn)))  # SN-GANs broken
    for table, cell in (("smoke_mog_short", "LSGAN"), ("smoke_digits", "SN-GANs")):
        doctored = _recheck(out, work, tmp_path, table)
        assert doctored.returncode != 0
        text = doctored.stdout + doctored.stderr
        assert "FAIL" in text and table in text and cell in text and "WORSE" in text, text[-3000:]
        assert not (tmp_path / "results" / table / "check.txt").exists()


@pytest.mark.slow
@pytest.mark.claims
def test_claim_lane_runs_end_to_end_and_shows_the_lsgan_order(claims_run):
    out, _, done = claims_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    check = (out / "results" / "smoke_mog" / "check.txt").read_text()
    assert "order rule smoke_mog / modes_covered: LSGAN / ring vs regular GAN / ring: held" in check


@pytest.mark.slow
@pytest.mark.claims
def test_claim_lane_fails_when_the_lsgan_order_breaks(claims_run, tmp_path):
    """Break the published LSGAN claim on purpose -- least squares no better than the standard
    loss: LSGAN's runs get the regular GAN's scores, seed by seed. No cell leaves its range, but
    the order rule's test cannot show the claim at the cap of seeds, and the check fails."""
    out, dirs, done = claims_run
    assert done.returncode == 0
    work = tmp_path / "runs"
    shutil.copytree(out / "runs", work)
    std = {p.name.rsplit("-s", 1)[1]: json.loads((p / "scores.json").read_text())["final"]
           for p in (work / "smoke_mog").glob("mog-std-s*") if (p / "scores.json").exists()}
    ls = [f"mog-ls-s{k}" for k in std if (work / "smoke_mog" / f"mog-ls-s{k}" / "scores.json").exists()]
    _doctor(work, "smoke_mog", ls, lambda f, run: f.update(std[run.rsplit("-s", 1)[1]]))
    doctored = _recheck(out, work, tmp_path, "smoke_mog", suite="smoke_claims")
    assert doctored.returncode != 0
    text = doctored.stdout + doctored.stderr
    assert "ORDER RULE" in text and "LSGAN / ring must beat regular GAN / ring" in text, text[-3000:]


@pytest.mark.slow
def test_snakemake_report_bundles_the_results(smoke_run, tmp_path):
    """`snakemake --report` (pygments: the `reports` extra) gathers the report() outputs offline."""
    out, dirs, done = smoke_run
    assert done.returncode == 0
    html = tmp_path / "report.html"
    made = snakemake("--config", "suite=smoke", *dirs, "--report", str(html))
    assert made.returncode == 0, made.stderr[-2000:]
    text = html.read_text(errors="replace")
    assert html.stat().st_size > 10_000 and "smoke_mog_short" in text
    # captions (workflow/report/) with the table's name filled in
    assert "The table <strong>smoke_digits</strong> laid out as the paper prints it" in text
