"""Progress of a long `repro train`: a line per log interval when stderr is not a terminal."""
import re

from repro.config import RunConfig
from repro.train import _hms, train

MOG = dict(dataset="mog_ring", resolution=0, arch="mlp", norm_d="none", loss="least_squares", ls_coding="iccv",
           setting="lsgan_mog", update="simultaneous", g_updates=30, eval_every=30, sample_every=0,
           log_every=10, ckpt_every=15, seed=0, eval_protocol="mog", final_protocol="mog")


def test_plain_progress_prints_a_line_per_log_interval(tmp_path, capsys):
    train(RunConfig.from_dict(MOG), tmp_path / "run", progress=False)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("step ")]
    # the trainer logs at every multiple of log_every or ckpt_every, and at the end: 10, 15, 20, 30
    steps = [int(re.match(r"step (\d+)/30 ", line).group(1)) for line in lines]
    assert steps == [10, 15, 20, 30], lines
    pattern = r"step \d+/30 \(\d+%\)  loss_d -?\d+\.\d{4}  loss_g -?\d+\.\d{4}  \d+\.\d\d it/s  eta \d+:\d\d:\d\d"
    assert all(re.fullmatch(pattern, line) for line in lines), lines
    assert lines[1].startswith("step 15/30 (50%)") and lines[-1].endswith("eta 0:00:00")


def test_eta_reads_as_hours_minutes_seconds():
    assert [_hms(s) for s in (0, 59.6, 245, 3600 * 26 + 61)] == ["0:00:00", "0:01:00", "0:04:05", "26:01:01"]
