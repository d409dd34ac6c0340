# Copyright (c) mmskd contributors. All rights reserved.
"""The comparison after a search: its three configs, and its table by
hand."""
import os.path as osp

from mmengine.config import Config

from mmskd.models.auxiliary import basic_module_cells
from mmskd.search.compare import comparison_configs, format_comparison
from mmskd.testing import CONFIG_ROOT

SEARCH = osp.join(CONFIG_ROOT, 'auxiliary',
                  'search_pspnet_r18-d8_w8_aux_scenes-128x128.py')


def test_the_three_rows_train_no_module_the_basic_one_and_the_searched():
    cfg = Config.fromfile(SEARCH)
    cells = basic_module_cells(4)
    plain, own, searched = comparison_configs(cfg, cells).values()
    assert plain.model.auxiliary_head is None
    assert own.model.auxiliary_head == cfg.model.auxiliary_head
    assert searched.model.auxiliary_head.cells == [list(c) for c in cells]
    assert all('search' not in row for row in (plain, own, searched))
    assert own.train_dataloader == cfg.train_dataloader  # the whole set


def test_the_table_by_hand():
    results = {
        'no auxiliary module': {0: 20., 1: 22.},
        "the config's module": {0: 21., 1: 24.},
        'searched module': {0: 21., 1: 22.},
    }
    lines = format_comparison(results, 'mIoU').splitlines()
    # Gains 1 and 2 (mean 1.5, std 0.71); the searched row 1 and 0 over
    # no module, 0 and -2 against the basic one.
    assert lines[2] == '| no auxiliary module | 21.00 ± 1.41 |  |  |'
    assert lines[3] == ("| the config's module | 22.50 ± 2.12 | "
                        '+1.50 ± 0.71, holds | +1.50 ± 0.71, holds |')
    assert lines[4] == ('| searched module | 21.50 ± 0.71 | +0.50 ± 0.71, '
                        'within noise | -1.00 ± 1.41, within noise |')
