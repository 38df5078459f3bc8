"""The download engine's exceptions; see the tree in :mod:`sdsetup.download`."""

from __future__ import annotations

from sdsetup.errors import SdsetupError


class DownloadError(SdsetupError):
    """A file could not be fetched, verified or put in place."""


class HashMismatch(DownloadError):
    """The finished file's sha256 is not the expected one; names the mirrors that served it."""

    def __init__(self, expected: str, actual: str, mirrors: str, dest: str) -> None:
        super().__init__("download.hash_mismatch", hint="download.hint_hash",
                         expected=expected, actual=actual, mirrors=mirrors, dest=dest)


class AllSourcesFailed(DownloadError):
    """Every mirror of a file failed; ``reasons`` says why, one line per mirror.

    ``resumable`` (some bytes arrived and are kept): only then does running the command again help.
    """

    def __init__(self, dest: str, reasons: dict[str, str], resumable: bool = True) -> None:
        lines = "".join(f"\n  {name}: {why}" for name, why in reasons.items())
        super().__init__("download.all_failed" if len(reasons) > 1 else "download.one_failed",
                         hint="download.hint_retry" if resumable else "download.hint_unreachable",
                         dest=dest, reasons=lines)
        self.reasons = dict(reasons)


class DiskFull(DownloadError):
    """No space left for the file; the partial download is kept for a later resume.

    ``needed`` None: the partial download could not be kept (a stream of unknown size, or no room
    left for its progress record), and the message says so instead of "0 bytes needed".
    """

    def __init__(self, path: str, needed: int | None, free: int) -> None:
        super().__init__("download.disk_full" if needed is not None else "download.disk_full_removed",
                         hint="download.hint_disk", path=path, needed=needed, free=free)


class FileTooLarge(DownloadError):
    """The destination's filesystem cannot hold a file this large (FAT32 stops at 4 GiB)."""

    def __init__(self, path: str, size: int) -> None:
        super().__init__("download.too_large", hint="download.hint_too_large", path=path,
                         size=size)


class DestinationUnwritable(DownloadError):
    """The destination (its folder, lock, part or sidecar file) cannot be created or written."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__("download.dest_unwritable", hint="download.hint_dest", path=path,
                         detail=detail)

    @classmethod
    def of(cls, err: OSError, fallback: object) -> DestinationUnwritable:
        """The error for ``err``, naming the path the OS named (else ``fallback``)."""
        return cls(str(err.filename or fallback), err.strerror or type(err).__name__)


class HttpStatus(AllSourcesFailed):
    """Every mirror answered the same HTTP status (401 for a gated model, 404 everywhere…)."""

    def __init__(self, status: int, url: str, dest: str, reasons: dict[str, str]) -> None:
        super().__init__(dest, reasons)
        self.key = "download.http_status"
        self.params.update(status=status, url=url)
        self.status = status
        self.url = url


class SizeMismatch(AllSourcesFailed):
    """Every mirror announced a size other than the expected one."""

    def __init__(self, dest: str, reasons: dict[str, str], expected: int, actual: int) -> None:
        super().__init__(dest, reasons)
        self.key = "download.size_mismatch"
        self.params.update(expected=expected, actual=actual)
