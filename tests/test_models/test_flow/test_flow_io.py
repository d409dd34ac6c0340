# Copyright (c) mmskd contributors. All rights reserved.
import os.path as osp
import struct

import numpy as np
import pytest

from mmskd.models.flow import read_flo, read_flow, write_flo


def random_flow(height=5, width=7, seed=0):
    return np.random.default_rng(seed).normal(size=(height, width, 2)).astype(
        np.float32) * 10


def test_flo_round_trip_and_layout(tmp_path):
    flow = random_flow()
    path = str(tmp_path / 'sub' / 'pair.flo')
    write_flo(path, flow)
    with open(path, 'rb') as file:
        data = file.read()
    # Header: the magic 202021.25 (bytes 'PIEH'), width, height; then the
    # row-major (dx, dy) pairs, all little-endian.
    assert data[:4] == b'PIEH'
    assert struct.unpack('<f', data[:4])[0] == 202021.25
    assert struct.unpack('<ii', data[4:12]) == (7, 5)
    assert len(data) == 12 + 5 * 7 * 2 * 4
    dx, dy = struct.unpack('<ff', data[12 + 8 * (2 * 7 + 3):][:8])
    assert (dx, dy) == (flow[2, 3, 0], flow[2, 3, 1])
    loaded = read_flo(path)
    assert loaded.dtype == np.float32 and loaded.shape == (5, 7, 2)
    assert np.array_equal(loaded, flow)
    assert np.array_equal(read_flow(path), flow)


def test_npy_round_trip(tmp_path):
    flow = random_flow(3, 4)
    path = str(tmp_path / 'pair.npy')
    np.save(path, flow.astype(np.float64))
    loaded = read_flow(path)
    assert loaded.dtype == np.float32 and np.array_equal(loaded, flow)


def write_bytes(tmp_path, name, data):
    path = str(tmp_path / name)
    with open(path, 'wb') as file:
        file.write(data)
    return path


def test_wrong_magic_names_the_file(tmp_path):
    header = struct.pack('<fii', 1.0, 2, 2)
    path = write_bytes(tmp_path, 'bad.flo', header + bytes(2 * 2 * 2 * 4))
    with pytest.raises(ValueError, match='bad.flo.*magic.*202021.25'):
        read_flow(path)


@pytest.mark.parametrize('data, match', [
    (b'PIE', 'shorter than the 12-byte header'),
    (struct.pack('<fii', 202021.25, 0, 3), 'must be > 0'),
    (struct.pack('<fii', 202021.25, 3, 2) + bytes(4 * 11), '2x3 flow'),
    (struct.pack('<fii', 202021.25, 3, 2) + bytes(4 * 13), '2x3 flow'),
])
def test_malformed_flo_names_the_file(tmp_path, data, match):
    path = write_bytes(tmp_path, 'broken.flo', data)
    with pytest.raises(ValueError, match=match) as error:
        read_flo(path)
    assert 'broken.flo' in str(error.value)


def test_npy_of_wrong_layout_names_the_file(tmp_path):
    path = str(tmp_path / 'chw.npy')
    np.save(path, np.zeros((2, 5, 7), np.float32))
    with pytest.raises(ValueError, match=r'chw.npy.*\(2, 5, 7\).*\(H, W, 2\)'):
        read_flow(path)


def test_missing_file_and_unknown_extension(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.flo'):
        read_flow(str(tmp_path / 'nowhere.flo'))
    path = write_bytes(tmp_path, 'flow.png', b'\x89PNG')
    with pytest.raises(ValueError, match=r"flow.png.*'.png'"):
        read_flow(path)


def test_write_flo_refuses_other_shapes(tmp_path):
    with pytest.raises(ValueError, match=r'\(H, W, 2\)'):
        write_flo(str(tmp_path / 'x.flo'), np.zeros((2, 5, 7)))
    assert not osp.exists(str(tmp_path / 'x.flo'))
