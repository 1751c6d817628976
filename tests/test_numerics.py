"""The numerics record names the CPU's vector ISA: CPU runs are bit-identical only on the same one."""
import json
import os
import subprocess
import sys

from repro.report.collect import _cpu

PROBE = "import json, torch; from repro import io; print(json.dumps(io.device_info(torch.device('cpu'))))"


def _device_info(**env) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE], env={**os.environ, **env}, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def test_device_info_records_the_isa_torch_was_told_to_use():
    """ATEN_CPU_CAPABILITY is torch's own switch for its CPU kernels; the record must follow it."""
    info = _device_info(ATEN_CPU_CAPABILITY="default")
    assert info["cpu_capability"] == "DEFAULT"
    assert info["cpu_model"]


def test_provenance_cpu_column_reads_model_and_isa_and_stays_empty_for_older_runs():
    assert _cpu({"cpu_model": "AMD EPYC", "cpu_capability": "AVX2"}) == "AMD EPYC (AVX2)"
    assert _cpu({"cpu": "x86_64", "device": "cpu"}) is None
