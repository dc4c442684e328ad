"""The checkpoint quota shared out (ganlib.checkpoints.space): one student cannot fill it, and
the teacher's saves and every autosave always find room (issue: eleven uploads by one student
filled the 2,000 MB quota in 3.6 minutes; then the teacher's Save, and every autosave, were
refused, and a SIGTERM lost the teacher's run)."""

from __future__ import annotations

import numpy as np
import pytest

from ganlib import settings
from ganlib.checkpoints import (export_zip, import_zip, read_info, rename_checkpoint,
                                save_checkpoint, student_share, usage)
from ganlib.errors import CheckpointError
from ganlib.server.classroom import Role, owner_for
from ganlib.server.registry import RunRegistry
from ganlib.server.shutdown import stop_and_autosave
from ganlib.training.runner import TrainingRun
from tests.test_checkpoints import CONFIG, nets, root, save  # noqa: F401 - fixtures

STUDENTS = [owner_for(f"{n:x}" * 64, Role.STUDENT).stored_owner for n in range(1, 10)]
TEACHER = None                                # what the teacher's saves record as owner


def folder_bytes(path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@pytest.fixture
def sized(save, root, monkeypatch):
    """quota(models, share, reserve): a quota of `models` times one test model's size, the
    shares as given; the size of one model."""
    size = folder_bytes(save("probe", owner=STUDENTS[0], autosave=True).path)
    (root / "probe").rename(root.parent / "probe-kept")     # the folder starts empty

    def quota(models: float, share: float = 0.1, reserve: float = 0.25) -> int:
        # (a little more than `models` models: a model's size varies by a few bytes)
        monkeypatch.setenv("GAN_CLASSROOM_CHECKPOINT_QUOTA_MB",
                           str(models * 1.002 * size / 2**20))
        monkeypatch.setenv("GAN_CLASSROOM_STUDENT_SHARE", str(share))
        monkeypatch.setenv("GAN_CLASSROOM_CHECKPOINT_RESERVE", str(reserve))
        settings.reset()
        return size
    return quota


def saves_until_refused(save, owner, prefix: str) -> tuple[int, str]:
    """(how many saves of `owner` were accepted, the refusal)."""
    for n in range(100):
        try:
            save(f"{prefix}-{n}", owner=owner)
        except CheckpointError as exc:
            return n, str(exc)
    raise AssertionError("never refused")


def test_one_student_fills_only_their_share_and_the_class_leaves_the_reserve(sized, save, root):
    size = sized(40, share=0.1, reserve=0.25)       # a share of 4 models, 30 for students
    accepted, refusal = saves_until_refused(save, STUDENTS[0], "mine")
    assert accepted == 4 and usage(STUDENTS[0], root) <= student_share()
    assert "your models use" in refusal and "each student may use" in refusal
    assert "Delete models of yours" in refusal and str(root) not in refusal

    upload = export_zip("mine-0", root)             # an upload counts as a save does
    with pytest.raises(CheckpointError, match="each student may use"):
        import_zip(upload, root, owner=STUDENTS[0])

    refusals = [saves_until_refused(save, student, f"s{i}")[1]
                for i, student in enumerate(STUDENTS[1:])]
    students = sum(usage(student, root) for student in STUDENTS)
    assert students <= 0.75 * 40 * size             # never into the reserve
    assert any("the students' models already use" in r and "kept for the teacher" in r
               for r in refusals)
    accepted, refusal = saves_until_refused(save, TEACHER, "teacher")
    assert accepted >= 8                            # the teacher still has the reserve
    assert "of their quota of" in refusal           # and the quota holds for everybody


def test_a_students_autosave_is_never_refused_for_a_full_share_and_stays_bounded(sized, save,
                                                                                root):
    sized(40, share=0.1)
    student = STUDENTS[0]
    saves_until_refused(save, student, "mine")      # the share is full of named models
    first = save("autosave-run-1", owner=student, autosave=True)
    assert first.autosave and usage(student, root) > student_share()   # into the reserve
    save("autosave-run-1", owner=student, autosave=True)   # its own autosave, replaced
    save("autosave-run-2", owner=student, autosave=True)   # another run: the older one goes
    assert not (root / "autosave-run-1").exists() and (root / "autosave-run-2").is_dir()
    assert usage(student, root) <= student_share() + folder_bytes(root / "autosave-run-2")
    # An autosave given a name counts as a named model: no way past the share by renaming.
    with pytest.raises(CheckpointError, match="each student may use"):
        rename_checkpoint("autosave-run-2", "kept-forever", root)
    assert read_info("autosave-run-2", root).autosave


def test_saving_a_run_by_name_takes_its_autosaves_room_and_removes_it(sized, save, root):
    size = sized(40, share=0.1)                     # a share of 4 models
    student = STUDENTS[0]
    for n in range(3):
        save(f"mine-{n}", owner=student)
    save("autosave-run-7", owner=student, autosave=True)       # the share is full now
    with pytest.raises(CheckpointError, match="each student may use"):
        save("another", owner=student)
    info = save("my-run", owner=student, supersedes="autosave-run-7")
    assert info.name == "my-run" and not info.autosave
    assert not (root / "autosave-run-7").exists()
    assert usage(student, root) <= student_share() < 5 * size
    # Another person's autosave is never taken for the run's own.
    save("autosave-run-8", owner=STUDENTS[1], autosave=True)
    save("theirs", owner=STUDENTS[2], supersedes="autosave-run-8")
    assert (root / "autosave-run-8").is_dir()


def test_an_upload_never_claims_to_be_an_autosave(sized, save, root, tmp_path):
    sized(40, share=0.1)
    upload = export_zip(save("autosave-run-9", owner=STUDENTS[0], autosave=True).name, root)
    info = import_zip(upload, tmp_path / "other", owner=STUDENTS[1])
    assert not info.autosave and info.owner == STUDENTS[1]


def filler(nets, owner: str, name: str, mb: float, root) -> None:
    """A student's model of about `mb` MB (random optimiser state: it does not compress)."""
    values = np.random.default_rng(0).standard_normal(int(mb * 2**20 / 4)).astype(np.float32)
    save_checkpoint(name, generator=nets[0], critic=nets[1], config=CONFIG, step=1,
                    optimizer_state={"d_optimizer": [values]}, owner=owner, root=root)


def test_students_filling_the_quota_leave_room_for_the_teachers_run_at_shutdown(
        nets, tiny_dataset, tiny_config, tmp_path, monkeypatch):
    """The issue's SIGTERM: the quota was full of one student's uploads, and the teacher's run
    was lost. Now the students' part is full and the teacher's run is still autosaved."""
    root = tmp_path / "checkpoints"
    monkeypatch.setenv("GAN_CLASSROOM_CHECKPOINT_QUOTA_MB", "10")
    monkeypatch.setenv("GAN_CLASSROOM_STUDENT_SHARE", "0.3")      # 3 MB each
    monkeypatch.setenv("GAN_CLASSROOM_CHECKPOINT_RESERVE", "0.5")  # 5 MB for the class
    settings.reset()
    registry = RunRegistry(max_active=1)
    run, _key = registry.start(lambda: TrainingRun(tiny_config(steps=None),
                                                   dataset=tiny_dataset))
    assert run.wait_for(lambda s: s.step >= 1)
    refused = 0
    for n in range(12):                          # eleven uploads filled it in the issue
        try:
            filler(nets, STUDENTS[n % 3], f"filler-{n}", 1.2, root)
        except CheckpointError:
            refused += 1
    assert refused > 0
    saved = stop_and_autosave(registry, root)
    assert [info.name for info in saved] == [f"autosave-{run.run_id}"]
    assert read_info(saved[0].name, root).owner is None
