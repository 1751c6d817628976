"""Experiment tables: bad rows stop everything with file, line and column; good rows become
run configs; the plan counts jobs."""
import csv
import shutil
from pathlib import Path

import pytest

from repro import experiments
from repro.experiments import TableError

from toy_workflow import copy_workflow, snakemake

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "config" / "tables" / "smoke_digits.tsv"


def _doctored(tmp_path, line: int, column: str, value: str) -> Path:
    """A copy of the smoke digits table with one cell changed (line 1 is the header)."""
    lines = SMOKE.read_text().splitlines()
    header = lines[0].split("\t")
    cells = lines[line - 1].split("\t")
    cells[header.index(column)] = value
    lines[line - 1] = "\t".join(cells)
    path = tmp_path / "bad.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_shipped_tables_are_valid():
    for tsv in sorted((ROOT / "config" / "tables").glob("*.tsv")):
        df = experiments.runs(tsv)
        assert len(df) > 0 and df.index.is_unique, tsv


@pytest.mark.parametrize("column, value, expect", [
    ("arch", "biggan", "sngan_cnn"),           # unknown model: the allowed ones are named
    ("norm_d", "spectral", "spectralnorm"),
    ("setting", "Z", "A, B, C"),
    ("seed", "-1", "minimum"),                 # schema: out of range
    ("g_updates", "many", "integer"),          # schema: wrong type
    ("run_id", "has space", "does not match"),
])
def test_bad_cell_names_file_line_and_column(tmp_path, column, value, expect):
    path = _doctored(tmp_path, 4, column, value)
    with pytest.raises(TableError) as e:
        experiments.validate(path)
    msg = str(e.value)
    assert str(path) in msg and "line 4" in msg and f"'{column}'" in msg and expect in msg


def test_duplicate_run_id_names_both_lines(tmp_path):
    first = SMOKE.read_text().splitlines()[1].split("\t")[0]
    path = _doctored(tmp_path, 5, "run_id", first)
    with pytest.raises(TableError, match=r"line 5, column 'run_id': duplicate run id .* \(first on line 2\)"):
        experiments.validate(path)


def test_missing_column(tmp_path):
    lines = [l.split("\t") for l in SMOKE.read_text().splitlines()]
    i = lines[0].index("dataset")
    path = tmp_path / "no_dataset.tsv"
    path.write_text("\n".join("\t".join(c[:i] + c[i + 1:]) for c in lines) + "\n")
    with pytest.raises(TableError, match=r"line 2, column 'dataset'.*required"):
        experiments.validate(path)


def test_old_column_norm_is_refused_naming_it(tmp_path):
    """``norm`` (D's treatment before issue 12) is no column (issue 22: old names are not read):
    a table that still says it is refused naming the column, and the line lists ``norm_d``."""
    lines = SMOKE.read_text().splitlines()
    old = tmp_path / "old.tsv"
    old.write_text("\n".join([lines[0].replace("\tnorm_d\t", "\tnorm\t")] + lines[1:]) + "\n")
    with pytest.raises(TableError, match=r"old.tsv, line 2, column 'norm': .*cannot be set.*norm_d"):
        experiments.validate(old)


def test_table_may_not_choose_the_device(tmp_path):
    lines = SMOKE.read_text().splitlines()
    path = tmp_path / "device.tsv"
    path.write_text("\n".join([lines[0] + "\tdevice"] + [l + "\tcuda" for l in lines[1:]]) + "\n")
    with pytest.raises(TableError, match="'device'.*cannot be set"):
        experiments.validate(path)


