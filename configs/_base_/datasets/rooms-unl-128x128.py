# rooms-128x128.py for a student with unlabelled images (the thesis's
# "+Unl"): the depth maps of the first `num_labelled` rooms plus the images
# of every training room without depth, 8 + 8 per iteration (mmdet's
# MultiSourceSampler), so that the labelled batches are those of a student
# on rooms-128x128.py.
_base_ = ['./rooms-128x128.py']
unlabelled_rooms = dict(
    type='UnlabelledImageDataset',
    data_root=_base_.data_root,
    data_prefix=dict(img_path='images/train'),
    img_suffix='.jpg',
    metainfo_from='NYUDataset',
    # Without RandomDepthMix, which pastes the depth map into the image.
    pipeline=[
        step for step in _base_.train_pipeline
        if step['type'] != 'RandomDepthMix'
    ])
train_dataloader = dict(
    batch_size=16,
    sampler=dict(
        _delete_=True,
        type='mmdet.MultiSourceSampler',
        batch_size=16,
        source_ratio=[1, 1]),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(
                _base_.train_dataloader.dataset,
                indices=_base_.num_labelled), unlabelled_rooms
        ]))
