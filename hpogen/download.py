"""Download HPO-B's benchmark files and published results, resumably and safely.

Three kinds of artefact (see ``/work/shared/hpob/FORMAT.md``, "Download"):

- the data zip -> ``DEST/hpob-data/``,
- the surrogates zip -> ``DEST/saved-surrogates/``,
- a published results file ``{NAME}.json`` -> ``DEST/results/published/{NAME}.json``.

Every transfer goes into ``DEST/.downloads/<file>.part``. A rerun after a network
error resumes it with an HTTP ``Range: bytes=N-`` request. Zips are checked
against their published size and sha256 (results files, which have no published
checksum, must parse as HPO-B results), then extracted into a temporary folder
inside DEST and renamed into place, so a target folder is either absent or
complete. Archive entries that would land outside the target (absolute paths,
``..``, symlinks) are refused before anything is extracted.

Example:
    >>> from hpogen import download
    >>> download.download_archive(download.ARTEFACTS["data"], ".")  # doctest: +SKIP
    'extracted 5 files into hpob-data'
"""
from __future__ import annotations

import http.client
import os
import re
import shutil
import stat
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import orjson
from tqdm import tqdm

from hpogen.errors import UserError
from hpogen.results import current_umask, load_results, sha256_of, validate_results

USER_AGENT = "hpogen-download/1.0 (+https://github.com/machinelearningnuremberg/HPO-B)"
TIMEOUT_S = 60.0          # per connect / per read, not for the whole transfer
CHUNK_BYTES = 1 << 20     # read and write 1 MiB at a time
DOWNLOADS = ".downloads"  # DEST/.downloads/ holds the .part files and verified zips


@dataclass(frozen=True)
class Artefact:
    """One zip of the benchmark: where it lives and what it must look like.

    Args:
        folder: the folder it unpacks into under DEST (also the zip's file name).
        url: where to download it.
        sha256: expected hex digest of the zip.
        size: expected size of the zip in bytes.
        required: files (relative to ``folder``) whose presence marks a complete
            extraction; a target folder lacking one is incomplete.
    """

    folder: str
    url: str
    sha256: str
    size: int
    required: tuple[str, ...]

    @property
    def filename(self) -> str:
        return f"{self.folder}.zip"


ARTEFACTS: dict[str, Artefact] = {
    "data": Artefact(
        folder="hpob-data",
        url="https://github.com/sebastianpinedaar/hpo-data/raw/refs/heads/main/hpob-data.zip?download=",
        sha256="ab1c439e50ffea3d8a3f1e0ad7ee7f03cd3c12df05576de84ad7c3b58fbf3358",
        size=261_011_374,
        required=("meta-test-dataset.json", "bo-initializations.json"),
    ),
    "surrogates": Artefact(
        folder="saved-surrogates",
        url="https://github.com/sebastianpinedaar/hpo-data/raw/refs/heads/main/saved-surrogates.zip?download=",
        sha256="bda3a71e8b720efa97ea654a5e883f87aed1345fa35553318980e1d45b7b5662",
        size=148_595_881,
        required=("summary-stats.json",),
    ),
}

RESULTS_URL = "https://raw.githubusercontent.com/machinelearningnuremberg/HPO-B/main/results/{name}.json"
PUBLISHED_BASELINES = ("RS-C", "GP-C", "DGP-C", "Random", "GP", "DGP", "FSBO")
BASELINE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")  # no leading dot: no '..', no hidden files


class HTTPStatusError(UserError):
    """The server answered with an HTTP error status (kept in ``code``)."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


class UnsafeArchiveError(UserError):
    """An archive entry would land outside its destination; nothing was extracted."""


# ---------------------------------------------------------------------------
# transfer


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """Parse ``bytes START-END/TOTAL`` or ``bytes */TOTAL`` -> (start, total)."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value or "")
    if not match:
        return None, None
    start, total = match.groups()
    return (int(start) if start else None), (int(total) if total != "*" else None)


