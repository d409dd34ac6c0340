# scenes-128x128.py for a student: the labels of the first `num_labelled`
# scenes plus the images of the other training scenes without labels
# (tools/demo.py copies them to leftImg8bit/unlabelled), 8 labelled + 8
# unlabelled images per iteration (mmdet's MultiSourceSampler), so that the
# labelled batches are those of a student on scenes-128x128.py.
_base_ = ['./scenes-128x128.py']
unlabelled_images = dict(
    type='UnlabelledImageDataset',
    data_root=_base_.data_root,
    data_prefix=dict(img_path='leftImg8bit/unlabelled'),
    img_suffix='_leftImg8bit.png',
    metainfo_from='CityscapesDataset',
    pipeline=_base_.train_pipeline)
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
                indices=_base_.num_labelled), unlabelled_images
        ]))
