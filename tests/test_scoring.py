"""repro evaluate (repro.scoring): any source under any protocols, numbers equal to the trainer's."""
import json
import os
import re

import numpy as np
import pytest
import torch
from PIL import Image

from repro import io, rundir, scoring
from repro.cli import main
from repro.config import RunConfig
from repro.evaluator import sampler
from repro.metrics import evaluate as ev
from repro.scoring import SourceError, evaluate
from repro.train import train

DIGITS = dict(dataset="digits", resolution=16, arch="sngan_cnn", ch=4, norm_d="spectralnorm", setting="C",
              batch_size=16, g_updates=6, eval_every=3, log_every=3, ckpt_every=3, seed=3)
SHAPE = {"dataset": "digits", "resolution": 16, "ch": 4}
METRICS = ("fid", "is_mean", "is_std")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A finished digits run (the smoke cells' config, shorter and narrower), with G_best."""
    out = tmp_path_factory.mktemp("run") / "digits"
    train(RunConfig.from_dict(DIGITS), out, progress=False)
    return out


@pytest.fixture(scope="module")
def samples(run):
    """The final generator's 1,000 digits-protocol samples, as uint8 (N, 1, 16, 16), drawn by the
    trainer's sampler and seed -- what the run's scores.json was computed on."""
    cfg = RunConfig.load(run / "config.json")
    G = scoring._generator(cfg, torch.device("cpu"))
    G.load_state_dict(torch.load(run / "G_final.pt", weights_only=True))
    with ev.generator_mode(G, "eval"):
        return torch.cat(list(ev.generate(sampler(G, 0, torch.device("cpu")), 1000, cfg.seed, "cpu")))


def test_run_reproduces_its_scores_json_exactly(run):
    stored = json.loads((run / "scores.json").read_text())
    got = evaluate(run)["scores"]
    for kind in ("final", "best"):
        for m in METRICS:
            assert got[kind]["digits"][m] == stored[kind][m], (kind, m)
        assert got[kind]["digits"]["protocol_key"] == stored[kind]["protocol_key"]


def test_a_run_dir_of_before_norm_d_is_refused_naming_the_key(run, tmp_path, capsys):
    """A run directory written before issue 12 renamed ``norm`` to ``norm_d`` (its config.json
    says ``norm``) is not read under the new name since issue 22: ``repro evaluate --run`` stops
    with one ``error:`` line naming the key, before anything is scored."""
    import shutil

    old = tmp_path / "old"
    shutil.copytree(run, old)
    rec = json.loads((old / "config.json").read_text())
    rec["config"] = {("norm" if k == "norm_d" else k): v for k, v in rec["config"].items()}
    (old / "config.json").write_text(json.dumps(rec))
    assert main(["evaluate", "--run", str(old), "--protocol", "digits", "--out", str(tmp_path / "s.json")]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error:") and "'norm'" in err and "Traceback" not in err, err
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("damage", ["swapped G_final.pt", "edited score, seal removed"])
def test_evaluate_run_refuses_a_run_its_seal_does_not_vouch_for(run, tmp_path, damage):
    """Issue 24: a swapped G_final.pt was scored silently (FID 230.0 vs the sealed 276.9), and a
    scores.json with its seal key removed was trusted. Both are now one error naming the file."""
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(run, bad)
    if damage.startswith("swapped"):
        shutil.copy2(bad / rundir.G_BEST, bad / rundir.G_FINAL)
        named = rundir.G_FINAL
    else:
        scores = json.loads((bad / rundir.SCORES).read_text())
        scores["final"]["fid"] = 1.0
        del scores[rundir.SEAL]
        (bad / rundir.SCORES).write_text(json.dumps(scores))
        named = rundir.SCORES
    with pytest.raises(SourceError, match=f"{named}.*delete .*scores.json and rerun"):
        evaluate(bad)


def test_checkpoint_gives_the_runs_numbers(run):
    stored = json.loads((run / "scores.json").read_text())["final"]
    got = evaluate(checkpoint=run / "G_final.pt", arch="sngan_cnn", config=SHAPE, seed=DIGITS["seed"],
                   protocols="digits")["scores"]["final"]["digits"]
    assert all(got[m] == stored[m] for m in METRICS)


def test_png_folder_and_npz_score_like_the_generator(run, samples, tmp_path):
    stored = json.loads((run / "scores.json").read_text())["final"]
    folder = tmp_path / "png"
    folder.mkdir()
    for i, x in enumerate(samples):
        Image.fromarray(x[0].numpy(), mode="L").save(folder / f"{i:05d}.png")
    np.savez(tmp_path / "s.npz", samples.permute(0, 2, 3, 1).numpy())
    from_png = evaluate(images=folder, dataset="digits", protocols="digits")
    from_npz = evaluate(npz=tmp_path / "s.npz", dataset="digits", protocols="digits")
    for result in (from_png, from_npz):
        record = result["scores"]["images"]["digits"]
        assert all(record[m] == stored[m] for m in METRICS)
        assert result["source"]["n_images"] == 1000 and result["note"] is None


def _counting_factory(calls):
    def build(protocol, device):
        extractor = ev.build_extractor(protocol, device)
        inner = extractor.extract_batches

        def counted(batches):
            calls.append(protocol.name)
            return inner(batches)

        extractor.extract_batches = counted
        return extractor
    return build


def test_one_pass_per_shared_configuration_same_numbers_as_alone(run):
    names = ["digits", "curve-digits", "digits-2k", "digits-round"]
    calls = []
    together = evaluate(run, protocols=",".join(names), extractor_factory=_counting_factory(calls))
    # digits, curve-digits and digits-2k differ only in sample counts: one pass of 2,000 samples;
    # digits-round quantises differently: a second pass; each for the final and the best G
    assert sorted(calls) == sorted(["digits", "digits", "digits-round", "digits-round"])
    assert [p["n"] for p in together["passes"]] == [2000, 2000, 1000, 1000]
    for name in ("digits", "digits-2k", "digits-round"):  # curve-digits: a prefix like digits
        alone = evaluate(run, protocols=name)["scores"]
        for kind in ("final", "best"):
            assert all(together["scores"][kind][name][m] == alone[kind][name][m] for m in METRICS)


def test_all_protocols_of_the_dataset_and_the_cli_table(run, tmp_path, capsys):
    out = tmp_path / "scores.json"
    assert main(["evaluate", "--run", str(run), "--protocol", "all", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    record = json.loads(out.read_text())
    fits = [n for n, p in scoring.PROTOCOLS.items() if p.network == "digits"]
    assert record["protocols"] == fits and set(record["scores"]["final"]) == set(fits)
    assert record["source"]["files"]["G_final.pt"] == io.sha256_file(run / "G_final.pt")
    assert record["versions"]["torch"] == torch.__version__ and "numerics" in record
    assert all(f"| final       | {n} " in printed for n in fits)


def test_real_split_scores_its_first_n_and_says_so():
    result = evaluate(real="digits-16", protocols="all")
    assert result["source"]["n_images"] == 1797
    assert "used the first" in result["note"] and "digits: 1000" in result["note"]
    assert "skipped (more samples than images given): digits-2k" in result["note"]  # 2,000 > 1,797
    assert 1 < result["scores"]["images"]["digits"]["is_mean"] <= 10  # IS <= number of classes
    # fixed images: quantisation and G mode cannot change them, so those protocols share a pass
    assert len(result["passes"]) == 2  # clean and legacy_tensorflow resize


def _one_line_error(capsys, argv, *expected):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    for text in expected:
        assert text in err[0], (text, err[0])


def test_bad_sources_are_one_line_errors(run, tmp_path, capsys):
    with pytest.raises(SourceError, match="exactly one source"):
        evaluate(run, npz=tmp_path / "s.npz")
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_line_error(capsys, ["evaluate", "--images", str(empty), "--dataset", "digits"], str(empty), "no .png")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    Image.new("L", (16, 16)).save(mixed / "a.png")
    Image.new("L", (8, 8)).save(mixed / "b.png")
    _one_line_error(capsys, ["evaluate", "--images", str(mixed), "--dataset", "digits"],
                    str(mixed / "b.png"), "8x8", "16x16")
    grey = tmp_path / "grey"
    grey.mkdir()
    Image.new("L", (32, 32)).save(grey / "a.png")
    _one_line_error(capsys, ["evaluate", "--images", str(grey), "--dataset", "cifar10"],
                    str(grey), "grayscale", "3 channel")
    _one_line_error(capsys, ["evaluate", "--checkpoint", str(run / "G_final.pt"), "--arch", "sngan_cnn",
                             "--set", "dataset=digits", "--set", "resolution=16", "--set", "ch=8"],
                    str(run / "G_final.pt"), "ch=8", "shape")
    _one_line_error(capsys, ["evaluate", "--checkpoint", str(run / "G_final.pt"), "--arch", "sngan_resnet",
                             "--set", "dataset=digits", "--set", "resolution=16"],
                    str(run / "G_final.pt"), "arch sngan_resnet")
    np.savez(tmp_path / "nchw.npz", np.zeros((4, 1, 16, 16), np.uint8))
    _one_line_error(capsys, ["evaluate", "--npz", str(tmp_path / "nchw.npz"), "--dataset", "digits"],
                    "nchw.npz", "(N, H, W, C)", "transpose")
    np.savez(tmp_path / "float.npz", np.zeros((4, 16, 16, 1), np.float32))
    _one_line_error(capsys, ["evaluate", "--npz", str(tmp_path / "float.npz"), "--dataset", "digits"],
                    "float.npz", "float32", "uint8")
    np.savez(tmp_path / "few.npz", np.zeros((10, 16, 16, 1), np.uint8))
    _one_line_error(capsys, ["evaluate", "--npz", str(tmp_path / "few.npz"), "--dataset", "digits"],
                    "few.npz", "10 images", "1000")


def test_a_training_checkpoint_is_scored_as_its_generator(run):
    """Issue 24: `--checkpoint ckpt_*.pt` failed on the numpy RNG state a training checkpoint
    holds (torch's weights_only loading). The last checkpoint's G is the final G: same numbers."""
    from repro.rundir import ckpt_files

    stored = json.loads((run / "scores.json").read_text())["final"]
    last = ckpt_files(run / "checkpoints")[-1]
    got = evaluate(checkpoint=last, arch="sngan_cnn", config=SHAPE, seed=DIGITS["seed"])["scores"]["final"]["digits"]
    assert all(got[m] == stored[m] for m in METRICS)


def test_weak_requests_fail_before_any_scoring(run, samples, tmp_path, capsys):
    """Issue 24's weak cases of `repro evaluate`: each one `error:` line, before work (the
    extractor factory would count a pass: none is made)."""
    calls = []
    factory = _counting_factory(calls)
    (tmp_path / "d").mkdir()
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    cases = [({"out": tmp_path / "d"}, "is a directory"),
             ({"seed": 2**32}, "a sampling seed is 0 .. 4294967295"),
             ({"config": {**SHAPE, "seed": 3}}, "--set seed=... does not seed the samples")]
    if os.geteuid() != 0:  # root writes anywhere: the permission case is for everyone else
        cases.append(({"out": ro / "s.json"}, "is not writable"))
    for kw, expected in cases:
        args = {"checkpoint": run / "G_final.pt", "arch": "sngan_cnn", "config": SHAPE, **kw}
        with pytest.raises(SourceError, match=re.escape(expected)):
            evaluate(**args, extractor_factory=factory)
    assert calls == []
    one = tmp_path / "one.npz"
    np.savez(one, samples[:1].permute(0, 2, 3, 1).numpy())
    _one_line_error(capsys, ["evaluate", "--npz", str(one), "--dataset", "digits", "--protocol", "all"],
                    "1 images; every protocol of digits needs at least")
    whole = tmp_path / "whole.npz"
    np.savez(whole, samples.permute(0, 2, 3, 1).numpy())
    (tmp_path / "cut.npz").write_bytes(whole.read_bytes()[:5000])
    _one_line_error(capsys, ["evaluate", "--npz", str(tmp_path / "cut.npz"), "--dataset", "digits"],
                    "not a readable .npz")
    np.save(tmp_path / "arr.npy", samples.numpy())
    (tmp_path / "arr.npy").rename(tmp_path / "renamed.npz")
    _one_line_error(capsys, ["evaluate", "--npz", str(tmp_path / "renamed.npz"), "--dataset", "digits"],
                    "an .npy array, not an .npz archive")
