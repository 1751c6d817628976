"""Order rules of paper tables (config/references/order_rules.yaml) judged on per-seed values by
repro.report.order_test through repro.report.check: fake verdicts files with known truth."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from repro import cli
from repro.report.cells import VERDICT_COLUMNS
from repro.report.check import OrderRulesError, check_order_rules, load_order_rules, order_tests
from repro.report.order_test import HELD, INCONCLUSIVE, REVERSED, worst_order_test

CONFIG = Path(__file__).resolve().parents[2] / "config"
SETTINGS = list("ABCDEF")


def _cell(table, row, column, values, metric="fid", verdict="inconclusive"):
    v = [float(x) for x in values]
    return {"paper_table": table, "row": row, "column": column, "metric": metric, "checkpoint": "final",
            "verdict": verdict, "ref_hard": False, "mean": float(np.mean(v)) if v else np.nan,
            "std": float(np.std(v, ddof=1)) if len(v) > 1 else np.nan, "n": len(v), "n_runs": len(v),
            "seeds_cap": None, "values": json.dumps(v)}


def _sweep(sn_fid, other_fid, n, seed=0, methods=("Weight clipping", "Layer Norm.")):
    """A fake SNGAN Fig. 1-2 sweep: every setting of SN-GANs ~ N(sn_fid, 1), of the others ~ N(other_fid, 1)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame([_cell("fig1a-2a", m, s, rng.normal(sn_fid if m == "SN-GANs" else other_fid, 1.0, n))
                         for m in ("SN-GANs", *methods) for s in SETTINGS], columns=list(VERDICT_COLUMNS))


def _worst_rules(methods=("Weight clipping", "Layer Norm.")):
    return [r for r in load_order_rules() if r["paper_table"] == "fig1a-2a" and r["worse"]["row"] in methods]


def test_a_reversed_sngan_rule_fails_check_naming_the_rule_and_its_source(tmp_path, capsys):
    # SN-GANs' every setting 10 FID worse than the others' at 7 seeds: the opposite order is clear
    wc = ("Weight clipping",)
    v = _sweep(40.0, 30.0, n=7, methods=wc)
    # through `repro check` on a fake verdicts file: exit 1, the rule and its source printed
    v.to_csv(tmp_path / "fake.verdicts.csv", index=False)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(_worst_rules(wc)))
    assert cli.main(["check", str(tmp_path / "fake.verdicts.csv"), "--order-rules", str(tmp_path / "rules.yaml")]) == 1
    out = capsys.readouterr().out
    assert "ORDER RULE REVERSED" in out and "SN-GANs / worst of A,B,C,D,E,F must beat Weight clipping" in out
    assert "source: SNGAN (Miyato et al. 2018" in out and "Figs. 1-2" in out


def test_the_papers_order_at_seven_seeds_is_held_and_passes():
    wc = ("Weight clipping",)
    v = _sweep(30.0, 40.0, n=7, methods=wc)
    [t] = order_tests(v, _worst_rules(wc)).to_dict("records")
    assert t["verdict"] == HELD, t["reason"]
    assert t["p"] == pytest.approx(6 / 3432)  # 6 x the exact permutation p of complete separation, 1/C(14, 7)
    assert check_order_rules(v, _worst_rules(wc)) == []


def test_at_three_seeds_no_worst_of_six_rule_can_hold_or_reverse():
    # exact permutation p >= 1/20 per pair, x 6 (Bonferroni over the worst cell): >= 0.3
    for sn, other in ((30.0, 40.0), (40.0, 30.0)):
        t = order_tests(_sweep(sn, other, n=3), _worst_rules())
        assert set(t["verdict"]) == {INCONCLUSIVE}
        assert (t["p"] >= 6 / 20 - 1e-12).all()


