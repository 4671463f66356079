"""Saved progress: what the user entered, kept on the server between visits until finish.

One `WizardProgress` row per instance (the session is bound to one instance, and the instance to
one owner). Each Next stores the screen's raw submission and its converted values and marks the
screen done; opening the wizard again with a new code resumes from here. Secret values are kept
encrypted (wizard.crypto), like the core keeps them. The row is emptied only when finishing
succeeded; it then keeps a `finished` marker so that a second Finish (double click, two tabs)
gets the same answer instead of a second run.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, g
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import joinedload

from .. import slot_types
from ..crypto import seal, unseal
from ..dbsafety import WRITE_LOCK, hold_lock, writing
from ..extensions import db
from ..models import SolutionInstance, WizardProgress, utcnow
from .forms import field_name, raw_without

FORMAT = 1
# the first key of the Finish locks (PostgreSQL advisory locks: what the second key is a lock of)
FINISH_LOCK_CLASS = 26001


@dataclass
class Progress:
    """One wizard's state, the one owner of it (secrets decrypted, in memory only): the engine
    reads and writes `config`, `auth` and `done` here (it is the engine's store), the views call
    the named changes below, and `save` writes it back. Nothing is copied between owners."""

    instance_id: str
    mode: str = "edit"                     # "edit" | "upgrade"
    version: int | None = None             # the definition version the values are for
    name: str | None = None
    config: dict = field(default_factory=dict)
    auth: dict = field(default_factory=dict)
    secrets_saved: list[str] = field(default_factory=list)  # secret slots holding a saved value
    raw: dict = field(default_factory=dict)     # str(screen) -> {field: [values]} (no secrets)
    drafts: dict = field(default_factory=dict)  # str(screen) -> raw submission left with errors
    done: list[int] = field(default_factory=list)
    finished: bool = False
    enabled: bool = False
    asked: dict | None = None                   # upgrade mode: slot -> why it is asked (engine)
    editing: list[int] = field(default_factory=list)  # upgrade mode: screens opened to change anyway
    news: dict | None = None                    # a version published mid-journey: what to tell (carry.py)
    upgraded_from: int | None = None            # after a finished upgrade: the version it left

    @property
    def started(self) -> bool:
        return self.version is not None

    # -- the named changes (formtools' storage: set_step_data and friends) -----------------------

    def submitted(self, screen: int, raw: dict) -> None:
        """A screen's values were accepted: keep its raw submission, forget its draft, mark it done."""
        self.raw[str(screen)] = raw
        self.drafts.pop(str(screen), None)
        self.done = sorted(set(self.done) | {screen})

    def left_with_errors(self, screen: int, raw: dict) -> None:
        """The user went Back from a screen with errors: nothing typed is lost; it is not done."""
        self.drafts[str(screen)] = raw
        self.unmark(screen)

    def set_draft(self, screen: int, raw: dict) -> None:
        """What is on a screen, kept as typed (e.g. after adding a row) until it is submitted."""
        self.drafts[str(screen)] = raw

    def drop_draft(self, screen: int) -> None:
        self.drafts.pop(str(screen), None)

    def draft(self, screen: int) -> dict | None:
        return self.drafts.get(str(screen))

    def unmark(self, screen: int) -> None:
        """The screen needs the user again (Back with errors, or Finish found it no longer holds)."""
        self.done = [d for d in self.done if d != screen]

    def choose_account(self, slot_id: str, auth_id: str, *, screen: int) -> None:
        """An account connected in the popup becomes the slot's choice, in the screen's draft too
        when it has one (a refused Next's): the page shows the draft, which would hide it."""
        self.auth[slot_id] = auth_id
        draft = self.drafts.get(str(screen))
        if draft is not None:
            draft[field_name(slot_id)] = [auth_id]

    def rename(self, name: str | None) -> None:
        self.name = (name or "").strip()[:300] or None


def locked_instance(instance_id: str):
    """Called by Finish on the embedded core: the instance locked (FOR UPDATE; BEGIN IMMEDIATE on
    SQLite), with its progress and its owner (whom Finish's events name), in ONE statement, as the
    ORM objects the core's own locking read then finds (dbsafety.hold_lock): read again, since what
    was read without the lock may have changed while this waited. The caller holds the row while
    it needs it (the identity map holds rows weakly); None when there is no such instance."""
    stmt = (select(SolutionInstance).options(joinedload(SolutionInstance.progress), joinedload(SolutionInstance.owner))
            .where(SolutionInstance.id == instance_id)
            .with_for_update(of=SolutionInstance).execution_options(**WRITE_LOCK))
    row = db.session.scalar(stmt)
    if row is not None:
        hold_lock(db.session, row)
    return row


_UNREAD = object()


def load(instance_id: str, *, lock: bool = False, data=_UNREAD) -> Progress:
    """The instance's progress (an empty one when there is none), from `data` when the caller
    read it (the page's read, flow.page_read, or Finish's locked read: None when there is no
    progress row), else read here. With `lock`, the row is locked until the next commit
    (PostgreSQL; SQLite serialises writers anyway)."""
    if data is _UNREAD:
        stmt = select(WizardProgress).where(WizardProgress.instance_id == instance_id)
        if lock:
            stmt = stmt.with_for_update()
        row = db.session.scalar(stmt)
        data = row.data if row is not None else None
    data = dict(data or {})
    if data.get("format") != FORMAT:
        data = {}
    return Progress(
        instance_id=instance_id, mode=data.get("mode", "edit"), version=data.get("version"),
        name=data.get("name"), config=unseal(data.get("config"), skip_unreadable=True), auth=dict(data.get("auth") or {}),
        secrets_saved=list(data.get("secrets_saved") or []), raw=dict(data.get("raw") or {}),
        drafts=dict(data.get("drafts") or {}), done=list(data.get("done") or []),
        finished=bool(data.get("finished")), enabled=bool(data.get("enabled")),
        asked=data.get("asked"), editing=list(data.get("editing") or []), news=data.get("news"),
        upgraded_from=data.get("upgraded_from"),
    )


_TABLE = WizardProgress.__table__
_SAVE = update(_TABLE).where(_TABLE.c.instance_id == bindparam("iid"))  # the values are the parameters


def save(progress: Progress, definition: dict, *, release: bool = False, secret_ids=None) -> None:
    """Write the progress (committed: dbsafety.writing); `release` also drops the Finish claim.
    `secret_ids`: the definition's secret slots (slot_types.secret_ids), when the caller has them
    (the engine keeps them with the definition's layout)."""
    secret = slot_types.secret_ids(definition) if secret_ids is None else secret_ids
    data = {
        "format": FORMAT, "mode": progress.mode, "version": progress.version, "name": progress.name,
        "config": seal(progress.config, secret), "auth": progress.auth,
        "secrets_saved": sorted(set(progress.secrets_saved)), "raw": progress.raw, "drafts": progress.drafts,
        "done": sorted(set(progress.done)), "finished": progress.finished, "enabled": progress.enabled,
        "asked": progress.asked, "editing": sorted(set(progress.editing)), "news": progress.news,
        "upgraded_from": progress.upgraded_from,
        # the form fields never to keep in a draft, for keep_draft (which runs without the core)
        "secret_fields": sorted(field_name(slot_id) for slot_id in secret),
    }
    values = {"data": data, "updated": utcnow(), **({"finishing_since": None} if release else {})}
    # one UPDATE, no re-read (the row is replaced whole); the first save of an instance inserts
    with writing() as conn:
        if not conn.execute(_SAVE, {"iid": progress.instance_id, **values}).rowcount:
            conn.execute(insert(_TABLE), {"instance_id": progress.instance_id, **values})


def begin(instance, definition: dict, *, mode: str, version: int, config: dict, auth: dict) -> Progress:
    """Fresh progress prefilled with the instance's values (editing an instance opens with what
    it has; secrets are only remembered as "saved", never sent back to the page)."""
    secret_ids = slot_types.secret_ids(definition)
    return Progress(
        instance_id=instance.id, mode=mode, version=version, name=instance.name,
        config={k: v for k, v in config.items() if k not in secret_ids},
        auth=dict(auth), secrets_saved=[k for k in secret_ids if config.get(k) not in (None, "")],
    )


def keep_draft(instance_id: str, screen: int, formdata) -> bool:
    """Called when a screen was submitted but the core could not be reached (so there is no
    definition to check it against): what was typed becomes the screen's draft, shown again on
    the next visit. Secrets are left out, as in every draft."""
    row = db.session.get(WizardProgress, instance_id)
    data = dict(row.data or {}) if row is not None else {}
    if data.get("format") != FORMAT or data.get("finished") or "secret_fields" not in data:
        return False  # without the list of secret fields, nothing typed may be stored
    if formdata.get("wizard_screen") != str(screen):
        return False
    draft = raw_without(formdata, data["secret_fields"])
    data["drafts"] = {**(data.get("drafts") or {}), str(screen): draft}
    row.data = data
    row.updated = utcnow()
    db.session.commit()
    return True


# -- the Finish claim -----------------------------------------------------------------------------
# What makes a claim live is a lock that dies with its holder: a PostgreSQL advisory lock held in
# a transaction on a connection of its own (the server drops it when the connection goes, e.g. a
# worker killed mid-Finish), or with SQLite (one host) an flock on a file in the instance
# folder (the kernel drops it with the process). The column `finishing_since`, the claim of before (a mark with a
# 120 s lifetime, which outlived a killed worker), is no longer written.

def _lock_key(instance_id: str) -> int:
    return int.from_bytes(hashlib.sha256(instance_id.encode()).digest()[:4], "big", signed=True)


def _try_lock(instance_id: str):
    """Take the instance's Finish lock without waiting: a function that lets it go, or None when
    a live holder has it."""
    if db.engine.dialect.name == "postgresql":
        # a transaction-level lock in a transaction left open on a connection of its own:
        # letting go is that transaction's rollback (no statement of its own)
        conn = db.engine.connect()
        try:
            got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:c, :k)"),
                               {"c": FINISH_LOCK_CLASS, "k": _lock_key(instance_id)}).scalar()
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        if not got:
            conn.close()
            return None

        def release_pg():
            try:
                conn.rollback()
            except BaseException:
                conn.invalidate()  # closing the connection drops the lock
                raise
            finally:
                conn.close()
        return release_pg
    folder = os.path.join(current_app.instance_path, "finish-locks")
    os.makedirs(folder, exist_ok=True)
    fd = os.open(os.path.join(folder, f"{_lock_key(instance_id) & 0xFFFFFFFF:08x}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None

    def release_file():
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    return release_file


def _let_go(instance_id: str) -> None:
    """Drop this request's Finish lock on the instance, if it holds it."""
    release = g.get("finish_locks", {}).pop(instance_id, None)
    if release is not None:
        release()


def claim_finish(instance_id: str) -> bool:
    """Called by Finish before it asks the core to save and enable: True for exactly one of
    several concurrent Finishes (the lock above, taken without waiting); the others wait for its
    outcome instead of enabling a second time. The holder then reads the progress locked and
    finds it finished when an earlier Finish got there first (its commit comes before it lets
    go). A claim whose holder died (its lock gone with it) is taken at once by the next Finish."""
    release = _try_lock(instance_id)
    if release is None:
        return False
    if "finish_locks" not in g:
        g.finish_locks = {}
    g.finish_locks[instance_id] = release
    return True


def release_finish(instance_id: str, error: dict | None = None) -> None:
    """Called when the claimed Finish failed (the core refused or was unreachable) or found the
    work done: the values stay, and the next Finish may try again. `error` is what the failed
    Finish answered, for a twin request that waited for it (finish_error)."""
    db.session.rollback()
    try:
        row = db.session.get(WizardProgress, instance_id)
        if row is not None:
            row.finishing_since = None
            if error is not None:
                row.data = {**(row.data or {}), "finish_error": {**error, "at": utcnow().isoformat()}}
        db.session.commit()
    finally:
        _let_go(instance_id)


def failed_since(locked, started) -> dict | None:
    """The answer of a Finish that failed after `started` (when this request began), from the
    progress read with the instance `locked` (`locked_instance`; None with a remote core: none):
    a twin that only got the claim once that Finish let go (it waited for the instance's lock)
    answers the same instead of asking the core again."""
    progress = locked.progress if locked is not None else None
    error = (progress.data or {}).get("finish_error") if progress is not None else None
    if error and error.get("at") and datetime.fromisoformat(error["at"]) >= started:
        return error
    return None


def finish_error(instance_id: str) -> dict | None:
    """The last failed Finish's answer, until the progress is next saved."""
    row = db.session.get(WizardProgress, instance_id)
    return (row.data or {}).get("finish_error") if row is not None else None


def finishing(instance_id: str) -> bool:
    """True while another request, alive, holds the Finish claim (its lock)."""
    release = _try_lock(instance_id)
    if release is None:
        return True
    release()
    return False



def finish(progress: Progress, definition: dict, *, enabled: bool, upgraded_from: int | None = None) -> None:
    """Success: forget what was typed (it is in the instance now), keep the finished marker (and
    the version an upgrade left, for the page's finish event) and release the claim, in one commit."""
    try:
        save(Progress(instance_id=progress.instance_id, mode=progress.mode, version=progress.version,
                      finished=True, enabled=enabled, upgraded_from=upgraded_from), definition, release=True)
    finally:
        _let_go(progress.instance_id)


def forget_finished(instance_id: str) -> None:
    """Called at entry: a wizard opened again after finishing starts from the instance's values."""
    if load(instance_id).finished:
        save(Progress(instance_id=instance_id), {"config": []})
