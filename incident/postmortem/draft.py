"""Write a postmortem draft: record -> prose (deterministic, or Claude + judge) -> Markdown -> store (+ file)."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident.config import Settings
from incident.models import EventKind, Postmortem, utcnow
from incident.postmortem.llm import rewrite
from incident.postmortem.model import PostmortemRecord, RemovedClaim
from incident.postmortem.prose import deterministic
from incident.postmortem.record import PostmortemError, build_record
from incident.postmortem.render import render_markdown
from incident.store import Store
from incident.timeline import log_event

log = logging.getLogger(__name__)


@dataclass
class PostmortemResult:
    incident_id: int
    markdown: str
    mode: str
    """``deterministic`` or ``claude`` (prose rewritten by the model and checked by the judge)."""
    path: Path | None
    """Where the draft was written, when it was."""
    postmortem_id: int
    """The stored :class:`~incident.models.Postmortem` row."""
    record: PostmortemRecord
    removed: list[RemovedClaim] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)


def export_path(settings: Settings, incident_id: int) -> Path:
    """Where the TUI exports a draft: ``postmortem-incident-<id>.md`` in ``[postmortem] export_dir``
    (default: the current directory)."""
    configured = settings.postmortem.export_dir
    base = Path(configured).expanduser() if configured else Path.cwd()
    return base / f"postmortem-incident-{incident_id}.md"


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file in the same directory and ``os.replace``:
    readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_postmortem(
    store: Store,
    incident_id: int,
    settings: Settings,
    *,
    who: str,
    path: Path | None = None,
    use_llm: bool | None = None,
) -> PostmortemResult:
    """Draft the postmortem of ``incident_id``, store it (a ``Postmortem`` row and a timeline event) and,
    with ``path``, write it there atomically.

    ``use_llm``: None follows ``[postmortem] llm``; Claude is only asked when an agent key is configured.
    Blocking (model calls take seconds): a UI runs it in a worker. Raises PostmortemError (unknown
    incident, unwritable path) and ConfigError (a broken team template); never for model trouble.
    """
    with store.session() as session:
        rec = build_record(session, incident_id, settings)
    base = deterministic(rec)
    markdown = render_markdown(rec, base, settings)  # a broken template fails before any model call
    mode, removed, notes, usage = "deterministic", [], [], {}
    if settings.postmortem.llm if use_llm is None else use_llm:
        client, note = _client(settings)
        if client is not None:
            result = rewrite(client, settings.agent, rec, base)
            removed, notes, usage = result.removed, result.notes, result.usage
            mode = "claude" if result.used else "deterministic"
            markdown = render_markdown(rec, result.prose, settings, mode=mode, notes=notes, removed=removed)
        elif note:
            notes = [note]
            markdown = render_markdown(rec, base, settings, notes=notes)
    written = None
    if path is not None:
        written = path.expanduser().absolute()
        try:
            write_atomically(written, markdown)
        except OSError as exc:
            raise PostmortemError(f"cannot write {written}: {exc.strerror or exc}") from None
    with store.session() as session:
        row = Postmortem(
            incident_id=rec.incident_id,
            who=who,
            mode=mode,
            path=str(written) if written else None,
            markdown=markdown,
        )
        session.add(row)
        session.flush()
        where = f"written to {written}" if written else "generated"
        log_event(
            session,
            incident_id=rec.incident_id,
            kind=EventKind.postmortem,
            key="postmortem",
            at=utcnow(),
            source=who,
            component=rec.component,
            summary=f"postmortem draft {where} ({mode})",
            details={
                "postmortem_id": row.id,
                "mode": mode,
                "path": str(written) if written else None,
                "removed": len(removed),
                "notes": notes,
            },
        )
        postmortem_id = row.id
    return PostmortemResult(
        incident_id=rec.incident_id,
        markdown=markdown,
        mode=mode,
        path=written,
        postmortem_id=postmortem_id,
        record=rec,
        removed=removed,
        notes=notes,
        usage=usage,
    )


def _client(settings: Settings) -> tuple[Any | None, str | None]:
    """The Messages client, or None with a note when it cannot be built (None without one: no key)."""
    from incident.llm import build_client

    try:
        return build_client(settings.agent), None
    except Exception as exc:  # a cloud provider without its credentials or extras
        log.warning("postmortem: cannot build the Claude client: %s", exc)
        return None, f"Claude unavailable ({type(exc).__name__}); the prose is deterministic"
