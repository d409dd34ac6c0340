# Copyright (c) mmskd contributors. All rights reserved.
"""Lp normalisation (L2 by default) that stays finite for all-zero feature
vectors."""
import torch
from torch import Tensor


def unit_vectors(feats: Tensor,
                 dim: int = 1,
                 eps: float = 1e-12,
                 ord: float = 2) -> Tensor:
    """Scale each vector along ``dim`` to unit norm; zero stays zero.

    After a ReLU a pixel's whole feature vector can be exactly zero. Its
    direction is undefined, and ``F.normalize`` then back-propagates a
    gradient of about 1/eps (1e12 with its default eps) into it, which is
    enough to wreck an SGD step. Here such a vector maps to zero with a zero
    gradient: its cosine with anything is 0 and it pulls on nothing.

    Args:
        feats (Tensor): Any tensor of vectors along ``dim``.
        dim (int): The axis holding the vector components. Defaults to 1
            (channels of an (N, C, H, W) map).
        eps (float): Norms at or below it count as zero. Defaults to 1e-12.
        ord (float): Which Lp norm becomes 1 (``torch.linalg.vector_norm``'s
            ``ord``). Defaults to 2.

    Returns:
        Tensor: Same shape as ``feats``; unit vectors, or zeros.
    """
    norms = torch.linalg.vector_norm(feats, ord=ord, dim=dim, keepdim=True)
    # The clamp keeps the unused branch of the ``where`` finite: an inf or
    # NaN there would turn into a NaN gradient even though it is not chosen.
    scaled = feats / norms.clamp_min(eps)
    return torch.where(norms > eps, scaled, torch.zeros_like(scaled))
