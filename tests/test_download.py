"""repro download: sha256-verified, atomic, resumable fetches, against a local HTTP server."""
import hashlib
import http.server
import threading

import pytest

from repro import download
from repro.cli import main

GOOD = bytes(range(256)) * 400  # 102,400 bytes
WRONG = b"x" * len(GOOD)
SHA = hashlib.sha256(GOOD).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    ranges: list = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        body = WRONG if self.path == "/wrong" else GOOD
        start = 0
        header = self.headers.get("Range")
        if header and self.path == "/good":  # /norange ignores Range, like some servers
            Handler.ranges.append(header)
            start = int(header.split("=")[1].rstrip("-"))
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        if self.path == "/truncated":  # promise the whole file, send a third, hang up
            self.wfile.write(body[:len(body) // 3])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body[start:])


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_good_file_lands_verified(server, tmp_path):
    dest = tmp_path / "w.pt"
    assert download.fetch(f"{server}/good", dest, SHA) == dest
    assert dest.read_bytes() == GOOD
    assert list(tmp_path.iterdir()) == [dest]  # no partial file left behind


def test_wrong_file_is_refused_and_deleted(server, tmp_path):
    dest = tmp_path / "w.pt"
    with pytest.raises(download.DownloadError, match="sha256"):
        download.fetch(f"{server}/wrong", dest, SHA)
    assert list(tmp_path.iterdir()) == []


def test_truncated_download_never_looks_present_and_resumes(server, tmp_path):
    dest = tmp_path / "w.pt"
    with pytest.raises(download.DownloadError, match="resume"):
        download.fetch(f"{server}/truncated", dest, SHA)
    assert not dest.exists()
    part = tmp_path / ".w.pt.part"
    assert part.read_bytes() == GOOD[:len(GOOD) // 3]
    Handler.ranges.clear()
    download.fetch(f"{server}/good", dest, SHA)  # the same command again: resumes
    assert Handler.ranges == [f"bytes={len(GOOD) // 3}-"]
    assert dest.read_bytes() == GOOD and not part.exists()


def test_server_ignoring_range_restarts(server, tmp_path):
    dest = tmp_path / "w.pt"
    (tmp_path / ".w.pt.part").write_bytes(b"junk" * 10)
    download.fetch(f"{server}/norange", dest, SHA)
    assert dest.read_bytes() == GOOD


def test_offline_is_one_error_line(tmp_path, monkeypatch, capsys):
    with pytest.raises(download.DownloadError, match="cannot reach"):
        download.fetch("http://127.0.0.1:9/x", tmp_path / "w.pt", SHA)
    assert list(tmp_path.iterdir()) == []
    import torchvision.datasets as tvd

    monkeypatch.setattr(tvd.CIFAR10, "url", "http://127.0.0.1:9/cifar-10-python.tar.gz")
    assert main(["download", "cifar10", "--root", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: cannot fetch cifar10") and "127.0.0.1:9" in err[0]


def test_list_says_what_is_present(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPRO_CACHE", str(tmp_path))
    monkeypatch.setenv("REPRO_DATA", str(tmp_path))
    monkeypatch.delenv("REPRO_INCEPTION", raising=False)
    monkeypatch.setattr("repro.metrics.inception.CLEANFID_PATH", tmp_path / "absent.pt")
    (tmp_path / "cifar-10-batches-py").mkdir()
    status = {r["name"]: r["status"] for r in download.listing()}
    assert status == {"inception": "absent", "cifar10": "present", "stl10": "absent"}
    assert main(["download", "--list"]) == 0
    assert str(tmp_path / "inception-2015-12-05.pt") in capsys.readouterr().out


def test_download_inception_says_where_it_went(server, tmp_path, monkeypatch, capsys):
    dest = tmp_path / "cache" / "inception-2015-12-05.pt"
    monkeypatch.setattr(download, "inception_target",
                        lambda: {"url": f"{server}/good", "sha256": SHA, "dest": dest})
    assert main(["download", "inception"]) == 0
    assert dest.read_bytes() == GOOD
    assert f"{dest}: downloaded and verified" in capsys.readouterr().out
    assert main(["download", "inception"]) == 0  # already there: verified, not fetched again
    assert "already present" in capsys.readouterr().out