def _reason(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return "timed out"
    reason = getattr(err, "reason", None) or err
    return str(reason) or type(reason).__name__


def _interrupted(label: str, url: str, part: Path, received: int, total: int | None,
                 reason: object) -> UserError:
    of_total = f" of {total:,}" if total is not None else ""
    kept = (f"the partial file {part} was kept" if received
            else "check your internet connection")
    return UserError(f"download of {label} from {url} stopped after {received:,}{of_total} bytes "
                     f"({reason}); {kept}, then rerun the same command to resume")


def _open(url: str, start: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": USER_AGENT}
    if start:
        headers["Range"] = f"bytes={start}-"
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)


def fetch(url: str, part: str | os.PathLike, *, expected_size: int | None = None,
          timeout: float = TIMEOUT_S, chunk_size: int = CHUNK_BYTES,
          progress: bool | None = None, label: str | None = None) -> Path:
    """Download ``url`` into ``part``, resuming what an earlier call left there.

    If ``part`` holds N bytes, asks for the rest with ``Range: bytes=N-``. A server
    that answers 200 (ignores the range) restarts the file from zero; 416 (range
    not satisfiable) means the file is already complete. A network error or a
    connection closed early leaves ``part`` in place for the next call to resume.

    Args:
        url: what to download.
        part: the file to write (``DEST/.downloads/<name>.part``).
        expected_size: the size the finished file must have, if known: a part that
            already has it is not downloaded again; a server offering another size
            is refused before anything is written.
        timeout: seconds to wait for the connection and for each read.
        chunk_size: bytes per read.
        progress: show a tqdm bar; ``None`` shows it only on a terminal.
        label: name used in the progress bar and in errors (default: the file name).

    Returns:
        ``part``, now complete as far as the server's sizes tell (not yet verified).

    Raises:
        HTTPStatusError: the server answered an error status (404, ...).
        UserError: network error, timeout or early close (``part`` kept: rerun).
    """
    part = Path(part)
    label = label or part.name.removesuffix(".part")
    have = part.stat().st_size if part.exists() else 0
    if expected_size is not None and have > expected_size:
        part.unlink()  # longer than the real file: cannot be a prefix of it
        have = 0
    if expected_size is not None and have == expected_size > 0:
        return part

    for start in (have, 0):  # second pass only if the resumed request must restart
        try:
            response = _open(url, start, timeout)
        except urllib.error.HTTPError as err:
            if err.code == 416 and start:
                _, total = _content_range(err.headers.get("Content-Range"))
                if total is None or total == start:
                    return part  # nothing left to send: already complete
                continue  # the part is longer than the remote file: start over
            raise HTTPStatusError(f"download of {label} failed: {url} answered HTTP {err.code} "
                                  f"{err.reason}; check the URL or name, or rerun later",
                                  err.code) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            kept = (f"; the partial file {part} was kept: rerun the same command to resume" if start
                    else ": check your internet connection and rerun the same command")
            raise UserError(f"could not download {label} from {url} ({_reason(err)}){kept}") from None

        if response.status == 206:
            offset, total = _content_range(response.headers.get("Content-Range"))
            if offset != start:  # resumed somewhere else: start over without a range
                response.close()
                continue
        elif response.status == 200:
            offset = 0
            length = response.headers.get("Content-Length", "")
            total = int(length) if length.isdigit() else None
        else:
            response.close()
            raise UserError(f"download of {label} failed: {url} answered HTTP {response.status}, "
                            "expected 200 or 206; rerun later or check the URL")
        if expected_size is not None and total is not None and total != expected_size:
            response.close()
            raise UserError(f"{url} offers {total:,} bytes for {label}, expected {expected_size:,}: "
                            "the published file changed or the URL is wrong; nothing was changed, "
                            "check the URL in hpogen/download.py")
        break
    else:
        raise UserError(f"download of {label} failed: {url} answered a range request with the "
                        "wrong bytes twice; rerun later")

    return _receive(response, part, offset, total, url=url, label=label,
                    chunk_size=chunk_size, progress=progress)


def _receive(response: http.client.HTTPResponse, part: Path, offset: int, total: int | None, *,
             url: str, label: str, chunk_size: int, progress: bool | None) -> Path:
    """Append the response body to ``part`` from byte ``offset`` (0 = truncate first)."""
    received = offset
    part.parent.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=total, initial=offset, desc=label, unit="B", unit_scale=True,
               unit_divisor=1024, disable=None if progress is None else not progress)
    try:
        with response, open(part, "ab" if offset else "wb") as fh:
            while True:
                try:
                    chunk = response.read1(chunk_size)  # read1: no bytes lost on a timeout
                except (OSError, http.client.HTTPException) as err:  # timeout, reset, IncompleteRead
                    fh.flush()
                    raise _interrupted(label, url, part, received, total, _reason(err)) from None
                if not chunk:
                    break
                try:
                    fh.write(chunk)
                except OSError as err:
                    raise UserError(f"could not write {part} ({err.strerror}); free some disk space "
                                    "and rerun the same command to resume") from None
                received += len(chunk)
                bar.update(len(chunk))
    finally:
        bar.close()
    if total is not None and received < total:
        raise _interrupted(label, url, part, received, total, "the server closed the connection early")
    return part


