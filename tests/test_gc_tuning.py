"""The garbage collector's tuning for long-lived and bulk processes (ncert.gc_tuning)."""

from __future__ import annotations

import gc

from ncert import gc_tuning


def test_a_bulk_job_tunes_the_collector_for_its_duration_only():
    before = gc.get_threshold()
    with gc_tuning.bulk():
        assert gc.get_threshold() == gc_tuning.THRESHOLDS
        assert gc.get_freeze_count() > 0  # what start-up built is out of the collector's passes
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_long_lived_process_keeps_the_tuning():
    before = gc.get_threshold()
    try:
        gc_tuning.settle()
        assert gc.get_threshold() == gc_tuning.THRESHOLDS and gc.get_freeze_count() > 0
    finally:  # the test process is not long-lived
        gc.unfreeze()
        gc.set_threshold(*before)
