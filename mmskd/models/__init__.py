# Copyright (c) mmskd contributors. All rights reserved.
from .adapters import *  # noqa: F401,F403
from .algorithms import *  # noqa: F401,F403
from .auxiliary import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .discriminators import *  # noqa: F401,F403
from .distillers import *  # noqa: F401,F403
from .flow import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .multi_task import *  # noqa: F401,F403
from .pruning import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .teachers import *  # noqa: F401,F403
