"""The kept kernel (|a|^2+|b|^2-2ab, clamped) vs scipy cdist sqeuclidean squared distances for precision/recall (BENCHMARKS.md)."""
import time, numpy as np
from scipy.spatial.distance import cdist
from repro.metrics.families.precision_recall import _sq_distances
rng = np.random.default_rng(0)
for n_real, n_fake, dim in ((1797, 1000, 64), (10000, 5000, 2048)):
    a = rng.standard_normal((1024, dim)); b = rng.standard_normal((n_real, dim))
    for name, f in (("matmul", _sq_distances), ("cdist", lambda a, b: cdist(a, b, "sqeuclidean"))):
        f(a, b); t = time.perf_counter()
        for _ in range(3): f(a, b)
        print(f"{n_real}x{dim} block 1024: {name} {(time.perf_counter()-t)/3*1e3:.1f} ms")
