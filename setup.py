# Copyright (c) mmskd contributors. All rights reserved.
import os
import os.path as osp
import re
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.develop import develop

HERE = osp.dirname(osp.abspath(__file__))
# What `mim train/test/search mmskd` look for in the installed package, under
# mmskd/.mim, as in mmseg and mmrazor.
MIM_FILES = ('configs', 'tools', 'model-index.yml')
MIM_DIR = osp.join('mmskd', '.mim')


def read_version() -> str:
    with open(osp.join(HERE, 'mmskd', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def read_requirements(name: str) -> list:
    """Requirement lines of ``requirements/<name>``, comments dropped."""
    with open(osp.join(HERE, 'requirements', name)) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line and not line.startswith('-')]


def read_readme() -> str:
    with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
        return f.read()


def install_mim_files(target: str, link: bool) -> None:
    """Put ``MIM_FILES`` of the repository into ``target`` (a ``.mim``).

    Editable installs link them, so that edits to the repository's configs
    and tools take effect at once; wheels copy them, since a wheel holds
    files, not links. Where links cannot be made (Windows without the
    right), they are copied too.

    Args:
        target (str): The ``.mim`` folder to fill.
        link (bool): Link (True) or copy (False).
    """
    os.makedirs(target, exist_ok=True)
    for name in MIM_FILES:
        source, dest = osp.join(HERE, name), osp.join(target, name)
        if osp.islink(dest) or osp.isfile(dest):
            os.remove(dest)
        elif osp.isdir(dest):
            shutil.rmtree(dest)
        if link:
            try:
                os.symlink(osp.relpath(source, target), dest)
                continue
            except OSError:
                pass
        if osp.isdir(source):
            shutil.copytree(
                source,
                dest,
                ignore=shutil.ignore_patterns('__pycache__', '*.py[cod]'))
        else:
            shutil.copyfile(source, dest)


class BuildPyWithMim(build_py):
    """``build_py`` that also installs the mim files: copied into the
    build (wheels), or linked in the source tree for an editable install
    (PEP 660, ``editable_mode``)."""

    def run(self) -> None:
        super().run()
        if getattr(self, 'editable_mode', False):
            install_mim_files(osp.join(HERE, MIM_DIR), link=True)
        else:
            install_mim_files(osp.join(self.build_lib, MIM_DIR), link=False)


class DevelopWithMim(develop):
    """``setup.py develop`` (pip's legacy editable install, which runs no
    ``build_py``) that links the mim files in the source tree."""

    def run(self) -> None:
        install_mim_files(osp.join(HERE, MIM_DIR), link=True)
        super().run()


setup(
    name='mmskd',
    version=read_version(),
    description='Structured knowledge distillation for dense prediction '
    'in OpenMMLab 2.0 (mmsegmentation 1.x, mmdetection 3.x)',
    long_description=read_readme(),
    long_description_content_type='text/markdown',
    keywords='knowledge distillation, semantic segmentation, object '
    'detection, OpenMMLab',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'demo')),
    include_package_data=True,
    python_requires='>=3.8',
    license='Apache License 2.0',
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    install_requires=read_requirements('runtime.txt'),
    extras_require=dict(
        mim=read_requirements('mminstall.txt'),
        optional=read_requirements('optional.txt'),
        tests=read_requirements('tests.txt')),
    cmdclass=dict(build_py=BuildPyWithMim, develop=DevelopWithMim),
    zip_safe=False)