def test_cells_keep_their_types(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("run_id\tattention\tarch_kwargs\tlr_g\n"
                    "a\t8\t{bn_g: false}\t1e-4\n"
                    "b\t\t\t\n")
    df = experiments.read_table(path)
    assert df.loc[0, "attention"] == 8 and type(df.loc[0, "attention"]) is int
    assert df.loc[0, "arch_kwargs"] == {"bn_g": False} and df.loc[0, "lr_g"] == 1e-4
    assert df.loc[1, "attention"] is None and df.loc[1, "arch_kwargs"] is None


def test_row_config_and_seed_filter():
    df = experiments.runs(ROOT / "config" / "tables" / "smoke_mog.tsv", seeds=[1])
    assert list(df["seed"]) == [1, 1]
    cfg = experiments.row_config(ROOT / "config" / "tables" / "smoke_mog.tsv", df.index[0], device="cpu")
    assert cfg.seed == 1 and cfg.device == "cpu" and cfg.final_protocol == "mog"
    with pytest.raises(TableError, match="no run"):
        experiments.row_config(SMOKE, "nope")


def test_plan_counts_runs_and_gpu_hours():
    tables = {"smoke_digits": experiments.runs(SMOKE)}
    p = experiments.plan(tables)
    assert p.loc[0, "runs"] == len(SMOKE.read_text().splitlines()) - 1 and p.loc[0, "gpu_runs"] == 0 and p.loc[0, "gpu_hours_est"] == 0
    cfg = experiments.run_config({"dataset": "cifar10", "arch": "sngan_cnn", "setting": "A", "g_updates": 100000})
    # setting A: n_dis 5, so 100k updates cost 3x the per-update figure
    rate = experiments.GPU_S_PER_UPDATE["sngan_cnn"]  # assumed: no GPU named, none measured
    assert experiments.estimate_hours(cfg) == pytest.approx(100000 * rate * 3 / 3600)


@pytest.mark.slow
def test_snakemake_stops_on_a_bad_row_before_any_job(tmp_path):
    """The workflow's own validation reports the user's file line, and nothing runs."""
    work = copy_workflow(tmp_path / "wf")
    bad = _doctored(tmp_path, 3, "arch", "biggan")
    shutil.copy(bad, work / "config" / "tables" / "smoke_digits.tsv")
    out = snakemake(work, "--cores", "1", "-n", timeout=300)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "smoke_digits.tsv, line 3, column 'arch'" in text and "biggan" in text
    assert not (work / "runs").exists()


def test_every_shipped_run_can_be_evaluated_under_its_protocols():
    """Each run's protocols exist, and their real split exists for its dataset with enough
    images (a protocol needing 10,000 test images cannot score STL-10: its test split has 8,000)."""
    from repro import evaluator

    test_split_sizes = {"cifar10": 10_000, "stl10": 8_000}
    for tsv in sorted((ROOT / "config" / "tables").glob("*.tsv")):
        for _, row in experiments.runs(tsv).iterrows():
            if experiments.is_real(row):  # a real-data cell: validate() checked its protocol fits
                continue
            cfg = experiments.run_config(row)
            for kind, p in evaluator.protocols(cfg).items():
                if p is None or p.network == "mog":
                    continue
                if p.real_split == "test":
                    assert p.n_real <= test_split_sizes.get(cfg.dataset, 0), (tsv.name, row["run_id"], kind, p.name)


@pytest.mark.parametrize("table", sorted(p.parent.name for p in (ROOT / "results").glob("*/*.provenance.csv")))
def test_published_runs_hash_as_their_table_rows(table):
    """batch_size_g, optim and attention_variant were added after some of results/ was made: at
    their defaults every published run's config hash (its provenance row) is the hash of its
    table row under the one hash rule (the published hashes of the two older rules were migrated
    once by tools/migrate_config_hashes.py, which checks each against its row's old-rule hash)."""
    rows = list(csv.DictReader(open(ROOT / "results" / table / f"{table}.provenance.csv")))
    configs = {r["run_id"]: experiments.run_config(r)
               for _, r in experiments.validate(ROOT / "config" / "tables" / f"{table}.tsv").iterrows()}
    assert sorted(r["run_id"] for r in rows) == sorted(configs) and len(rows) >= 15
    for row in rows:
        cfg = configs[row["run_id"]]
        o = cfg.optimizer()
        assert (o["batch_size_g"], o["optim"]) == (o["batch_size"], "adam")
        assert row["config_hash"] == cfg.hash(), row["run_id"]