def test_a_diverged_cell_is_the_worst_and_a_verdicts_file_without_values_says_so():
    v = _sweep(30.0, 31.0, n=7, methods=("Weight clipping",))
    wc_d = (v["row"] == "Weight clipping") & (v["column"] == "D")
    v.loc[wc_d, ["verdict", "values"]] = ["diverged", "[]"]
    [t] = order_tests(v, _worst_rules(("Weight clipping",))).to_dict("records")
    assert t["verdict"] == HELD and t["p"] == 0.0  # every SN setting is finite: ahead of a diverged cell
    [t] = order_tests(v.drop(columns="values"), _worst_rules(("Weight clipping",))).to_dict("records")
    assert t["verdict"] == INCONCLUSIVE and "no per-seed values" in t["reason"]


def test_worst_order_test_on_identical_sweeps_holds_at_most_five_percent():
    """All 2 x 3 cells from one distribution (5 seeds each), the worst-vs-worst order at margin 0:
    held (and reversed) at most 5 % of the time (simulation with known truth)."""
    from scipy import stats

    rng = np.random.default_rng(11)
    trials, held, rev = 120, 0, 0
    for _ in range(trials):
        b = {s: rng.normal(size=5) for s in "ABC"}
        w = {s: rng.normal(size=5) for s in "ABC"}
        r = worst_order_test(b, w, 0.0, lower_is_better=True)
        held += r.verdict == HELD
        rev += r.verdict == REVERSED
    for k in (held, rev):
        assert stats.binomtest(k, trials, 0.05, alternative="greater").pvalue > 0.01, (held, rev)


def test_rules_of_several_columns_need_aggregate_worst(tmp_path):
    [rule] = _worst_rules(("Weight clipping",))
    bad = {k: v for k, v in rule.items() if k != "aggregate"}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump([bad]))
    with pytest.raises(ValueError, match="rule 1: aggregate: worst goes with sides of several columns"):
        load_order_rules(tmp_path / "bad.yaml")
    no_source = {k: v for k, v in rule.items() if k != "source"}
    (tmp_path / "ns.yaml").write_text(yaml.safe_dump([no_source]))
    with pytest.raises(ValueError, match=r"missing \['source'\]"):
        load_order_rules(tmp_path / "ns.yaml")


def test_no_rule_orders_cells_the_paper_shows_level():
    """SNGAN Table 2: Orthonormal is level with SN-GANs on CIFAR-10 (IS 7.40 vs 7.42) and ahead on
    STL-10; WGAN-GP is 2.0 FID behind on STL-10. SAGAN Table 1: no attention rule."""
    rules = load_order_rules()
    t2 = [(r["worse"]["row"], r["worse"]["column"]) for r in rules if r["paper_table"] == "table2"]
    assert not any(row.startswith("Orthonormal") for row, _ in t2)
    assert ("WGAN-GP", "STL-10") not in t2 and ("WGAN-GP", "CIFAR-10") in t2
    assert not [r for r in rules if r["paper_table"] == "table1"]
    assert all(r["source"] for r in rules)


def _order_frame(ls, gan, n=6, s=(1.0, 1.0), metric="modes_covered", cap=None):
    """Two cells whose per-seed values have exactly the given means and stds."""
    z = np.linspace(-1.0, 1.0, n)
    z = (z - z.mean()) / z.std(ddof=1)
    values = [json.dumps(list(m + sd * z)) for m, sd in zip((ls, gan), s)]
    return pd.DataFrame({"paper_table": "smoke_mog", "row": ["LSGAN", "regular GAN"], "column": "ring",
                         "metric": metric, "checkpoint": "final", "mean": [ls, gan], "std": list(s),
                         "n": n, "n_runs": n, "seeds_cap": cap, "verdict": "inconclusive",
                         "ref_hard": False, "values": values}, columns=list(VERDICT_COLUMNS))


