# Copyright (c) mmskd contributors. All rights reserved.
"""The metafile entries that model-index.yml imports, for the config tests.

Test helper shared by test_seg_configs.py and test_det_configs.py.
"""
import os.path as osp
from typing import Dict

import yaml

from ._configs import REPO


def metafile_entries() -> Dict[str, dict]:
    """Entries by config path, from the metafiles model-index.yml imports.

    Returns:
        dict: ``'configs/...py'`` -> its metafile entry.
    """
    with open(osp.join(REPO, 'model-index.yml')) as file:
        index = yaml.safe_load(file)
    entries = {}
    for relative in index['Import']:
        path = osp.join(REPO, relative)
        if not osp.isfile(path):
            continue
        with open(path) as file:
            for entry in yaml.safe_load(file).get('Models') or []:
                entries[entry['Config']] = entry
    return entries


def metafile_entry(name: str) -> dict:
    """The entry of ``configs/{name}``, failing if it is missing or misnamed.

    Args:
        name (str): The config path relative to configs/.

    Returns:
        dict: Its metafile entry.
    """
    entry = metafile_entries().get(f'configs/{name}')
    assert entry, f'configs/{name} has no entry in the metafiles that ' \
        'model-index.yml imports'
    assert entry['Name'] == osp.basename(name)[:-3]
    return entry
