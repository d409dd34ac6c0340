# Copyright (c) mmskd contributors. All rights reserved.
"""The search space of the auxiliary module (thesis §6.3.4, after Nekrasov
et al.): a structure is a plain list of cells, each five tokens.

A cell ``[input_1, input_2, op_1, op_2, aggregator]`` reads two entries of
``loc`` -- the backbone's outputs, then the outputs of the cells before it,
in order -- passes each through an adaptor op and aggregates the two; its
output is appended to ``loc``. A structure has as many cells as the module
takes backbone outputs, and the module predicts from its last cell.
"""
from typing import List, Sequence, Tuple, Union

# The adaptor ops (op_ad) and the aggregators (op_ag), in the thesis's order;
# a controller's token is an index into these.
ADAPTOR_OPS: Tuple[str, ...] = ('sep_conv3x3', 'conv1x1', 'sep_conv3x3_d3',
                                'sep_conv3x3_d6', 'skip', 'deform_conv3x3')
AGGREGATORS: Tuple[str, ...] = ('sum', 'concat')
TOKENS_PER_CELL = 5

Cell = Tuple[int, int, str, str, str]


def num_candidates(num_inputs: int, cell: int) -> int:
    """How many entries of ``loc`` the cell at index ``cell`` may read: the
    backbone's ``num_inputs`` outputs and every earlier cell's output."""
    return num_inputs + cell


def check_structure(cells: Sequence[Sequence[Union[int, str]]],
                    num_inputs: int) -> List[Cell]:
    """A structure as tuples, after checking every token.

    Args:
        cells (Sequence): ``[input_1, input_2, op_1, op_2, aggregator]``
            per cell.
        num_inputs (int): The backbone outputs the module takes.

    Returns:
        list[tuple]: The cells.

    Raises:
        ValueError: Naming the cell and the token that is wrong.
    """
    if len(cells) != num_inputs:
        raise ValueError(
            f'An auxiliary structure has one cell per backbone output it '
            f'takes ({num_inputs}); got {len(cells)} cells.')
    checked = []
    for index, cell in enumerate(cells):
        if len(cell) != TOKENS_PER_CELL:
            raise ValueError(
                f'Cell {index} is {list(cell)}; a cell is [input_1, input_2, '
                f'op_1, op_2, aggregator].')
        input_1, input_2, op_1, op_2, aggregator = cell
        readable = num_candidates(num_inputs, index)
        for position in (input_1, input_2):
            if not isinstance(position, int) or not 0 <= position < readable:
                raise ValueError(
                    f'Cell {index} reads loc[{position!r}]; it may read 0 to '
                    f'{readable - 1} (the {num_inputs} backbone outputs, then '
                    'the cells before it).')
        for op in (op_1, op_2):
            if op not in ADAPTOR_OPS:
                raise ValueError(f'Cell {index} has the adaptor op {op!r}; '
                                 f'the ops are {", ".join(ADAPTOR_OPS)}.')
        if aggregator not in AGGREGATORS:
            raise ValueError(
                f'Cell {index} has the aggregator {aggregator!r}; the '
                f'aggregators are {", ".join(AGGREGATORS)}.')
        checked.append((input_1, input_2, op_1, op_2, aggregator))
    return checked


def basic_module_cells(num_inputs: int) -> List[Cell]:
    """The basic module (thesis eq. 6.1) as a point of the space.

    The first cell adapts the first output twice with 1x1 convolutions and
    sums them (with the second branch's weights and BN shift at zero it is
    :math:`A^1(O_1)`); cell l concatenates the previous cell's output,
    unchanged, with a 1x1 adaptor of output l: :math:`h_l = h_{l-1} \\odot
    A^l(O_l)`.

    Args:
        num_inputs (int): The backbone outputs the module takes.

    Returns:
        list[tuple]: The cells.
    """
    first = (0, 0, 'conv1x1', 'conv1x1', 'sum')
    return [first] + [(num_inputs + index - 1, index, 'skip', 'conv1x1',
                       'concat') for index in range(1, num_inputs)]