ORDER_RULE = {"paper_table": "smoke_mog", "metric": "modes_covered", "checkpoint": "final", "margin": 0.5,
                  "better": {"row": "LSGAN", "column": "ring"}, "worse": {"row": "regular GAN", "column": "ring"},
                  "claim": "results/lsgan_mog", "source": "test", "why": "test"}


def test_order_rules_are_order_tests_on_per_seed_values(tmp_path, capsys):
    from scipy import stats

    from repro.report.check import order_tests

    rule = ORDER_RULE
    # 5 ± 1 vs 2 ± 1 over 6 seeds each: scipy's own Welch test of (better - margin) > worse
    [t] = order_tests(_order_frame(5.0, 2.0), [rule]).to_dict("records")
    ref = stats.ttest_ind_from_stats(5.0 - 0.5, 1.0, 6, 2.0, 1.0, 6, equal_var=False, alternative="greater")
    assert t["p"] >= ref.pvalue and t["p"] <= 0.05  # the larger of Welch's and the permutation test's
    assert t["verdict"] == HELD and check_order_rules(_order_frame(5.0, 2.0), [rule]) == []
    # equal means: no evidence either way -> inconclusive: listed, fails only strict or at the cap
    [t] = order_tests(_order_frame(3.0, 3.0), [rule]).to_dict("records")
    assert t["verdict"] == INCONCLUSIVE
    assert check_order_rules(_order_frame(3.0, 3.0), [rule]) == []
    assert len(check_order_rules(_order_frame(3.0, 3.0), [rule], strict=True)) == 1
    [msg] = check_order_rules(_order_frame(3.0, 3.0, cap=6), [rule])
    assert "ORDER RULE INCONCLUSIVE" in msg and "at their cap" in msg and "LSGAN / ring must beat" in msg
    # the opposite order shown: reversed, always fails
    [msg] = check_order_rules(_order_frame(1.0, 5.0), [rule])
    assert "ORDER RULE REVERSED" in msg
    # lower-is-better metrics flip the gap; a missing cell fails only strict; other tables are not touched
    kl = {**rule, "metric": "kl_uniform", "margin": 0.0}
    assert check_order_rules(_order_frame(0.5, 2.0, s=(0.2, 0.2), metric="kl_uniform"), [kl]) == []
    assert "REVERSED" in check_order_rules(_order_frame(2.0, 0.5, s=(0.2, 0.2), metric="kl_uniform"), [kl])[0]
    assert check_order_rules(_order_frame(5.0, 1.0).iloc[:1], [rule]) == []
    assert "no cell regular GAN / ring" in check_order_rules(_order_frame(5.0, 1.0).iloc[:1], [rule], strict=True)[0]
    assert check_order_rules(_order_frame(1.0, 5.0).assign(paper_table="other"), [rule]) == []
    # through `repro check`: the rules file is read and a reversed order rule fails
    (tmp_path / "d.yaml").write_text(yaml.safe_dump([rule]))
    _order_frame(1.0, 5.0).to_csv(tmp_path / "t.verdicts.csv", index=False)
    assert cli.main(["check", str(tmp_path / "t.verdicts.csv"), "--order-rules", str(tmp_path / "d.yaml")]) == 1
    assert "ORDER RULE REVERSED" in capsys.readouterr().out
    bad = {k: v for k, v in rule.items() if k != "why"}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump([rule, bad]))
    with pytest.raises(ValueError, match=r"rule 2: missing \['why'\]"):
        load_order_rules(tmp_path / "bad.yaml")


