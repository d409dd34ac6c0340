# Copyright (c) mmskd contributors. All rights reserved.
from .holistic_discriminator import HolisticDiscriminator

__all__ = ['HolisticDiscriminator']
