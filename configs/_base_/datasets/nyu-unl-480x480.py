# nyu-480x480.py plus frames of NYU Depth v2's raw video sequences without
# depth maps (the paper's "+Unl": 30K frames) as unlabelled images: the
# distillation terms (pair-wise, holistic on the depth map, whose real
# sample is the teacher's depth) see them, the student's depth loss does
# not. Put the frames (the raw dataset's r-*.ppm files, any folder depth;
# its d-*.pgm depth files and other files are skipped) under
# data/nyu/unlabelled/; add `indices=30000` to take the first 30K, as the
# paper samples 30K, and set img_suffix for frames of another format.
# Each GPU's batch is the plain config's 3 labelled images plus 3 frames.
_base_ = ['./nyu-480x480.py']
unlabelled_frames = dict(
    type='UnlabelledImageDataset',
    data_root=_base_.train_dataloader.dataset.data_root,
    data_prefix=dict(img_path='unlabelled'),
    img_suffix='.ppm',
    metainfo_from='NYUDataset',
    # The labelled pipeline without RandomDepthMix, which pastes the depth
    # map into the image (a frame has none); its depth loader becomes a
    # placeholder (UnlabelledImageDataset).
    pipeline=[
        step for step in _base_.train_pipeline
        if step['type'] != 'RandomDepthMix'
    ])
train_dataloader = dict(
    batch_size=6,
    sampler=dict(
        _delete_=True,
        type='mmdet.MultiSourceSampler',
        batch_size=6,
        source_ratio=[1, 1]),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[_base_.train_dataloader.dataset, unlabelled_frames]))
