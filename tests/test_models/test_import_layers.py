# Copyright (c) mmskd contributors. All rights reserved.
"""Models never import the engine: ``mmskd.engine`` builds on
``mmskd.models``, not the other way round."""
import ast
import os.path as osp
from pathlib import Path
from typing import Iterator, Tuple

import mmskd.models

MODELS_DIR = Path(osp.dirname(mmskd.models.__file__))


def _imports(path: Path) -> Iterator[Tuple[int, str]]:
    """(line, absolute module) of every import in one models module."""
    package = '.'.join(('mmskd', ) +
                       path.relative_to(MODELS_DIR.parent).parent.parts)
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parent = package.split('.')[:len(package.split('.')) -
                                            node.level + 1]
                base = '.'.join(parent + ([base] if base else []))
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f'{base}.{alias.name}'


def test_no_models_module_imports_the_engine():
    offenders = [
        f'{path.relative_to(MODELS_DIR.parent.parent)}:{line} {module}'
        for path in sorted(MODELS_DIR.rglob('*.py'))
        for line, module in _imports(path)
        if module == 'mmskd.engine' or module.startswith('mmskd.engine.')
    ]
    assert not offenders, offenders


def test_the_check_resolves_relative_imports():
    path = MODELS_DIR / 'algorithms' / 'guarded_step.py'
    modules = {module for _, module in _imports(path)}
    assert 'mmskd.models.utils' in modules
    assert 'mmskd.models.utils.StepGuard' in modules
