"""``repro download``: fetch what the suite cannot ship -- the Inception TorchScript, CIFAR-10,
STL-10 -- to where the suite looks for it, verified.

* ``inception``: NVIDIA's ``inception-2015-12-05.pt`` (`repro.metrics.inception`) into the cache
  directory (``$REPRO_CACHE``, default ``./cache``), the first place
  :func:`~repro.metrics.inception.locate_inception_weights` searches after an explicit path and
  ``$REPRO_INCEPTION``. :func:`fetch` streams into a hidden ``.<name>.part`` file next to it
  (fsync'ed as it goes), resumes an interrupted download with an HTTP ``Range`` request (restarting
  from zero when the server ignores it), checks the sha256 and only then renames the file into
  place: a partial or wrong download never sits under the real name, and a wrong one is deleted.
* ``cifar10`` / ``stl10``: torchvision's own download into the data root; torchvision checks the
  archive's md5 (``CIFAR10.tgz_md5``, ``STL10.tgz_md5``) before extracting and the extracted
  files' md5s when loading, which :func:`download_dataset` does right after.

Offline, every one of them fails with one ``error:`` line naming the URL and where to put the file.
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from .errors import UserError

CHUNK = 1 << 20


class DownloadError(UserError, RuntimeError):
    """A download failed (offline, interrupted, or the wrong bytes); the message says what to do."""


def _part(dest: Path) -> Path:
    return dest.parent / f".{dest.name}.part"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, dest: str | os.PathLike, sha256: str, *, timeout: float = 60,
          log: Callable[[str], None] = lambda s: None) -> Path:
    """Download `url` to `dest`, verified against `sha256`; resumes a previous partial download.

    Returns `dest`. Raises `DownloadError` when the server cannot be reached (partial file kept
    for a resume), the transfer breaks off (kept), or the bytes have another sha256 (deleted).
    """
    dest = Path(dest)
    if dest.is_file() and _sha256(dest) == sha256:
        log(f"{dest} is already present (sha256 verified)")
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = _part(dest)
    offset = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:  # the partial file is already as long as the file (or longer)
            part.unlink()
            return fetch(url, dest, sha256, timeout=timeout, log=log)
        raise DownloadError(f"{url}: HTTP {e.code} {e.reason}; nothing written to {dest}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise DownloadError(f"cannot reach {url} ({reason}): offline? Download it on a machine with "
                            f"internet and put it at {dest} (sha256 {sha256})") from None
    with response:
        resume = offset and response.status == 206
        if offset and not resume:
            log(f"server ignored the resume request: restarting {dest.name} from 0")
        expected = response.headers.get("Content-Length")
        expected = int(expected) if expected is not None else None
        got = 0
        with open(part, "ab" if resume else "wb") as f:
            try:
                for block in iter(lambda: response.read(CHUNK), b""):
                    f.write(block)
                    got += len(block)
            except (http.client.IncompleteRead, OSError, socket.timeout) as e:
                f.flush()
                os.fsync(f.fileno())
                raise DownloadError(f"{url}: transfer broke off after {offset * bool(resume) + got:,} "
                                    f"bytes ({type(e).__name__}); run the same command again to "
                                    f"resume ({part} is kept, {dest} was not written)") from None
            f.flush()
            os.fsync(f.fileno())
    if expected is not None and got < expected:
        raise DownloadError(f"{url}: transfer broke off after {got:,} of {expected:,} bytes; run the "
                            f"same command again to resume ({part} is kept, {dest} was not written)")
    digest, size = _sha256(part), part.stat().st_size
    if digest != sha256:
        part.unlink()
        raise DownloadError(f"{url}: the downloaded file ({size:,} bytes) has sha256 {digest}, "
                            f"expected {sha256}: refused and deleted ({dest} was not written)")
    os.replace(part, dest)
    with contextlib.suppress(OSError):
        fd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    log(f"{dest}: downloaded and verified (sha256 {sha256})")
    return dest


# -- what can be fetched ---------------------------------------------------------------------------

def inception_target() -> dict:
    from .io import cache_dir
    from .metrics.inception import INCEPTION_FILENAME, INCEPTION_SHA256, INCEPTION_URL

    return {"url": INCEPTION_URL, "sha256": INCEPTION_SHA256, "dest": cache_dir() / INCEPTION_FILENAME}


def download_inception(log: Callable[[str], None] = print) -> Path:
    t = inception_target()
    return fetch(t["url"], t["dest"], t["sha256"], log=log)


def download_dataset(name: str, root: str | os.PathLike | None = None,
                     log: Callable[[str], None] = print) -> Path:
    """CIFAR-10 or STL-10 through torchvision (md5-checked), then loaded once to verify it."""
    import torchvision.datasets as tvd

    from . import data, datasets

    d = datasets.get(name)
    if d.download is None:
        raise DownloadError(f"dataset {name!r} has nothing to download; downloadable: "
                            f"{', '.join(x.name for x in datasets.all_datasets() if x.download)}")
    cls_name, folder, archive = d.download.torchvision_class, d.download.folder, d.download.archive
    cls = getattr(tvd, cls_name)
    root = data.data_root(root)
    try:
        d.load(d.resolutions[0], root=root, download=True)
    except (urllib.error.URLError, OSError) as e:
        if isinstance(e, data.DataNotFoundError):
            raise
        reason = getattr(e, "reason", e)
        raise DownloadError(f"cannot fetch {name} from {cls.url} ({reason}): offline? Download "
                            f"{archive} on a machine with internet and unpack it into "
                            f"{root.resolve()} (so that {folder}/ lies directly under it)") from None
    log(f"{name} is in {(root / folder).resolve()} (md5 verified by torchvision)")
    return root / folder


def listing() -> list[dict]:
    """What `repro download` can fetch, where it goes and whether it is already there."""
    from . import data, datasets
    from .metrics.inception import MissingWeightsError, WeightsChecksumError, locate_inception_weights

    t = inception_target()
    try:
        found = f"present: {locate_inception_weights()}"
    except MissingWeightsError:
        found = "absent"
    except WeightsChecksumError as e:
        found = f"damaged: {str(e).split(' has sha256')[0]}"
    rows = [{"name": "inception", "what": "Inception TorchScript for FID/IS (95.6 MB)",
             "destination": str(t["dest"]), "status": found, "url": t["url"]}]
    root = data.data_root()
    import torchvision.datasets as tvd

    for d in datasets.all_datasets():
        if d.download is None:
            continue
        path = root / d.download.folder
        rows.append({"name": d.name, "what": f"{d.name} images (torchvision)", "destination": str(path),
                     "status": "present" if path.is_dir() else "absent",
                     "url": getattr(tvd, d.download.torchvision_class).url})
    return rows
