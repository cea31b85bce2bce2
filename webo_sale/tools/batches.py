"""A long run (the monthly invoicing, the reminders) done batch after
batch, each batch committed."""
import time


def run_in_batches(env, claim, process, commit=True, progress=None):
    """Process what ``claim()`` locks (a batch; empty when nothing is
    left) with ``process(batch)``, which returns (how many it did, whether
    the run stops after it), until nothing is left. Each batch is committed
    unless ``commit`` is false (the test runner keeps everything in its own
    transaction), so that a run stopped half-way loses at most its current
    batch; then the environment's cache is emptied (the memory of a long run
    stays flat) and ``progress(done, seconds since the start)`` told.
    Returns how many were done."""
    done = 0
    started = time.monotonic()
    while True:
        batch = claim()
        if not batch:
            return done
        count, stop = process(batch)
        done += count
        if commit:
            env.cr.commit()  # pylint: disable=invalid-commit
        env.clear()
        if progress:
            progress(done, time.monotonic() - started)
        if stop:
            return done


def rate(done, seconds):
    """Per second, for a progress log."""
    return done / seconds if seconds else 0.0
