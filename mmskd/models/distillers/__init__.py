# Copyright (c) mmskd contributors. All rights reserved.
from .connector_channels import infer_connector_channels, recorded_channels
from .structured_distiller import StructuredDistiller

__all__ = [
    'StructuredDistiller', 'infer_connector_channels', 'recorded_channels'
]
