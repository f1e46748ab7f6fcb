"""Tests for hpogen.download and download_hpob.py against a local HTTP server.

The server (127.0.0.1, port 0) serves small zips built in tmp_path, honours
``Range: bytes=N-`` requests, records every request, and can be told to cut a
transfer after K bytes (closing the connection, or stalling first), to ignore
ranges, or to answer 404.
"""
from __future__ import annotations

import hashlib
import random
import re
import socket
import stat
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

import download_hpob
from hpogen import download
from hpogen.errors import UserError

PAYLOAD = random.Random(0).randbytes(200_000)  # incompressible: the zip stays ~200 kB
CHUNK = 16 * 1024
RESULTS = {"5971": {"10093": {"test0": [0.5, 0.7, 0.9], "test1": [0.4, 0.4, 1.0]}}}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        srv = self.server
        srv.requests.append((self.path, self.headers.get("Range")))
        body = srv.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start, ranged = 0, self.headers.get("Range")
        if ranged and not srv.ignore_range:
            start = int(re.fullmatch(r"bytes=(\d+)-", ranged).group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        cut = srv.cut_after.pop(self.path, None)  # one-shot: absolute offset in the file
        self.wfile.write(body[start:cut])
        if cut is not None:
            time.sleep(srv.stall_s)
            self.close_connection = True

    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture
def server(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.files, srv.requests, srv.cut_after = {}, [], {}
    srv.ignore_range, srv.stall_s = False, 0.0
    srv.url = lambda path: f"http://127.0.0.1:{srv.server_port}{path}"
    thread = threading.Thread(target=srv.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def make_zip(path: Path, entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, link_target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, link_target)
    return path.read_bytes()


def data_entries(prefix: str = "hpob-data/") -> dict[str, bytes]:
    return {f"{prefix}meta-test-dataset.json": b'{"5971": {}}',
            f"{prefix}bo-initializations.json": b'{"5971": {}}',
            f"{prefix}blob.bin": PAYLOAD}


def serve_archive(server, tmp_path: Path, entries: dict[str, bytes], folder: str = "hpob-data",
                  required=("meta-test-dataset.json", "bo-initializations.json"),
                  sha256: str | None = None, **zip_kwargs) -> download.Artefact:
    body = make_zip(tmp_path / f"served-{folder}.zip", entries, **zip_kwargs)
    server.files[f"/{folder}.zip"] = body
    return download.Artefact(folder=folder, url=server.url(f"/{folder}.zip"),
                             sha256=sha256 or hashlib.sha256(body).hexdigest(), size=len(body),
                             required=tuple(required))


def get(artefact, dest, **kwargs) -> str:
    return download.download_archive(artefact, dest, chunk_size=CHUNK, progress=False, **kwargs)


def leftovers(dest: Path) -> list[str]:
    """Temporary folders left in dest by an extraction."""
    return sorted(p.name for p in dest.glob(".*") if p.name != download.DOWNLOADS)


# --- good transfers ----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["hpob-data/", ""], ids=["top-folder", "root"])
def test_good_archive_is_downloaded_verified_and_extracted(server, tmp_path, prefix):
    artefact = serve_archive(server, tmp_path, data_entries(prefix))
    dest = tmp_path / "dest"

    message = get(artefact, dest)

    target = dest / "hpob-data"
    assert message == f"extracted 3 files into {target}"
    assert (target / "blob.bin").read_bytes() == PAYLOAD
    assert (target / "meta-test-dataset.json").read_bytes() == b'{"5971": {}}'
    assert not (target / "hpob-data").exists()
    assert not (dest / download.DOWNLOADS).exists()  # the verified zip is removed once extracted
    assert leftovers(dest) == []
    assert server.requests == [("/hpob-data.zip", None)]


def test_complete_target_is_skipped_and_force_redoes_it(server, tmp_path):
    artefact = serve_archive(server, tmp_path, data_entries())
    dest = tmp_path / "dest"
    get(artefact, dest)
    (dest / "hpob-data" / "stale.txt").write_text("from an old version")

    assert "already complete; skipped" in get(artefact, dest)
    assert len(server.requests) == 1

    get(artefact, dest, force=True)
    assert len(server.requests) == 2
    assert not (dest / "hpob-data" / "stale.txt").exists()  # replaced as a whole
    assert (dest / "hpob-data" / "blob.bin").read_bytes() == PAYLOAD
    assert leftovers(dest) == []


def test_incomplete_target_is_refused_without_force(server, tmp_path):
    artefact = serve_archive(server, tmp_path, data_entries())
    dest = tmp_path / "dest"
    (dest / "hpob-data").mkdir(parents=True)
    (dest / "hpob-data" / "meta-test-dataset.json").write_text("{}")

    with pytest.raises(UserError, match=r"incomplete \(no bo-initializations.json\).*--force"):
        get(artefact, dest)
    assert server.requests == []

    get(artefact, dest, force=True)
    assert (dest / "hpob-data" / "bo-initializations.json").exists()


# --- failed verification ----------------------------------------------------------------------


def test_wrong_checksum_deletes_the_file_and_extracts_nothing(server, tmp_path):
    artefact = serve_archive(server, tmp_path, data_entries(), sha256="0" * 64)
    dest = tmp_path / "dest"

    with pytest.raises(UserError) as err:
        get(artefact, dest)

    got = hashlib.sha256(server.files["/hpob-data.zip"]).hexdigest()
    message = str(err.value)
    assert f"expected sha256 {'0' * 64}, got {got}" in message
    assert "deleted" in message and "rerun" in message and "\n" not in message
    assert not (dest / "hpob-data").exists()
    assert list((dest / download.DOWNLOADS).iterdir()) == []
    assert leftovers(dest) == []


def test_server_offering_another_size_is_refused_before_writing(server, tmp_path):
    artefact = serve_archive(server, tmp_path, data_entries())
    wrong = download.Artefact(artefact.folder, artefact.url, artefact.sha256, artefact.size + 1,
                              artefact.required)
    dest = tmp_path / "dest"

    with pytest.raises(UserError, match=f"offers {artefact.size:,} bytes .* expected {artefact.size + 1:,}"):
        get(wrong, dest)
    assert not (dest / download.DOWNLOADS / "hpob-data.zip.part").exists()


# --- interrupted transfers and resuming -------------------------------------------------------


def test_truncated_transfer_keeps_the_part_and_a_rerun_resumes_with_range(server, tmp_path):
    artefact = serve_archive(server, tmp_path, data_entries())
    dest = tmp_path / "dest"
    part = dest / download.DOWNLOADS / "hpob-data.zip.part"
    cut = 70_000
    server.cut_after["/hpob-data.zip"] = cut

    with pytest.raises(UserError) as err:
        get(artefact, dest)
    message = str(err.value)
    assert f"stopped after {cut:,} of {artefact.size:,} bytes" in message
    assert "rerun the same command to resume" in message and str(part) in message
    assert part.read_bytes() == server.files["/hpob-data.zip"][:cut]
    assert not (dest / "hpob-data").exists()

    get(artefact, dest)

    assert server.requests[-1] == ("/hpob-data.zip", f"bytes={cut}-")
    assert (dest / "hpob-data" / "blob.bin").read_bytes() == PAYLOAD
    assert not part.exists()


def test_stalled_transfer_times_out_and_resumes(server, tmp_path):
    artefact = serve_archive(server, tmp_path, data_entries())
    dest = tmp_path / "dest"
    part = dest / download.DOWNLOADS / "hpob-data.zip.part"
    server.cut_after["/hpob-data.zip"] = 50_000
    server.stall_s = 1.0

    with pytest.raises(UserError, match=r"after 50,000 .*timed out.*rerun the same command to resume"):
        get(artefact, dest, timeout=0.2)
    assert part.stat().st_size == 50_000

    get(artefact, dest)
    assert server.requests[-1] == ("/hpob-data.zip", "bytes=50000-")
    assert (dest / "hpob-data" / "blob.bin").read_bytes() == PAYLOAD


def test_interrupted_by_ctrl_c_and_resumed(server, tmp_path, monkeypatch):
    artefact = serve_archive(server, tmp_path, data_entries())
    dest = tmp_path / "dest"
    part = dest / download.DOWNLOADS / "hpob-data.zip.part"

    class InterruptMidway(download.tqdm):
        received = 0

        def update(self, n=1):
            super().update(n)
            type(self).received += n
            if self.received >= 3 * CHUNK:
                raise KeyboardInterrupt

    monkeypatch.setattr(download, "tqdm", InterruptMidway)
    with pytest.raises(KeyboardInterrupt):
        get(artefact, dest)
    monkeypatch.undo()
    kept = InterruptMidway.received
    assert 0 < kept < artefact.size
    assert part.read_bytes() == server.files["/hpob-data.zip"][:kept]  # all received was written

    get(artefact, dest)
    assert server.requests[-1] == ("/hpob-data.zip", f"bytes={kept}-")
    assert (dest / "hpob-data" / "blob.bin").read_bytes() == PAYLOAD


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    artefact = serve_archive(server, tmp_path, data_entries())
    dest = tmp_path / "dest"
    part = dest / download.DOWNLOADS / "hpob-data.zip.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 1000)  # not a prefix of the file: only a restart can fix it
    server.ignore_range = True

    get(artefact, dest)

    assert server.requests == [("/hpob-data.zip", "bytes=1000-")]
    assert (dest / "hpob-data" / "blob.bin").read_bytes() == PAYLOAD


def test_416_means_the_part_is_already_complete(server, tmp_path):
    body = b"0123456789" * 100
    server.files["/f.bin"] = body
    part = tmp_path / "f.bin.part"
    part.write_bytes(body)

    assert download.fetch(server.url("/f.bin"), part, progress=False) == part
    assert server.requests == [("/f.bin", f"bytes={len(body)}-")]
    assert part.read_bytes() == body


def test_part_longer_than_the_remote_file_is_downloaded_again(server, tmp_path):
    body = b"0123456789" * 100
    server.files["/f.bin"] = body
    part = tmp_path / "f.bin.part"
    part.write_bytes(body + b"junk")

    download.fetch(server.url("/f.bin"), part, progress=False)
    assert server.requests == [("/f.bin", f"bytes={len(body) + 4}-"), ("/f.bin", None)]
    assert part.read_bytes() == body


# --- unsafe archives --------------------------------------------------------------------------


@pytest.mark.parametrize("entries, symlinks, bad", [
    ({"hpob-data/ok.json": b"{}", "../evil.txt": b"gotcha"}, None, "../evil.txt"),
    ({"hpob-data/ok.json": b"{}", "hpob-data/../../evil.txt": b"gotcha"}, None, "hpob-data/../../evil.txt"),
    ({"hpob-data/ok.json": b"{}", "/tmp/evil.txt": b"gotcha"}, None, "/tmp/evil.txt"),
    ({"hpob-data/ok.json": b"{}"}, {"hpob-data/link": "../../evil.txt"}, "hpob-data/link"),
], ids=["dotdot", "nested-dotdot", "absolute", "symlink"])
def test_unsafe_entry_is_refused_before_anything_is_extracted(tmp_path, entries, symlinks, bad):
    archive = tmp_path / "archive" / "hpob-data.zip"
    archive.parent.mkdir()
    make_zip(archive, entries, symlinks=symlinks)
    dest = tmp_path / "sandbox" / "dest"

    with pytest.raises(download.UnsafeArchiveError) as err:
        download.safe_extract(archive, dest, "hpob-data", progress=False)

    assert repr(bad) in str(err.value)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "sandbox" / "evil.txt").exists()
    assert not Path("/tmp/evil.txt").exists() or Path("/tmp/evil.txt").read_bytes() != b"gotcha"
    assert not (dest / "hpob-data").exists()
    assert not dest.exists() or leftovers(dest) == []


def test_unsafe_download_is_refused_and_deleted(server, tmp_path):
    entries = {**data_entries(), "../evil.txt": b"gotcha"}
    artefact = serve_archive(server, tmp_path, entries)
    dest = tmp_path / "sandbox" / "dest"

    with pytest.raises(download.UnsafeArchiveError, match=r"entry '\.\./evil\.txt'.*deleted"):
        get(artefact, dest)

    assert not (tmp_path / "sandbox" / "evil.txt").exists()
    assert not (dest / "hpob-data").exists()
    assert list((dest / download.DOWNLOADS).iterdir()) == []
    assert leftovers(dest) == []


def test_archive_missing_required_files_leaves_nothing(tmp_path):
    archive = tmp_path / "hpob-data.zip"
    make_zip(archive, {"hpob-data/other.json": b"{}"})
    with pytest.raises(UserError, match="does not contain meta-test-dataset.json"):
        download.safe_extract(archive, tmp_path / "dest", "hpob-data",
                              required=("meta-test-dataset.json",), progress=False)
    assert not (tmp_path / "dest" / "hpob-data").exists()
    assert leftovers(tmp_path / "dest") == []


# --- published baselines ----------------------------------------------------------------------


def test_valid_baseline_is_downloaded_to_results_published(server, tmp_path):
    server.files["/results/GP-C.json"] = orjson.dumps(RESULTS)
    template = server.url("/results/{name}.json")

    message = download.download_baseline("GP-C", tmp_path, url_template=template, progress=False)

    target = tmp_path / "results" / "published" / "GP-C.json"
    assert message == f"downloaded {target}"
    assert orjson.loads(target.read_bytes()) == RESULTS
    assert not (tmp_path / download.DOWNLOADS).exists()
    assert "skipped" in download.download_baseline("GP-C", tmp_path, url_template=template, progress=False)
    assert len(server.requests) == 1


@pytest.mark.parametrize("body", [b"<html>rate limited</html>", b'{"5971": [1, 2]}',
                                  b'{"5971": {"1": {"test0": []}}}'], ids=["html", "list", "empty-curve"])
def test_invalid_baseline_is_refused_and_deleted(server, tmp_path, body):
    server.files["/results/GP-C.json"] = body

    with pytest.raises(UserError, match="did not return an HPO-B results file.*deleted"):
        download.download_baseline("GP-C", tmp_path, url_template=server.url("/results/{name}.json"),
                                   progress=False)

    assert not (tmp_path / "results" / "published" / "GP-C.json").exists()
    assert not (tmp_path / download.DOWNLOADS / "GP-C.json.part").exists()


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", ".hidden", "", "GP C"])
def test_unsafe_baseline_names_are_refused(name):
    with pytest.raises(UserError, match="invalid baseline name"):
        download.check_baseline_name(name)


# --- the script -------------------------------------------------------------------------------


def test_cli_unsafe_baseline_name_is_a_one_line_error(tmp_path, capsys):
    code = download_hpob.main(["--baselines", "GP-C", "../evil", "--dest", str(tmp_path)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: invalid baseline name '../evil'") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # names are checked before downloading anything


def test_cli_unknown_baseline_is_a_one_line_error(server, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(download, "RESULTS_URL", server.url("/results/{name}.json"))

    code = download_hpob.main(["--baselines", "NoSuchMethod", "--dest", str(tmp_path)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: no published HPO-B result named 'NoSuchMethod'") and err.count("\n") == 1
    assert "known names: RS-C GP-C DGP-C Random GP DGP FSBO" in err


def test_cli_without_selection_gets_data_and_surrogates(server, tmp_path, capsys, monkeypatch):
    data = serve_archive(server, tmp_path, data_entries())
    surrogates = serve_archive(server, tmp_path,
                               {"summary-stats.json": b"{}", "surrogate-5971-1.json": b"{}"},
                               folder="saved-surrogates", required=("summary-stats.json",))
    monkeypatch.setattr(download, "ARTEFACTS", {"data": data, "surrogates": surrogates})
    dest = tmp_path / "dest"

    assert download_hpob.main(["--dest", str(dest)]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out == [f"extracted 3 files into {dest / 'hpob-data'}",
                   f"extracted 2 files into {dest / 'saved-surrogates'}"]
    assert (dest / "saved-surrogates" / "summary-stats.json").exists()


def test_cli_baselines_without_names_gets_the_seven_published(server, tmp_path, capsys, monkeypatch):
    for name in download.PUBLISHED_BASELINES:
        server.files[f"/results/{name}.json"] = orjson.dumps(RESULTS)
    monkeypatch.setattr(download, "RESULTS_URL", server.url("/results/{name}.json"))

    assert download_hpob.main(["--baselines", "--dest", str(tmp_path)]) == 0

    published = tmp_path / "results" / "published"
    assert sorted(p.name for p in published.iterdir()) == sorted(
        f"{n}.json" for n in download.PUBLISHED_BASELINES)
    assert not (tmp_path / "hpob-data").exists()  # --baselines alone selects nothing else


def test_unreachable_server_is_a_one_line_error_and_keeps_the_part(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    part = tmp_path / "f.bin.part"
    part.write_bytes(b"partial")

    with pytest.raises(UserError, match=r"could not download f\.bin .*was kept: rerun the same command"):
        download.fetch(f"http://127.0.0.1:{port}/f.bin", part, progress=False)
    assert part.read_bytes() == b"partial"
