# Copyright (c) mmskd contributors. All rights reserved.
"""Searching the auxiliary module (thesis §6.3.4): the controller's PPO
updates and the reward."""
from .ppo import PPOSettings, RewardBaseline, ppo_update
from .reward import geometric_mean_reward
from .searcher import AuxiliarySearch, SearchSettings

__all__ = [
    'AuxiliarySearch', 'PPOSettings', 'RewardBaseline', 'SearchSettings',
    'geometric_mean_reward', 'ppo_update'
]
