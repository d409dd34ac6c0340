# Copyright (c) mmskd contributors. All rights reserved.
"""The built sdist and wheel, mim on an installed mmskd, editable installs.

The wheel goes into a fresh virtual environment that sees the test
interpreter's packages (torch, mmcv, mm*) but not its mmskd, and every
command runs outside the repository without PYTHONPATH: what is tested is
what a user gets from ``pip install mmskd-*.whl``.
"""
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import sysconfig
import tarfile
from typing import Dict, List

import pytest
from mmengine.config import Config

from mmskd.testing import REPO, cli_options, tiny_seg_options

CONFIG = ('cwd_logits_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_'
          'cityscapes-512x1024.py')
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def fresh_venv(path: str) -> str:
    """A virtual environment whose imports fall back on this one's packages.

    ``venv --system-site-packages`` would expose the base interpreter's
    packages, not those of the virtual environment the tests run in, so the
    new environment gets a ``.pth`` file naming this one's site-packages.
    Python adds those folders to ``sys.path`` after the new environment's
    own, without running their ``.pth`` files: the editable mmskd of the
    test environment (an ``easy-install.pth`` or ``__editable__`` hook)
    stays out.

    Args:
        path (str): Where to create it.

    Returns:
        str: Its Python interpreter.
    """
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', path],
                   check=True)
    python = osp.join(path, 'bin', 'python')
    site = subprocess.run(
        [python, '-c', 'import sysconfig; '
         'print(sysconfig.get_path("purelib"))'],
        check=True, capture_output=True, text=True).stdout.strip()
    ours = {sysconfig.get_path('purelib'), sysconfig.get_path('platlib')}
    with open(osp.join(site, 'outer_site_packages.pth'), 'w') as file:
        file.write('\n'.join(sorted(ours)) + '\n')
    return python


