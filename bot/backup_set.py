"""One backup: a folder `fangfanpin-YYYYMMDD-HHMMSS/` holding the database (`database.dump`,
pg_dump's custom format, or `database.sqlite`), the policy file, the settings files (the `.env`
files with the tokens) and `manifest.json` (what each file is, where it came from, its SHA-256,
the database's migration). Folders 0700, files 0600: they hold personal data and secrets. A
backup is written as `….partial` and renamed when complete, so a folder without that suffix
is whole. The newest `keep` backups stay; older ones are removed, and so is what a backup
stopped half-way (killed, the disk full) left behind."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from storage import backup as database

FORMAT = 1
MANIFEST = "manifest.json"
NAME = re.compile(r"fangfanpin-\d{8}-\d{6}(-\d+)?")
PARTIAL = ".partial"
STALE = 24 * 3600  # seconds: a `….partial` older than this is no backup still being written


class BackupSetError(Exception):
    """One line for the operator; nothing was changed."""


@dataclass(frozen=True)
class Saved:
    """A file of a backup besides the database: its name in the backup and where it was."""

    kind: str  # "policy" or "settings"
    name: str
    origin: str


@dataclass(frozen=True)
class Backup:
    folder: Path
    made_at: str
    version: str
    database_kind: str
    database_file: str
    revision: str | None
    saved: tuple[Saved, ...]


def settings_files(paths: list[Path]) -> list[Path]:
    """The files named (a folder: its `*.env` files); BackupSetError for one that is missing."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.glob("*.env") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise BackupSetError(f"{path}: no such file or folder")
    return found


def make(
    into: Path,
    *,
    url: str,
    revision: str | None,
    policy: Path | None,
    settings: list[Path],
    now: datetime,
) -> Backup:
    """A new backup in `into` (created 0700 when missing)."""
    into.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = "fangfanpin-" + now.strftime("%Y%m%d-%H%M%S")
    final, n = into / name, 1
    while final.exists() or final.with_name(final.name + PARTIAL).exists():
        n += 1
        final = into / f"{name}-{n}"
    partial = final.with_name(final.name + PARTIAL)
    partial.mkdir(mode=0o700)
    try:
        kind = database.kind(url)
        database_file = "database.dump" if kind == "postgresql" else "database.sqlite"
        database.dump(url, partial / database_file)
        saved: list[Saved] = []
        if policy is not None:
            saved.append(_copy(policy, partial, "policy", "policy.toml"))
        if settings:
            (partial / "settings").mkdir(mode=0o700)
        for file in settings:
            saved.append(_copy(file, partial, "settings", _free(partial / "settings", file.name)))
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "made_at": now.isoformat(timespec="seconds"),
            "version": _version(),
            "database": {
                "kind": kind,
                "file": database_file,
                "revision": revision,
                "sha256": _sha256(partial / database_file),
            },
            "files": [
                {
                    "kind": s.kind,
                    "file": s.name,
                    "from": s.origin,
                    "sha256": _sha256(partial / s.name),
                }
                for s in saved
            ],
        }
        _write_private(partial / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(final)
    return read(final)


def read(folder: Path) -> Backup:
    """The backup in `folder`, every file checked against its SHA-256."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        db = manifest["database"]
        saved = tuple(Saved(f["kind"], f["file"], f["from"]) for f in manifest["files"])
        checks = [(db["file"], db["sha256"])] + [
            (f["file"], f["sha256"]) for f in manifest["files"]
        ]
        found = Backup(
            folder=folder,
            made_at=manifest["made_at"],
            version=manifest["version"],
            database_kind=db["kind"],
            database_file=db["file"],
            revision=db["revision"],
            saved=saved,
        )
    except FileNotFoundError:
        raise BackupSetError(
            f"{folder}: not a backup made by `fangfanpin backup` (no {MANIFEST})"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise BackupSetError(
            f"{folder / MANIFEST}: damaged (not the manifest of a backup)"
        ) from None
    for name, digest in checks:
        file = folder / name
        if not file.is_file() or _sha256(file) != digest:
            raise BackupSetError(
                f"{file}: missing or damaged (its SHA-256 differs from the manifest's): "
                "restore an older backup"
            )
    return found


def prune(into: Path, keep: int, now: datetime) -> list[Path]:
    """Remove all but the newest `keep` whole backups in `into` (0: keep all), and what a
    backup stopped half-way left (`….partial` older than a day); the backups removed."""
    for left in into.glob("fangfanpin-*" + PARTIAL):
        if left.is_dir() and now.timestamp() - left.stat().st_mtime > STALE:
            shutil.rmtree(left, ignore_errors=True)
    if keep <= 0:
        return []
    whole = sorted(
        (p for p in into.iterdir() if p.is_dir() and NAME.fullmatch(p.name)),
        key=lambda p: (p.name[:26], int(p.name[27:] or 1)),
    )
    old = whole[:-keep]
    for folder in old:
        shutil.rmtree(folder)
    return old


def _copy(source: Path, folder: Path, kind: str, name: str) -> Saved:
    _write_private(folder / name, source.read_bytes())
    return Saved(kind, name, str(source.resolve()))


def _free(folder: Path, name: str) -> str:
    """`settings/NAME`, or `settings/N-NAME` when two folders have a file of that name."""
    candidate, n = name, 1
    while (folder / candidate).exists():
        n += 1
        candidate = f"{n}-{name}"
    return f"settings/{candidate}"


def _write_private(path: Path, data: str | bytes) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.touch(mode=0o600, exist_ok=False)
    path.write_bytes(raw)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _version() -> str:
    try:
        return metadata.version("fangfanpin")
    except metadata.PackageNotFoundError:
        return "unknown"
