# Copyright (c) mmskd contributors. All rights reserved.
"""The scalars mmengine logged into a work dir, read back."""
import json

from mmskd.utils import log_records


def _write(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(json.dumps(record) + '\n' for record in records))


def test_records_come_oldest_run_first_and_once_per_run(tmp_path):
    first = tmp_path / '20260101_000000' / 'vis_data'
    # The LoggerHook's copy beside scalars.json is not read twice.
    _write(first / 'scalars.json', [{'loss': 2.0, 'step': 1},
                                    {'mIoU': 10.0, 'step': 2}])
    _write(first / '20260101_000000.json', [{'mIoU': 10.0, 'step': 2}])
    # A run without scalars.json (another vis backend) keeps its own log.
    second = tmp_path / '20260102_000000' / 'vis_data'
    _write(second / '20260102_000000.json', [{'mIoU': 20.0, 'step': 4}])
    assert list(log_records(str(tmp_path))) == [
        {'loss': 2.0, 'step': 1}, {'mIoU': 10.0, 'step': 2},
        {'mIoU': 20.0, 'step': 4}]


def test_a_work_dir_without_logs_has_no_records(tmp_path):
    assert list(log_records(str(tmp_path))) == []
