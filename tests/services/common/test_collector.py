"""The cycle collector paused around a workbook, and always switched back on."""

import gc

from supplies.services.common import collector


def test_overlapping_pauses_switch_the_collector_back_on_when_the_last_ends():
    assert gc.isenabled()
    first, second = collector.paused(), collector.paused()
    first.__enter__()
    second.__enter__()  # a second workbook, in another thread, begins before the first ends
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second is still running
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_pause_ended_by_an_error_switches_the_collector_back_on():
    try:
        with collector.paused():
            assert not gc.isenabled()
            raise RuntimeError("disk full")
    except RuntimeError:
        pass
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
