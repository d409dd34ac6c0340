# Configuration of the Sphinx build of mmskd's documentation.
#
#   make docs   (sphinx-build -W -b html docs/en docs/en/_build/html)
#
# The pages are Markdown (MyST); api.rst documents mmskd from its docstrings,
# so mmskd and its OpenMMLab stack must be importable (autodoc imports them).
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, ROOT)

project = 'mmskd'
author = 'mmskd contributors'
copyright = 'mmskd contributors'


def _version():
    scope = {}
    with open(os.path.join(ROOT, 'mmskd', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


version = release = _version()

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
]
source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
root_doc = 'index'
exclude_patterns = ['_build', 'Thumbs.db', '.DS_Store']

# MyST: `#` headings get anchors down to level 3, so `page.md#section`
# links resolve; ```python fences are plain highlighted code.
myst_heading_anchors = 3
myst_enable_extensions = ['colon_fence', 'dollarmath']

# autodoc: members in source order, documented ones only, with the type of
# the registry-built classes' arguments taken from their docstrings.
autodoc_member_order = 'bysource'
autodoc_default_options = {'members': True, 'show-inheritance': True}
autodoc_typehints = 'description'
autodoc_inherit_docstrings = False
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = 'alabaster'
html_title = f'mmskd {release}'
html_static_path = []


def _escape_bars(app, what, name, obj, options, lines):
    """Read ``|x|`` in docstrings as the norm it means, not a substitution.

    The docstrings write norms and absolute values as ``|E(x)|``, which
    reStructuredText would take for a substitution reference; lines of a
    table (``+---+`` rules and ``| a | b |`` rows) are left alone.
    """
    for i, line in enumerate(lines):
        stripped = line.strip()
        table = stripped.startswith('+') or (
            stripped.startswith('|') and stripped.endswith('|')
            and stripped.count('|') > 2)
        if '|' in line and not table:
            lines[i] = line.replace('\\|', '|').replace('|', '\\|')


def setup(app):
    app.connect('autodoc-process-docstring', _escape_bars)
