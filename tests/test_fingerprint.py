"""Numerics fingerprints (repro.fingerprint): a tiny run's losses and final weights, per CPU ISA."""
import dataclasses

from repro import fingerprint, losses


def _perturbed_least_squares(monkeypatch, rel):
    """least_squares' D loss times (1 + rel): a change far below any range over seeds."""
    real_get = losses.get_loss

    def get_loss(name, ls_coding="iccv"):
        loss = real_get(name, ls_coding)
        if name != "least_squares":
            return loss
        return dataclasses.replace(loss, d=lambda r, f: loss.d(r, f) * (1 + rel))

    monkeypatch.setattr(losses, "get_loss", get_loss)


def test_a_1e_6_relative_change_of_a_loss_fails_naming_the_run(monkeypatch):
    recorded = fingerprint.record(["mog-ls", "mog-std"])
    assert fingerprint.compare(recorded, fingerprint.record(["mog-ls", "mog-std"])) == []  # deterministic
    _perturbed_least_squares(monkeypatch, 1e-6)
    failures = fingerprint.compare(recorded, fingerprint.record(["mog-ls", "mog-std"]))
    # only the least-squares run moved; the standard-loss run is untouched
    assert len(failures) == 1, failures
    assert failures[0].startswith("numerics changed for mog-ls (smoke_mog_short/ring-ls-s0)")
    assert "if intended, refresh with repro fingerprint --refresh" in failures[0]
    d_before = recorded["runs"]["mog-ls"]["losses"]["1"][0]
    assert f"losses at step 1 [{d_before}," in failures[0]  # the very first loss moved


def test_check_passes_unchanged_and_fails_changed_against_a_recorded_file(monkeypatch, tmp_path):
    monkeypatch.setattr(fingerprint, "RUNS", {"mog-ls": fingerprint.RUNS["mog-ls"]})
    written = fingerprint.refresh(tmp_path)
    assert written.name == f"{fingerprint.isa()}.json"
    status, lines = fingerprint.check(tmp_path)
    assert status == 0 and "1 runs bit-identical" in lines[0]
    _perturbed_least_squares(monkeypatch, 1e-6)
    status, lines = fingerprint.check(tmp_path)
    assert status == 1 and lines[0].startswith("numerics changed for mog-ls")


def test_an_isa_without_fingerprints_says_so_and_passes(tmp_path):
    (tmp_path / "NOSUCHISA.json").write_text("{}")
    status, lines = fingerprint.check(tmp_path)
    assert status == 0
    assert f"no fingerprint for this CPU's ISA {fingerprint.isa()} (recorded: NOSUCHISA)" in lines[0]
    assert "the smoke ranges are the numeric check here" in lines[0]


def test_the_committed_fingerprints_hold_or_the_isa_is_reported():
    """CI's comparison: on an ISA with a committed file every run is bit-identical to it."""
    status, lines = fingerprint.check()
    assert status == 0, "\n".join(lines)
    if fingerprint.path_for(fingerprint.isa()).is_file():
        assert f"{len(fingerprint.RUNS)} runs bit-identical" in lines[0]
    else:
        assert "no fingerprint for this CPU's ISA" in lines[0]
