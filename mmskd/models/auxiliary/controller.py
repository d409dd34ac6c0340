# Copyright (c) mmskd contributors. All rights reserved.
"""The controller of the auxiliary search (thesis §6.3.4): an LSTM that
writes a structure token by token, five tokens a cell."""
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.distributions import Categorical

from mmskd.registry import MODELS
from .search_space import (ADAPTOR_OPS, AGGREGATORS, TOKENS_PER_CELL, Cell,
                           check_structure, num_candidates)

# What each of a cell's five tokens chooses.
TOKEN_KINDS = ('position', 'position', 'op', 'op', 'aggregator')


@MODELS.register_module()
class AuxiliaryController(BaseModule):
    """An LSTM controller over auxiliary structures.

    Each step feeds the embedding of the previous token (a start token
    first) to an LSTM cell, whose state a linear layer per token kind turns
    into the next token's logits: an entry of ``loc`` (only those the cell
    may read), an adaptor op, an aggregator. A structure's log-probability
    is the sum over its tokens; PPO (:mod:`mmskd.search.ppo`) trains it.

    Args:
        num_inputs (int): The backbone outputs the auxiliary module takes
            (and so its number of cells).
        hidden_size (int): The LSTM's width and the embeddings'. Defaults
            to 64 (not in the thesis).
        init_cfg (dict, optional): mmengine's initialisation config.
    """

    def __init__(self,
                 num_inputs: int,
                 hidden_size: int = 64,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.num_inputs = num_inputs
        self.hidden_size = hidden_size
        positions = num_candidates(num_inputs, num_inputs - 1)
        sizes = dict(
            position=positions,
            op=len(ADAPTOR_OPS),
            aggregator=len(AGGREGATORS))
        # One embedding table: the start token, then each kind's tokens.
        self.offsets = dict(position=1)
        self.offsets['op'] = self.offsets['position'] + positions
        self.offsets['aggregator'] = self.offsets['op'] + len(ADAPTOR_OPS)
        self.embedding = nn.Embedding(1 + sum(sizes.values()), hidden_size)
        self.lstm = nn.LSTMCell(hidden_size, hidden_size)
        self.heads = nn.ModuleDict({
            kind: nn.Linear(hidden_size, size)
            for kind, size in sizes.items()
        })

    def _write(self, choose: Callable[[Categorical, int], Tensor]
               ) -> Tuple[List[int], Tensor, Tensor]:
        """Run the LSTM over a structure's tokens, each picked by
        ``choose(distribution, step)``.

        Returns:
            tuple: The tokens, their summed log-probability and entropy.
        """
        hidden = cell_state = self.embedding.weight.new_zeros(
            1, self.hidden_size)
        token = self.embedding.weight.new_zeros(1, dtype=torch.long)
        tokens, log_prob, entropy = [], 0., 0.
        for step in range(self.num_inputs * TOKENS_PER_CELL):
            kind = TOKEN_KINDS[step % TOKENS_PER_CELL]
            hidden, cell_state = self.lstm(
                self.embedding(token), (hidden, cell_state))
            logits = self.heads[kind](hidden)[0]
            if kind == 'position':
                readable = num_candidates(self.num_inputs,
                                          step // TOKENS_PER_CELL)
                logits = logits[:readable]
            distribution = Categorical(logits=logits)
            choice = choose(distribution, step)
            log_prob = log_prob + distribution.log_prob(choice)
            entropy = entropy + distribution.entropy()
            tokens.append(int(choice))
            token = (choice + self.offsets[kind]).view(1)
        return tokens, log_prob, entropy

    def sample(self, generator: Optional[torch.Generator] = None
               ) -> Tuple[List[Cell], Tensor, Tensor]:
        """Sample a structure.

        Args:
            generator (torch.Generator, optional): The sampling's random
                numbers (a search seeds one, to resume exactly).

        Returns:
            tuple: The cells, their log-probability and the summed entropy
            of every token's distribution (both differentiable).
        """

        def draw(distribution: Categorical, step: int) -> Tensor:
            return torch.multinomial(
                distribution.probs.detach(), 1, generator=generator)[0]

        tokens, log_prob, entropy = self._write(draw)
        return self.to_cells(tokens), log_prob, entropy

    def evaluate(self, cells: Sequence[Cell]) -> Tuple[Tensor, Tensor]:
        """The log-probability of a structure and the summed entropy of the
        distributions its tokens are drawn from.

        Args:
            cells (Sequence): A structure of the space.

        Returns:
            tuple[Tensor]: Both differentiable.
        """
        tokens = self.to_tokens(cells)

        def replay(distribution: Categorical, step: int) -> Tensor:
            return torch.tensor(
                tokens[step], device=distribution.logits.device)

        _, log_prob, entropy = self._write(replay)
        return log_prob, entropy

    def to_cells(self, tokens: Sequence[int]) -> List[Cell]:
        """Tokens (indices) -> the cells they write."""
        cells = []
        for start in range(0, len(tokens), TOKENS_PER_CELL):
            input_1, input_2, op_1, op_2, aggregator = \
                tokens[start:start + TOKENS_PER_CELL]
            cells.append((input_1, input_2, ADAPTOR_OPS[op_1],
                          ADAPTOR_OPS[op_2], AGGREGATORS[aggregator]))
        return check_structure(cells, self.num_inputs)

    def to_tokens(self, cells: Sequence[Cell]) -> List[int]:
        """Cells -> the tokens (indices) that write them."""
        tokens = []
        for input_1, input_2, op_1, op_2, aggregator in check_structure(
                cells, self.num_inputs):
            tokens += [
                input_1, input_2,
                ADAPTOR_OPS.index(op_1),
                ADAPTOR_OPS.index(op_2),
                AGGREGATORS.index(aggregator)
            ]
        return tokens
