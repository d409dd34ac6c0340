# Copyright (c) mmskd contributors. All rights reserved.
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


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
        tests=read_requirements('tests.txt')),
    zip_safe=False)
