import os

import pytest
import torch

# Every process a test starts (`repro train`, Snakemake and its jobs, a copy's CLI) gets one
# OpenMP thread too: under `make test`'s two pytest workers a subprocess with torch's default of
# two spinning threads per core took 203 s where one thread took 23 s (the SIGKILL-and-resume test).
os.environ["OMP_NUM_THREADS"] = "1"


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Tests run torch on one thread: on a busy 2-core machine two spinning OpenMP threads were
    measured ~10x slower than one for these small networks, and one thread is also what each
    workflow job uses (`threads: 1`)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