def run_outside(args: List[str], cwd: str,
                timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a command with no PYTHONPATH, failing with its output."""
    env: Dict[str, str] = {
        key: value
        for key, value in os.environ.items() if key != 'PYTHONPATH'
    }
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout)
    assert result.returncode == 0, \
        f'{" ".join(args)} failed:\n{result.stdout[-3000:]}\n' \
        f'{result.stderr[-5000:]}'
    return result


@pytest.fixture(scope='module')
def dist_dir(tmp_path_factory) -> str:
    """The sdist and the wheel ``python -m build`` makes of this tree (the
    wheel is built from the sdist, as PyPI users get it)."""
    out = str(tmp_path_factory.mktemp('dist'))
    run_outside([
        sys.executable, '-m', 'build', '--no-isolation', '--outdir', out,
        REPO
    ], cwd=out)
    return out


@pytest.fixture(scope='module')
def wheel_python(dist_dir, tmp_path_factory) -> str:
    """The interpreter of a fresh environment with the wheel installed."""
    python = fresh_venv(str(tmp_path_factory.mktemp('wheel_env') / 'venv'))
    wheel, = glob.glob(osp.join(dist_dir, 'mmskd-*.whl'))
    run_outside([
        python, '-m', 'pip', 'install', '--no-deps', '--no-index',
        '--disable-pip-version-check', wheel
    ], cwd=dist_dir)
    return python


def test_sdist_holds_what_the_wheel_is_built_from(dist_dir):
    sdist, = glob.glob(osp.join(dist_dir, 'mmskd-*.tar.gz'))
    with tarfile.open(sdist) as archive:
        names = {name.split('/', 1)[1] for name in archive.getnames()
                 if '/' in name}
    leaf = osp.relpath(glob.glob(osp.join(REPO, 'configs', '*', CONFIG))[0],
                       REPO)
    assert {'setup.py', 'model-index.yml', 'requirements/runtime.txt',
            'tools/train.py', leaf} <= names
    assert not any('.mim' in name or '__pycache__' in name for name in names)


def test_wheel_installs_configs_tools_and_index_under_mim(wheel_python,
                                                          tmp_path):
    result = run_outside([
        wheel_python, '-c', 'import mmskd, os; print(os.path.dirname('
        'mmskd.__file__))'
    ], cwd=str(tmp_path))
    package = result.stdout.strip().splitlines()[-1]
    assert package.startswith(osp.dirname(osp.dirname(wheel_python)))
    mim = osp.join(package, '.mim')
    for name in MIM_FILES:
        assert osp.exists(osp.join(mim, name)), name
        assert not osp.islink(osp.join(mim, name)), f'{name} is a link'
    repo_configs = sorted(
        osp.relpath(path, REPO)
        for path in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                              recursive=True))
    installed = sorted(
        osp.relpath(path, mim)
        for path in glob.glob(osp.join(mim, 'configs', '**', '*.py'),
                              recursive=True))
    assert installed == repo_configs
    assert osp.isfile(osp.join(mim, 'tools', 'train.py'))


@pytest.fixture(scope='module')
def tiny_options(cityscapes_root) -> List[str]:
    """``--cfg-options`` for one iteration of CONFIG on generated data."""
    cfg = Config.fromfile(glob.glob(osp.join(REPO, 'configs', '*',
                                             CONFIG))[0])
    return cli_options(
        tiny_seg_options(cfg, cityscapes_root, max_iters=1, val_interval=1))


@pytest.fixture(scope='module')
def mim_trained(wheel_python, tiny_options, tmp_path_factory) -> tuple:
    """``mim train mmskd CONFIG`` by config name, outside the repository.

    Returns:
        tuple: The run's work dir and its output.
    """
    cwd = str(tmp_path_factory.mktemp('mim_train'))
    work_dir = osp.join(cwd, 'work')
    result = run_outside([
        wheel_python, '-m', 'mim', 'train', 'mmskd', CONFIG, '--gpus', '0',
        '--work-dir', work_dir, *tiny_options
    ], cwd=cwd)
    return work_dir, result.stdout + result.stderr


def test_mim_train_runs_the_packaged_config_and_tool(mim_trained):
    """mim finds the config in the wheel's ``.mim/configs`` and runs its
    ``.mim/tools/train.py``."""
    work_dir, log = mim_trained
    assert f'site-packages/mmskd/.mim/configs/cwd/{CONFIG}' in log
    assert 'site-packages/mmskd/.mim/tools/train.py' in log
    assert 'Iter(train) [1/1]' in log
    assert osp.isfile(osp.join(work_dir, 'iter_1.pth'))


def test_mim_test_evaluates_the_checkpoint(mim_trained, wheel_python,
                                           tiny_options, tmp_path):
    work_dir, _ = mim_trained
    result = run_outside([
        wheel_python, '-m', 'mim', 'test', 'mmskd', CONFIG, '--checkpoint',
        osp.join(work_dir, 'iter_1.pth'), '--gpus', '0', '--work-dir',
        str(tmp_path / 'test'), *tiny_options
    ], cwd=str(tmp_path))
    log = result.stdout + result.stderr
    assert 'site-packages/mmskd/.mim/tools/test.py' in log
    assert re.search(r'Iter\(test\) .*mIoU: \d', log), log[-2000:]


def test_mim_search_reads_the_model_index(wheel_python, tmp_path):
    found = str(tmp_path / 'found.json')
    run_outside([
        wheel_python, '-m', 'mim', 'search', 'mmskd', '--config',
        CONFIG[:-3], '--json', found
    ], cwd=str(tmp_path))
    with open(found) as file:
        entry = json.load(file)
    assert entry['config'] == {CONFIG[:-3]: f'configs/cwd/{CONFIG}'}
    assert entry['student'][CONFIG[:-3]]['Config'] == \
        'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'


def test_editable_install_links_the_mim_files(tmp_path):
    python = fresh_venv(str(tmp_path / 'venv'))
    run_outside([
        python, '-m', 'pip', 'install', '--no-deps', '--no-index',
        '--no-build-isolation', '--disable-pip-version-check', '-e', REPO
    ], cwd=str(tmp_path))
    mim = osp.join(REPO, 'mmskd', '.mim')
    for name in MIM_FILES:
        link = osp.join(mim, name)
        assert osp.islink(link), f'{name} is not a link'
        assert osp.samefile(link, osp.join(REPO, name))
    # mim locates the editable package in the repository.
    result = run_outside([
        python, '-c', 'from mim.utils import get_installed_path; '
        'print(get_installed_path("mmskd"))'
    ], cwd=str(tmp_path))
    assert osp.samefile(result.stdout.strip().splitlines()[-1],
                        osp.join(REPO, 'mmskd'))