def verify_file(path: str | os.PathLike, size: int, sha256: str, label: str | None = None) -> None:
    """Check ``path``'s size and sha256; delete it and raise UserError if it is wrong.

    A file shorter than ``size`` is an unfinished transfer: it is kept, to resume.
    """
    path = Path(path)
    label = label or path.name
    got = path.stat().st_size
    if got < size:
        raise UserError(f"{label} is incomplete ({got:,} of {size:,} bytes); "
                        "rerun the same command to resume the download")
    if got > size:
        path.unlink()
        raise UserError(f"{label} has the wrong size (expected {size:,} bytes, got {got:,}); "
                        "the bad file was deleted: rerun to download it again")
    digest = sha256_of(path, CHUNK_BYTES)
    if digest != sha256.lower():
        path.unlink()
        raise UserError(f"{label} failed its checksum (expected sha256 {sha256}, got {digest}); "
                        "the bad file was deleted: rerun to download it again")


# ---------------------------------------------------------------------------
# extraction


def _entry_parts(info: zipfile.ZipInfo, archive_name: str) -> tuple[str, ...] | None:
    """The path components of a safe entry, ``None`` for entries to skip.

    Raises:
        UnsafeArchiveError: the entry is absolute, has a ``..`` component, or is
            a symlink or other special file.
    """
    name = info.filename.replace("\\", "/")
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip records only permissions
    if name.startswith("/") or re.match(r"[A-Za-z]:", name) or "\x00" in name:
        why = "is an absolute path"
    elif ".." in parts:
        why = "would escape the destination through '..'"
    elif kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        why = "is a symlink" if kind == stat.S_IFLNK else "is a special file"
    else:
        why = None
    if why:
        raise UnsafeArchiveError(f"refusing to extract {archive_name}: entry {info.filename!r} {why}; "
                                 "nothing was extracted, do not use this archive")
    if not parts or parts[0] == "__MACOSX":  # resource forks added by macOS's zip
        return None
    return parts


def _missing(folder: Path, required: tuple[str, ...]) -> list[str]:
    return [name for name in required if not (folder / name).is_file()]


