# CamVid (camvid-360x480.py) plus 2000 Cityscapes images as unlabelled
# images, the paper's extra data for CamVid (SKD section 3.4.1, Table 3.9
# "unl"; which 2000 is not said: these are the first 2000 of
# leftImg8bit/train by path, their labels unused). They take CamVid's train
# pipeline (a 2048x1024 image shrinks to CamVid's scale) with a placeholder
# for the labels; the student's task loss leaves them out. Each GPU's batch
# is the plain config's 2 labelled images plus 2 unlabelled ones (mmdet's
# MultiSourceSampler).
_base_ = ['./camvid-360x480.py']
unlabelled_images = dict(
    type='UnlabelledImageDataset',
    data_root='data/cityscapes/',
    data_prefix=dict(img_path='leftImg8bit/train'),
    img_suffix='_leftImg8bit.png',
    indices=2000,
    metainfo_from='CamVidDataset',
    pipeline=_base_.train_pipeline)
train_dataloader = dict(
    batch_size=4,
    sampler=dict(
        _delete_=True,
        type='mmdet.MultiSourceSampler',
        batch_size=4,
        source_ratio=[1, 1]),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[_base_.train_dataloader.dataset, unlabelled_images]))
