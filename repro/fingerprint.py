"""Numerics fingerprints: a few tiny runs whose losses and final weights must not move.

On one CPU vector ISA a run is bit-identical from one machine to the next (docs/fidelity.md,
"Bit-identity and the CPU"), so the first updates of a run are an exact regression signal, far
finer than any range over seeds: a 1e-6 relative change of a loss shows in its first logged
value. Each fingerprint run is the first :data:`UPDATES` generator updates of a smoke table row
(one source of truth for its config), trained in this process on one thread with the trainer's
own step (:class:`repro.train._Steps`); it records ``loss_d``/``loss_g`` at :data:`AT_STEPS`
and a SHA-256 of G's and D's final state dicts (weights and buffers).

The fingerprints live in ``config/fingerprints/<ISA>.json``, one file per ISA seen (``AVX2``,
``AVX512``, ...; ``torch.backends.cpu.get_cpu_capability()``). On an ISA with no file the check
says so and passes: the smoke suite's ranges are then the only numeric check.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINGERPRINT_DIR = ROOT / "config" / "fingerprints"
TABLES_DIR = ROOT / "config" / "tables"
UPDATES = 6
AT_STEPS = (1, 3, UPDATES)
REFRESH = "repro fingerprint --refresh"

#: name -> (smoke table, run_id): together every loss, every D-treatment kind (none, feature,
#: weight, clip, penalty, orthonormal), both update rules, attention and SN on G.
RUNS = {
    "mog-std": ("smoke_mog_short", "ring-std-s0"),  # standard loss, simultaneous update, MLP
    "mog-ls": ("smoke_mog_short", "ring-ls-s0"),  # least squares (ICCV coding)
    "digits-sn": ("smoke_digits", "digits-sn-F-s0"),  # spectral norm (weight kind), setting F (n_dis 5)
    "digits-bn": ("smoke_digits", "digits-bn-C-s0"),  # batch norm (feature kind), setting C
    "digits-wgangp": ("smoke_treatments", "tr-wgangp-C-s0"),  # Wasserstein loss + gradient penalty
    "digits-wc": ("smoke_treatments", "tr-wc-C-s0"),  # weight clipping
    "digits-ortho": ("smoke_treatments", "tr-ortho-C-s0"),  # orthonormal init + penalty
    "sagan": ("smoke_sagan", "sagan-ttur-feat8-s0"),  # hinge, attention, SN on G, TTUR, labels
}


def isa() -> str:
    import torch

    return torch.backends.cpu.get_cpu_capability()


def path_for(capability: str) -> Path:
    return FINGERPRINT_DIR / f"{capability}.json"


def _digest(*nets) -> str:
    """SHA-256 over every tensor of the nets' state dicts, in order, names included."""
    h = hashlib.sha256()
    for net in nets:
        for name, t in net.state_dict().items():
            h.update(name.encode())
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def fingerprint(table: str, run_id: str) -> dict:
    """Train the first UPDATES updates of a table row on one CPU thread; its losses and digest."""
    import tempfile

    import torch

    from . import train
    from .experiments import row_config

    cfg = replace(row_config(TABLES_DIR / f"{table}.tsv", run_id, device="cpu"), g_updates=UPDATES)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the sums' order must not depend on the machine's core count
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run = train.setup(cfg, Path(tmp))
            steps = train._Steps(run)
            update = steps.simultaneous if cfg.update == "simultaneous" else steps.alternating
            losses = {}
            for step in range(1, UPDATES + 1):
                loss_d, loss_g = update()
                if run.sched_g:
                    run.sched_g.step()
                    run.sched_d.step()
                if step in AT_STEPS:
                    losses[str(step)] = [float(loss_d), float(loss_g)]
            return {"table": table, "run_id": run_id, "losses": losses, "digest": _digest(run.G, run.D)}
    finally:
        torch.set_num_threads(threads)


def record(names=None) -> dict:
    """Every fingerprint run (or those named), computed here."""
    import torch

    runs = {n: fingerprint(*RUNS[n]) for n in (names or RUNS)}
    return {"isa": isa(), "torch": torch.__version__, "updates": UPDATES, "runs": runs}


def compare(recorded: dict, now: dict) -> list[str]:
    """One line per run whose numerics changed (or that is missing on either side)."""
    note = ""
    if recorded.get("torch") != now.get("torch"):
        note = f" (recorded with torch {recorded.get('torch')}, this is torch {now.get('torch')})"
    out = []
    for name, fp in now["runs"].items():
        old = recorded.get("runs", {}).get(name)
        if old is None:
            out.append(f"numerics changed for {name}: no fingerprint recorded; if intended, refresh with {REFRESH}")
            continue
        what = [f"losses at step {s} {old['losses'][s]} -> {v}" for s, v in fp["losses"].items()
                if old["losses"].get(s) != v]
        if old["digest"] != fp["digest"]:
            what.append("final weights differ")
        if what:
            out.append(f"numerics changed for {name} ({fp['table']}/{fp['run_id']}): {'; '.join(what[:2])}"
                       f"{note}; if intended, refresh with {REFRESH}")
    return out


def check(directory: Path = FINGERPRINT_DIR) -> tuple[int, list[str]]:
    """(exit status, lines): 1 and a line per changed run; 0 when all match or the ISA has none."""
    capability = isa()
    path = directory / f"{capability}.json"
    if not path.is_file():
        seen = sorted(p.stem for p in directory.glob("*.json"))
        return 0, [f"fingerprint: no fingerprint for this CPU's ISA {capability} (recorded: "
                   f"{', '.join(seen) or 'none'}); the smoke ranges are the numeric check here. "
                   f"Record one with {REFRESH}"]
    recorded = json.loads(path.read_text())
    failures = compare(recorded, record())
    if failures:
        return 1, failures
    return 0, [f"fingerprint: {len(recorded['runs'])} runs bit-identical to {path.name} "
               f"(losses at steps {', '.join(map(str, AT_STEPS))} and final weights)"]


def refresh(directory: Path = FINGERPRINT_DIR) -> Path:
    """Record this ISA's fingerprints (atomically); the path written."""
    from . import io

    path = directory / f"{isa()}.json"
    directory.mkdir(parents=True, exist_ok=True)
    io.write_json(path, record())
    return path


def main(refresh_them: bool = False) -> int:
    if refresh_them:
        print(f"fingerprint: recorded {refresh()}")
        return 0
    status, lines = check()
    for line in lines:
        print(("error: " if status else "") + line, file=sys.stderr if status else sys.stdout)
    return status
