# Cityscapes 512x1024 (cityscapes-512x1024.py) plus the 19,998 images of
# leftImg8bit/train_extra (Cityscapes' leftImg8bit_trainextra package; its
# coarse labels are not used) as unlabelled images: every distillation term
# sees them, the student's task loss does not (UnlabelledImageDataset, whose
# pipeline is the labelled one with a placeholder for the labels).
# Each GPU's batch is the plain config's 2 labelled images plus 2 unlabelled
# ones (mmdet's MultiSourceSampler fixes the mix per batch; with random
# mixing most batches of 2 would hold no labelled image at all).
_base_ = ['./cityscapes-512x1024.py']
unlabelled_images = dict(
    type='UnlabelledImageDataset',
    data_root=_base_.data_root,
    data_prefix=dict(img_path='leftImg8bit/train_extra'),
    img_suffix='_leftImg8bit.png',
    metainfo_from='CityscapesDataset',
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
