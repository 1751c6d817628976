"""The metric registry: one record per metric, and the report's constants derived from it."""
import dataclasses
import importlib

import numpy as np
import pytest

from repro.errors import UserError
from repro.metrics import registry
from repro.metrics.evaluate import score_features
from repro.metrics.extractor import Features
from repro.metrics.protocol import PROTOCOLS, Protocol, get_protocol

#: The report modules that read the registry, imported here, before any test registers a metric
#: (the package's own ``collect`` is a function, hence import_module).
REPORT = tuple(importlib.import_module(f"repro.report.{m}") for m in ("collect", "curves", "verdict", "tables"))


@pytest.fixture
def toy_family(monkeypatch):
    """A family registered for one test only: the mean feature norm (a made-up, judged metric)."""
    monkeypatch.setattr(registry, "FAMILIES", dict(registry.FAMILIES))
    monkeypatch.setattr(registry, "METRICS", dict(registry.METRICS))

    @registry.register("toy", [registry.Metric("mean_norm", "lower", decimals=1, label="|f|",
                                               curve_label="mean feature norm", degrade_slack=0.5,
                                               panel="toy")], networks=("digits",))
    def toy(inputs):
        return {"mean_norm": float(np.linalg.norm(inputs.fake.features, axis=1).mean())}

    return toy


def test_adding_a_metric_is_one_function_and_its_registration(toy_family):
    # the new metric shows up in every derived table of facts ...
    assert registry.directions()["mean_norm"] == "lower"
    assert registry.decimals()["mean_norm"] == 1 and registry.labels()["mean_norm"] == "|f|"
    assert registry.curve_labels()["mean_norm"] == "mean feature norm"
    assert registry.curve_labels()["fid"] == "FID"                # defaults to the table label
    assert registry.degrade_slack()["mean_norm"] == 0.5
    # ... and a protocol that names it computes it, after the metrics it already had
    p = dataclasses.replace(get_protocol("curve-digits"), metrics=("fid", "toy"))
    feats = Features(np.array([[3.0, 4.0]] * 3 + [[0.0, 1.0]] * 3), np.zeros((6, 10)))
    out = score_features(feats, p, np.zeros(2), np.eye(2))
    assert list(out) == ["fid", "mean_norm"] and out["mean_norm"] == pytest.approx(3.0)  # (5 + 1) / 2


def test_registration_clashes_and_unknown_names_are_refused(toy_family):
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("toy", [], networks=("digits",))(lambda i: {})
    with pytest.raises(ValueError, match="already registered"):
        registry.register("toy2", [registry.Metric("fid", "lower")], networks=("digits",))(lambda i: {})
    with pytest.raises(UserError, match="unknown metric 'fidd'; registered: fid, is_mean"):
        registry.get_metric("fidd")
    with pytest.raises(ValueError, match="direction"):
        registry.Metric("x", "up")


def test_a_protocol_names_only_registered_families_that_score_its_network():
    base = get_protocol("digits")
    with pytest.raises(ValueError, match="'nope' not registered"):
        base.replace(metrics=("fid", "nope"))
    with pytest.raises(ValueError, match="'mog' does not score digits"):
        base.replace(metrics=("mog",))
    # every registered protocol computes registered families that fit it
    for p in PROTOCOLS.values():
        assert p.metrics and all(p.network in registry.get_family(m).networks for m in p.metrics)
    # old records (written before `metrics` existed) read with their network's default
    record = {k: v for k, v in get_protocol("curve-digits").to_dict().items() if k != "metrics"}
    assert Protocol.from_dict(record).metrics == ("fid", "is")


def test_which_protocols_compute_precision_recall():
    # by default the offline final digits protocols (and their one-field variants) only: the
    # learning curves and the Inception protocols do not (recorded in repro/metrics/protocol.py)
    pr = {name for name, p in PROTOCOLS.items() if "pr" in p.metrics}
    assert pr == {"digits", "digits-2k", "digits-legacy", "digits-round", "digits-gtrain", "digits-1split"}


def test_headline_is_fid_for_images_and_modes_for_mixtures():
    assert registry.headline_of({"fid": 30.0, "is_mean": 7.0}) == ("fid", 1)
    assert registry.headline_of({"modes_covered": 6, "hq_fraction": 0.5}) == ("modes_covered", -1)
    assert registry.headline_of({"is_mean": 7.0}) == (None, 1)


def test_a_metric_registered_after_import_reaches_the_report(toy_family, tmp_path, monkeypatch):
    """The report reads the registry where it uses it, not a snapshot taken at import
    (repro.report.collect and repro.report.curves are imported before the toy family is
    registered): a run's score of the new metric is collected, its curves make the default
    panel, and the panel carries the registered title."""
    from pathlib import Path

    import pandas as pd

    from repro import io

    collect, curves, _, _ = REPORT
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))
    from fake_runs import score, write_run

    run = write_run(tmp_path, "t", "r1", final=score(get_protocol("digits"), fid=12.0, mean_norm=2.5))
    assert collect.read_run(run)["final_mean_norm"] == 2.5
    points = pd.DataFrame({"row": ["a"] * 2, "column": ["x"] * 2, "step": [1, 2], "mean_norm": [3.0, 2.0]})
    assert curves.default_metrics(points) == ["mean_norm"]
    figures = []
    monkeypatch.setattr(io, "save_figure", lambda path, fig, **kw: figures.append(fig) or path)
    curves.plot_curves(points, tmp_path / "c", formats=("png",))
    assert [ax.get_title() for ax in figures[0].axes] == ["mean feature norm"]


def test_a_metric_registered_after_import_reaches_verdicts_and_tables(toy_family, tmp_path, monkeypatch):
    """repro.report.verdict and repro.report.tables (imported before the toy family registers)
    read its direction, degraded slack, decimals and label where they use them: mean_norm is
    lower-is-better, a run degrades past best x 1.25 + 0.5 (its slack), and the paper table
    shows its 3 seeds (2.0, 2.5, 3.0: mean 2.5, sd 0.5) at 1 decimal under the header ``|f|``."""
    from pathlib import Path

    _, _, verdict, tables = REPORT
    assert verdict.direction_of("mean_norm") == "lower"
    assert not verdict.is_degraded(2.0 * 1.25 + 0.49, 2.0, "mean_norm")
    assert verdict.is_degraded(2.0 * 1.25 + 0.51, 2.0, "mean_norm")
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))
    from fake_runs import run_row, score, write_run, write_tsv

    runs, rows = tmp_path / "runs", []
    for s, norm in enumerate((2.0, 2.5, 3.0)):
        rows.append(run_row(f"a{s}", "SN-GANs", "CIFAR-10", s))
        write_run(runs, "t", f"a{s}", seed=s, final=score(fid=30.0 + s, mean_norm=norm))
    df = REPORT[0].collect(write_tsv(tmp_path / "t.tsv", rows), runs)
    table = tables.paper_table(df, None, ["fid", "mean_norm"])
    assert table.loc["SN-GANs", ("CIFAR-10", "|f|", "ours")].startswith("2.5 ± 0.5"), table.to_dict()
