# Copyright (c) mmskd contributors. All rights reserved.
"""The scenes dataset of the CPU demo (mmskd.demo.scenes)."""
import numpy as np

from mmskd.demo import CLASSES_USED, render_scene, write_scenes


def test_scenes_are_deterministic_and_cityscapes_readable(tmp_path):
    from mmseg.datasets import CityscapesDataset

    # The val scenes do not depend on the number of training scenes.
    write_scenes(str(tmp_path / 'a'), seed=7, num_train=3, num_val=2)
    root = write_scenes(str(tmp_path / 'b'), seed=7, num_train=5, num_val=2)
    write_scenes(str(tmp_path / 'c'), seed=8, num_train=3, num_val=2)
    name = 'leftImg8bit/val/city/city_000001_000019_leftImg8bit.png'
    label = 'gtFine/train/city/city_000002_000019_gtFine_labelTrainIds.png'
    for path in (name, label):
        assert (tmp_path / 'a' / path).read_bytes() == \
            (tmp_path / 'b' / path).read_bytes()
        assert (tmp_path / 'a' / path).read_bytes() != \
            (tmp_path / 'c' / path).read_bytes()
    for split, count in (('train', 5), ('val', 2)):
        dataset = CityscapesDataset(
            data_root=root,
            data_prefix=dict(
                img_path=f'leftImg8bit/{split}',
                seg_map_path=f'gtFine/{split}'),
            pipeline=[],
            lazy_init=False)
        assert len(dataset) == count


def test_scene_labels_need_shape_texture_and_context():
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(40):
        image, labels = render_scene(rng, 128, 128)
        assert image.shape == (128, 128, 3) and image.dtype == np.uint8
        assert labels.shape == (128, 128)
        seen.update(np.unique(labels).tolist())
    assert seen <= set(CLASSES_USED)
    assert max(seen) < 19
    # Every class shows up, among them both classes of each ellipse texture
    # (rider/person, motorcycle/bicycle: the same object, another region).
    assert seen == set(CLASSES_USED)


def test_progress_bar_counts_every_scene(tmp_path, capsys):
    write_scenes(str(tmp_path), seed=8, num_train=3, num_val=2, progress=True)
    assert '5/5, ' in capsys.readouterr().out  # mmengine's progress bar
