import pytest
import torch


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Tests run torch on one thread: on a busy 2-core machine two spinning OpenMP threads were
    measured ~10x slower than one for these small networks, and one thread is also what each
    workflow job uses (`threads: 1`)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
