# Copyright (c) mmskd contributors. All rights reserved.
from .auxiliary_cells_head import AuxiliaryCell, AuxiliaryCellsHead
from .auxiliary_module_head import AuxiliaryModuleHead
from .controller import AuxiliaryController
from .search_space import (ADAPTOR_OPS, AGGREGATORS, basic_module_cells,
                           check_structure)

__all__ = [
    'ADAPTOR_OPS', 'AGGREGATORS', 'AuxiliaryCell', 'AuxiliaryCellsHead',
    'AuxiliaryController', 'AuxiliaryModuleHead', 'basic_module_cells',
    'check_structure'
]
