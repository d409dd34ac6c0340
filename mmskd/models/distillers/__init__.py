# Copyright (c) mmskd contributors. All rights reserved.
from .connector_channels import infer_connector_channels, recorded_channels
from .recorders import check_recorder_exists
from .structured_distiller import StructuredDistiller

__all__ = [
    'StructuredDistiller', 'check_recorder_exists', 'infer_connector_channels',
    'recorded_channels'
]
