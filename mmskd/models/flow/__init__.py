# Copyright (c) mmskd contributors. All rights reserved.
from .base_flow_source import BaseFlowSource
from .flow_io import read_flo, read_flow, read_flows, write_flo
from .precomputed_flow import PrecomputedFlow
from .raft_flow import RAFTFlow
from .synthetic_flow import ConstantFlow
from .warp import check_flow, flow_warp, warp_valid_mask

__all__ = [
    'BaseFlowSource', 'ConstantFlow', 'PrecomputedFlow', 'RAFTFlow',
    'check_flow', 'flow_warp', 'read_flo', 'read_flow', 'read_flows',
    'warp_valid_mask', 'write_flo'
]
