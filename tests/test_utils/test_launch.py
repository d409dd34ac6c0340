# Copyright (c) mmskd contributors. All rights reserved.
"""mmskd.utils.launch helpers not covered by the launcher runs."""
import torch.distributed as dist

from mmskd.utils import finish_distributed


def test_finish_distributed_destroys_the_group(tmp_path):
    dist.init_process_group(
        backend='gloo',
        init_method=f'file://{tmp_path / "store"}',
        rank=0,
        world_size=1)
    assert dist.is_initialized()
    finish_distributed()
    assert not dist.is_initialized()
    finish_distributed()  # without a group: nothing to do
