"""Inbox rules on real folders: names taken, safe reading, failed/ naming, claims."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest

from archiver.errors import FileRejected
from archiver.inbox import Claim, Inbox, is_taken_name, read_file


@pytest.mark.parametrize(
    ("name", "taken"),
    [
        ("a.txt", True),
        ("A.TXT", True),
        ("b.text", True),
        ("c.md", True),
        ("c.MD", True),
        (".hidden.txt", False),
        ("x.txt.tmp", False),
        ("x.txt.part", False),
        ("x.crdownload", False),
        ("x.txt~", False),
        ("x.pdf", False),
        ("x", False),
        ("x.txt.meta.json", False),
    ],
)
def test_taken_names(name: str, taken: bool) -> None:
    assert is_taken_name(name) is taken


def test_read_file_refuses_links_and_fifos_without_opening_them(tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    target.write_text("secret")
    os.symlink(target, tmp_path / "link.txt")
    os.mkfifo(tmp_path / "fifo.txt")  # opening it for reading would block: it must never be opened
    for name in ("link.txt", "fifo.txt"):
        with pytest.raises(FileRejected) as info:
            read_file(tmp_path / name, 1000)
        assert info.value.code == "not_regular"


def test_read_file_enforces_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 1001)
    with pytest.raises(FileRejected) as info:
        read_file(path, 1000)
    assert info.value.code == "too_large"
    assert read_file(path, 1001).data == b"x" * 1001


def test_unreadable_file_is_rejected_with_a_reason(tmp_path: Path) -> None:
    """Run in a child that drops to `nobody`: root reads anything, a real user does not."""
    if os.geteuid() != 0:
        pytest.skip("dropping privileges needs root (CI runs as root)")
    path = tmp_path / "locked.txt"
    path.write_text("text")
    os.chmod(path, 0)
    os.chmod(tmp_path, 0o755)
    nobody = pwd.getpwnam("nobody")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        outcome = "read"
        try:
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            read_file(path, 1000)
        except FileRejected as exc:
            outcome = exc.code
        except BaseException as exc:  # noqa: BLE001
            outcome = f"error {exc!r}"
        os.write(write_end, outcome.encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end) as pipe:
        assert pipe.read() == "unreadable"


def test_failed_keeps_subfolders_adds_suffixes_and_shortens_long_names(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox", tmp_path / "failed")
    inbox.open()
    long_name = "x" * 250 + ".txt"
    for name in ("sub/dir/a.txt", "sub/dir/a.txt", long_name, long_name):
        path = inbox.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        claim = inbox.claim(path)
        assert claim is not None
        inbox.fail(claim, "empty", "the file is empty")
    assert sorted(p.name for p in (tmp_path / "failed" / "sub" / "dir").iterdir()) == [
        "a.1.txt",
        "a.1.txt.error.json",
        "a.txt",
        "a.txt.error.json",
    ]
    reports = [json.loads(p.read_text()) for p in (tmp_path / "failed").glob("*.error.json")]
    assert [r["original_path"] for r in reports] == [long_name, long_name]
    assert all(len(p.name.encode()) <= 255 for p in (tmp_path / "failed").iterdir())
    inbox.close()


def test_failed_dir_inside_the_inbox_is_refused(tmp_path: Path) -> None:
    from archiver.errors import ConfigError

    with pytest.raises(ConfigError):
        Inbox(tmp_path / "inbox", tmp_path / "inbox" / "failed")


def test_release_never_overwrites_a_newer_file(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox", tmp_path / "failed")
    inbox.open()
    path = inbox.root / "a.txt"
    path.write_text("old")
    claim = inbox.claim(path)
    assert claim is not None
    path.write_text("new")  # the user dropped a new version meanwhile
    inbox.release(claim)
    assert path.read_text() == "new"
    assert (inbox.root / "a.1.txt").read_text() == "old"
    inbox.close()


def test_two_inboxes_cannot_claim_the_same_file(tmp_path: Path) -> None:
    first = Inbox(tmp_path / "inbox", tmp_path / "failed")
    second = Inbox(tmp_path / "inbox", tmp_path / "failed")
    first.open()
    second.open()
    path = first.root / "a.txt"
    path.write_text("x")
    assert first.claim(path) is not None
    assert second.claim(path) is None
    assert second.recover_claims() == 0  # the first daemon is alive: its claims stay
    first.close()
    second.close()


def _claim_new(inbox: Inbox, name: str) -> Claim:
    path = inbox.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(name)
    claim = inbox.claim(path)
    assert claim is not None
    return claim


def test_a_claim_folder_goes_with_the_last_claim_in_it_however_each_ends(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox", tmp_path / "failed")
    inbox.open()
    claims = [_claim_new(inbox, f"{folder}/{n}.txt") for n in range(3) for folder in ("wire/2024", "wire/2025", "blog")]
    ends = [inbox.finish, inbox.release, lambda c: inbox.fail(c, "empty", "the file is empty")]
    for n, claim in enumerate(claims):
        folder = claim.path.parent
        others = [c for c in claims[n + 1 :] if c.path.parent == folder]
        ends[n % 3](claim)
        assert folder.is_dir() == bool(others), claim.relative  # kept while it holds another claim
    assert sorted(p.name for p in inbox.claim_dir.iterdir() if not p.name.startswith(".")) == []
    # A folder pruned while the daemon runs is made again for the next claim in it.
    inbox.finish(_claim_new(inbox, "blog/again.txt"))
    assert not (inbox.claim_dir / "blog").exists()
    inbox.close()


def test_the_sidecar_read_with_a_file_goes_with_it_and_a_later_one_stays(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox", tmp_path / "failed")
    inbox.open()
    (inbox.root / "a.txt.meta.json").write_text('{"title": "A"}')
    with_sidecar = _claim_new(inbox, "a.txt")
    assert with_sidecar.sidecar == inbox.root / "a.txt.meta.json"
    without = _claim_new(inbox, "b.txt")
    assert without.sidecar is None
    (inbox.root / "b.meta.json").write_text('{"title": "B"}')  # written after the file was claimed and read
    inbox.finish(with_sidecar)
    inbox.finish(without)
    assert sorted(p.name for p in inbox.root.iterdir() if not p.name.startswith(".")) == ["b.meta.json"]
    inbox.close()
