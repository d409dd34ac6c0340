# Copyright (c) mmskd contributors. All rights reserved.
"""The documentation's links and config paths point at files that exist.

Covers README.md, docs/**/*.md and configs/*/README.md without building the
docs (``make docs`` does that): every relative Markdown link or image resolves
to an existing file (anchors are not checked), every ``configs/...py`` path
named in the text exists, MyST ``{include}`` targets exist, and no page refers
to paths outside the repository or to issue numbers.
"""
import glob
import os.path as osp
import re

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _pages():
    pages = [osp.join(ROOT, 'README.md')]
    pages += glob.glob(osp.join(ROOT, 'docs', '**', '*.md'), recursive=True)
    pages += glob.glob(osp.join(ROOT, 'configs', '*', 'README.md'))
    return sorted(p for p in pages if '_build' not in p.split(osp.sep))


PAGES = _pages()
IDS = [osp.relpath(p, ROOT) for p in PAGES]

# [text](target) and ![alt](target); the target ends at whitespace or ')'.
LINK = re.compile(r'!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
CONFIG_PATH = re.compile(r'(?<![\w./-])(configs/[\w./{},-]+?\.py)\b')
INCLUDE = re.compile(r'```\{include\}\s+(\S+)')
FORBIDDEN = [
    ('../shared', re.compile(r'\.\./shared')),
    ('/work/', re.compile(r'/work/')),
    ('an issue number', re.compile(r'\bissues?\s*#?\s*\d+', re.IGNORECASE)),
    ('a commit hash', re.compile(r'\bcommit\s+[0-9a-f]{7,40}\b')),
    ("this machine", re.compile(r"this (project's )?machine", re.IGNORECASE)),
]


def _text(page):
    with open(page, encoding='utf-8') as f:
        return f.read()


def _expand(path):
    """``a_{x,y}_b.py`` -> ``a_x_b.py``, ``a_y_b.py`` (shell braces)."""
    match = re.search(r'\{([^{}]*)\}', path)
    if not match:
        return [path]
    out = []
    for part in match.group(1).split(','):
        out += _expand(path[:match.start()] + part + path[match.end():])
    return out


def test_pages_found():
    assert osp.join(ROOT, 'README.md') in PAGES
    assert any(osp.join('docs', 'en') in p for p in PAGES)


@pytest.mark.parametrize('page', PAGES, ids=IDS)
def test_relative_links_resolve(page):
    missing = []
    for target in LINK.findall(_text(page)) + INCLUDE.findall(_text(page)):
        if re.match(r'^[a-z][a-z0-9+.-]*:', target) or target.startswith('#'):
            continue  # a URL (http:, mailto:, ...) or an anchor on the page
        path = target.split('#', 1)[0]
        if not osp.exists(osp.normpath(osp.join(osp.dirname(page), path))):
            missing.append(target)
    assert not missing, \
        f'{osp.relpath(page, ROOT)} links to missing files: {missing}'


@pytest.mark.parametrize('page', PAGES, ids=IDS)
def test_named_configs_exist(page):
    missing = []
    for named in CONFIG_PATH.findall(_text(page)):
        if '*' in named or '...' in named:
            continue  # a pattern, not a file
        for path in _expand(named):
            if not osp.isfile(osp.join(ROOT, path)):
                missing.append(path)
    assert not missing, \
        f'{osp.relpath(page, ROOT)} names missing configs: {missing}'


@pytest.mark.parametrize('page', PAGES, ids=IDS)
def test_no_outside_references(page):
    text = _text(page)
    found = [name for name, pattern in FORBIDDEN if pattern.search(text)]
    assert not found, f'{osp.relpath(page, ROOT)} refers to {found}'
