# Copyright (c) mmskd contributors. All rights reserved.
from .adversarial_constructor import AdversarialOptimWrapperConstructor
from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper

__all__ = ['AdversarialOptimWrapperConstructor', 'CPUAmpOptimWrapper']