def test_order_rules_of_one_claim_are_holm_corrected():
    from repro.report.check import order_tests

    # two order rules of one claim, each with p < 0.05 alone: held one at a time, neither after
    # Holm (2 x the smaller p > 0.05)
    rule = {**ORDER_RULE, "margin": 0.0}
    top = {**rule, "metric": "top_mode_share"}
    frame = pd.concat([_order_frame(0.85, 0.0, n=10, s=(1.0, 1.0)),
                       _order_frame(0.0, 0.85, n=10, s=(1.0, 1.0), metric="top_mode_share")])
    alone = order_tests(frame, [rule])
    assert 0.025 < alone["p"].iloc[0] < 0.05 and alone["verdict"].iloc[0] == HELD
    both = order_tests(frame, [rule, top])
    assert both["p"].iloc[0] == pytest.approx(min(1.0, 2 * alone["p"].iloc[0]))
    assert list(both["verdict"]) == [INCONCLUSIVE, INCONCLUSIVE] and "Holm over 2" in both["reason"].iloc[0]
    # rules of another claim are another family
    apart = order_tests(frame, [rule, {**top, "claim": "another"}])
    assert apart["verdict"].iloc[0] == HELD


def test_shipped_order_rules_are_valid_and_name_real_cells():
    from repro.experiments import read_table

    tables = [read_table(p) for p in sorted((CONFIG / "tables").glob("*.tsv"))]
    by_label = {str(t["paper_table"].iloc[0]): t for t in tables}
    # SNGAN Table 2's standard-CNN cells come from the sweeps (config/config.yaml, selections)
    selections = yaml.safe_load((CONFIG / "config.yaml").read_text())["selections"]
    for target, sel in selections.items():
        label = str(read_table(CONFIG / "tables" / f"{target}.tsv")["paper_table"].iloc[0])
        for source, column in sel["from"].items():
            src = read_table(CONFIG / "tables" / f"{source}.tsv")
            by_label[label] = pd.concat([by_label[label], src.assign(column=column)])
    for r in load_order_rules():
        # the rule's paper_table is the paper-table label (the TSVs' `paper_table` column)
        tsv = by_label[r["paper_table"]]
        for side in ("better", "worse"):
            for column in r[side].get("columns", [r[side].get("column")]):
                cell = tsv[(tsv["row"] == r[side]["row"]) & (tsv["column"].astype(str) == str(column))]
                assert len(cell), (r["paper_table"], r[side], column)


def test_an_order_rule_under_its_old_key_table_is_refused(tmp_path):
    """No old name is read (issue 22): the shipped rules with ``table`` for ``paper_table`` are
    refused, naming the file, the rule and the missing key."""
    rules = CONFIG / "references" / "order_rules.yaml"
    old = tmp_path / rules.name
    old.write_text(rules.read_text().replace("- paper_table: ", "- table: "))
    with pytest.raises(OrderRulesError, match=r"order_rules.yaml, rule 1: missing \['paper_table'\]"):
        load_order_rules(old)


@pytest.mark.parametrize("edit, message", [
    (lambda rules: [{**rules[0], "checkpoint": "middle"}], r"rule 1: checkpoint must be one of final, best, got 'middle'"),
    (lambda rules: None, r"rules.yaml is empty; list the order rules, write \[\] for a suite with none"),
    (lambda rules: [{**rules[0], "margn": 1}], r"rule 1: unknown key\(s\) \['margn'\]"),
])
def test_a_rules_file_that_would_drop_a_claims_test_is_refused(tmp_path, capsys, edit, message):
    """Issue 24's weak cases: a rule at checkpoint 'middle', an empty rules file or a misspelt key
    used to drop the claim's test silently; each is now one error line naming the file (a suite
    with no rules says so: ``[]``)."""
    rules = load_order_rules(CONFIG / "references" / "order_rules.yaml")
    path = tmp_path / "rules.yaml"
    rules = edit(rules)
    path.write_text("" if rules is None else yaml.safe_dump(rules))
    with pytest.raises(OrderRulesError, match=message):
        load_order_rules(path)
    v = tmp_path / "t.verdicts.csv"
    v.write_text((Path(__file__).resolve().parents[2] / "results" / "smoke_mog" / "smoke_mog.verdicts.csv").read_text())
    assert cli.main(["check", str(v), "--order-rules", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "rules.yaml" in err and "Traceback" not in err
