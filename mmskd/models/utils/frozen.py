# Copyright (c) mmskd contributors. All rights reserved.
"""Use a module without training it."""
from contextlib import contextmanager
from typing import Iterator

from torch import nn


@contextmanager
def frozen(module: nn.Module) -> Iterator[nn.Module]:
    """Keep ``module``'s parameters out of autograd inside the block.

    Gradients still flow through the module to its inputs.

    Args:
        module (nn.Module): The module to freeze for the block.

    Yields:
        nn.Module: ``module``.
    """
    flags = [p.requires_grad for p in module.parameters()]
    module.requires_grad_(False)
    try:
        yield module
    finally:
        for param, flag in zip(module.parameters(), flags):
            param.requires_grad_(flag)
