# Copyright (c) mmskd contributors. All rights reserved.
"""mmskd: structured knowledge distillation for OpenMMLab 2.0.

Importing the package registers every mmskd module in the ``mmskd`` registry
scope, and its datasets and data transforms in mmseg's, where segmentation
configs build their data (``custom_imports=dict(imports=['mmskd'])`` in a
config does this).
"""
from .utils.mmrazor_compat import patch_mmrazor_quantization_import

patch_mmrazor_quantization_import()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__, version_info  # noqa: E402

__all__ = ['__version__', 'version_info']