def _swap_into_place(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``, replacing (and then deleting) an old target."""
    if not (target.exists() or target.is_symlink()):
        os.rename(new, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink()


def safe_extract(archive: str | os.PathLike, dest: str | os.PathLike, folder: str, *,
                 required: tuple[str, ...] = (), progress: bool | None = None) -> Path:
    """Extract ``archive`` into ``dest/folder`` atomically, refusing unsafe entries.

    Entries may sit at the archive's root or under a single top folder named
    ``folder``; either way they land directly in ``dest/folder``. Everything is
    first checked, then extracted into a temporary folder inside ``dest``, then
    renamed into place (replacing an existing ``dest/folder``), so the target
    is never half-extracted.

    Args:
        archive: the zip file.
        dest: the parent folder of the target.
        folder: the target folder's name.
        required: files that must be in the extracted folder.
        progress: show a tqdm bar; ``None`` shows it only on a terminal.

    Returns:
        The target folder ``dest/folder``.

    Raises:
        UnsafeArchiveError: an unsafe entry (named), found before extracting.
        UserError: a corrupt zip, a required file missing, or a write error.
            Nothing is left behind in any case.
    """
    archive, dest = Path(archive), Path(dest)
    target = dest / folder
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as err:
        raise UserError(f"{archive} is not a readable zip archive ({err}); delete it and rerun") from None
    with zf:
        members = [(info, parts) for info in zf.infolist()
                   if (parts := _entry_parts(info, archive.name)) is not None]
        if members and all(parts[0] == folder and (len(parts) > 1 or info.is_dir())
                           for info, parts in members):
            members = [(info, parts[1:]) for info, parts in members if len(parts) > 1]

        dest.mkdir(parents=True, exist_ok=True)
        for stale in dest.glob(f".{folder}.*.partial"):  # left by a killed earlier run
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder}.", suffix=".partial", dir=dest))
        os.chmod(staging, 0o777 & ~current_umask())  # the extracted folder: 0755 with umask 022, not 0700
        bar = tqdm(total=sum(info.file_size for info, _ in members), desc=f"unzip {archive.name}",
                   unit="B", unit_scale=True, unit_divisor=1024,
                   disable=None if progress is None else not progress)
        try:
            for info, parts in members:
                path = staging.joinpath(*parts)
                if info.is_dir():
                    path.mkdir(parents=True, exist_ok=True)
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(path, "wb") as dst:
                    for block in iter(lambda: src.read(CHUNK_BYTES), b""):
                        dst.write(block)
                        bar.update(len(block))
            missing = _missing(staging, required)
            if missing:
                raise UserError(f"{archive} does not contain {', '.join(missing)}: it is not the "
                                f"expected {folder} archive; delete it and rerun")
            _swap_into_place(staging, target)
        except (zipfile.BadZipFile, EOFError) as err:
            raise UserError(f"{archive} is corrupt ({err}); nothing was extracted: delete it and "
                            "rerun") from None
        except OSError as err:
            raise UserError(f"could not extract {archive} into {dest} ({err}); free some disk space "
                            "or fix permissions, then rerun") from None
        finally:
            bar.close()
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return target


# ---------------------------------------------------------------------------
# what the script calls


def download_archive(artefact: Artefact, dest: str | os.PathLike, *, force: bool = False,
                     timeout: float = TIMEOUT_S, chunk_size: int = CHUNK_BYTES,
                     progress: bool | None = None) -> str:
    """Download, verify and extract one zip into ``dest/artefact.folder``.

    Skips the work when the target folder is already complete (unless ``force``).
    The verified zip is deleted once extracted.

    Returns:
        A one-line summary of what was done.

    Raises:
        UserError: see ``fetch``, ``verify_file`` and ``safe_extract``; also when
            the target exists but is incomplete and ``force`` is not set.
    """
    dest = Path(dest)
    target = dest / artefact.folder
    if target.exists() and not force:
        missing = _missing(target, artefact.required)
        if not missing:
            return f"{target} is already complete; skipped (use --force to redo)"
        raise UserError(f"{target} exists but is incomplete (no {', '.join(missing)}); move it aside, "
                        "or rerun with --force to replace it")

    downloads = dest / DOWNLOADS
    archive = downloads / artefact.filename
    if archive.exists():  # verified by an earlier run whose extraction failed
        try:
            verify_file(archive, artefact.size, artefact.sha256)
        except UserError:
            if archive.exists():
                archive.unlink()
    if not archive.exists():
        part = downloads / f"{artefact.filename}.part"
        fetch(artefact.url, part, expected_size=artefact.size, timeout=timeout,
              chunk_size=chunk_size, progress=progress, label=artefact.filename)
        verify_file(part, artefact.size, artefact.sha256, label=artefact.filename)
        os.replace(part, archive)

    try:
        safe_extract(archive, dest, artefact.folder, required=artefact.required, progress=progress)
    except UnsafeArchiveError as err:  # of no use: delete it
        archive.unlink()
        raise UnsafeArchiveError(f"{err}; it was deleted (rerun to download it again)") from None
    archive.unlink()
    try:
        downloads.rmdir()
    except OSError:
        pass  # still holds other downloads
    count = sum(1 for p in target.rglob("*") if p.is_file())
    return f"extracted {count} files into {target}"


def check_baseline_name(name: str) -> str:
    """Return ``name`` if it is one of HPO-B's published results files, else raise UserError."""
    if name in PUBLISHED_BASELINES:
        return name
    if not BASELINE_NAME.fullmatch(name):
        raise UserError(f"invalid baseline name {name!r}: use letters, digits, '_', '.' and '-' only, "
                        f"e.g. {' '.join(PUBLISHED_BASELINES)}")
    raise UserError(f"no published HPO-B result named {name!r}; known names: {' '.join(PUBLISHED_BASELINES)}")


def download_baseline(name: str, dest: str | os.PathLike, *, url_template: str = RESULTS_URL,
                      force: bool = False, timeout: float = TIMEOUT_S,
                      progress: bool | None = None) -> str:
    """Download HPO-B's published results ``{name}.json`` to ``dest/results/published/``.

    No checksum is published for these files: the download must parse as an
    HPO-B results file (``hpogen.results.validate_results``) or it is deleted.

    Args:
        name: the method, e.g. ``GP-C`` (see ``PUBLISHED_BASELINES``).
        dest: the root folder (the repository root).
        url_template: URL with a ``{name}`` field.
        force: download again even if a valid file is already there.
        timeout: seconds to wait for the connection and for each read.
        progress: show a tqdm bar; ``None`` shows it only on a terminal.

    Returns:
        A one-line summary of what was done.
    """
    name = check_baseline_name(name)
    dest = Path(dest)
    target = dest / "results" / "published" / f"{name}.json"
    if target.exists() and not force:
        try:
            load_results(target)
        except UserError:
            raise UserError(f"{target} exists but is not a valid results file; rerun with --force "
                            "to replace it") from None
        return f"{target} is already there; skipped (use --force to redo)"

    url = url_template.format(name=name)
    part = dest / DOWNLOADS / f"{name}.json.part"
    try:
        fetch(url, part, timeout=timeout, progress=progress, label=f"{name}.json")
    except HTTPStatusError as err:
        if err.code == 404:
            raise UserError(f"no published HPO-B result named {name!r} ({url} answered 404); "
                            f"known names: {' '.join(PUBLISHED_BASELINES)}") from None
        raise
    try:
        validate_results(orjson.loads(part.read_bytes()), name=f"{name}.json")
    except (orjson.JSONDecodeError, UserError) as err:
        part.unlink()
        detail = str(err).split(";")[0]
        raise UserError(f"{url} did not return an HPO-B results file ({detail}); the download was "
                        f"deleted: check the name {name!r} and rerun") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(part, target)
    try:
        part.parent.rmdir()
    except OSError:
        pass
    return f"downloaded {target}"
