# The demo's data, schedule and model widths, shared by its four configs
# (teacher, student, distilled, distilled + unlabelled). They are variables
# with a `demo_` prefix: the mmseg configs the demo inherits already define
# `train_dataloader`, `train_cfg` and the like, and mmengine refuses one key
# in two bases, so each leaf config assigns them, e.g.
# `train_dataloader = _base_.demo_train_loader`.
#
# Data: `mmskd.datasets.write_scenes` (tools/demo.py writes it), in the
# Cityscapes layout, read by mmskd's CheckedCityscapesDataset (mmseg's
# CityscapesDataset with its labels checked at load) with mmseg's Cityscapes
# pipeline at the scenes' size: 128 x 128 images instead of 2048 x 1024, the
# same random rescale (0.5 to 2), crop, flip and photometric distortion.
demo_data_root = 'data/mmskd_scenes'
demo_size = (128, 128)  # (height, width)
demo_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(128, 128),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=(128, 128), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
demo_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
# The 4 x 2 images per iteration of the model-zoo schedules, in one process
# (tools/demo.py splits the teacher's into two processes of 4). No
# dataloader workers: they would compete with training for 2 CPU cores.
demo_train_loader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='CheckedCityscapesDataset',
        data_root=demo_data_root,
        pipeline=demo_train_pipeline))
# Few labels, many images: the teacher learns from all training scenes with
# their labels; the student (alone and distilled) from the labels of the
# first `demo_num_labelled` only; "distilled + unlabelled" also sees the
# images of the other scenes without labels (tools/demo.py copies them to
# leftImg8bit/unlabelled), 8 labelled + 8 unlabelled images per iteration
# (mmdet's MultiSourceSampler), so that its labelled batches are the
# distilled student's.
demo_num_labelled = 100
demo_labelled_loader = dict(
    demo_train_loader,
    dataset=dict(demo_train_loader['dataset'], indices=demo_num_labelled))
demo_unlabelled_images = dict(
    type='UnlabelledImageDataset',
    data_root=demo_data_root,
    data_prefix=dict(img_path='leftImg8bit/unlabelled'),
    img_suffix='_leftImg8bit.png',
    metainfo_from='CityscapesDataset',
    pipeline=demo_train_pipeline)
demo_unlabelled_loader = dict(
    demo_labelled_loader,
    batch_size=16,
    sampler=dict(
        type='mmdet.MultiSourceSampler', batch_size=16, source_ratio=[1, 1]),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(
                data_prefix=dict(
                    img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                **demo_labelled_loader['dataset']),
            demo_unlabelled_images
        ]))
demo_test_loader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='CheckedCityscapesDataset',
        data_root=demo_data_root,
        pipeline=demo_test_pipeline))

# Schedule: mmseg's SGD (momentum 0.9, weight decay 5e-4) and poly decay to
# 1e-4, shortened to `demo_iters`, with lr 0.05 instead of 0.01: the models
# start from scratch, not from ImageNet weights (chosen on the teacher and
# the student baseline, seed 100, before any distilled run). The teacher, a
# given model in the papers' setting, keeps the 400 iterations it was chosen
# with (a one-process trial of 300 at seed 0 ended 3.2 mIoU above its
# student); the students get 300, which keeps `make demo` well inside 15 min
# on a slower 2-core machine (on one core an iteration of the teacher takes
# 0.55 s, of a distilled student 0.45 s, 0.55 s with the unlabelled images);
# `tools/demo.py --iters 400` is the longer schedule.
# The PolyLR has no `end`, so it ends at train_cfg.max_iters (mmengine's
# default) and `--cfg-options train_cfg.max_iters=N` shortens everything at
# once. The models validate once, at the end: that is the demo's table.
demo_teacher_iters = 400
demo_iters = 300
demo_optimizer = dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=0.0005)
demo_teacher_train_cfg = dict(
    max_iters=demo_teacher_iters, val_interval=demo_teacher_iters)
demo_train_cfg = dict(max_iters=demo_iters, val_interval=demo_iters)
demo_poly_lr = dict(
    type='PolyLR', eta_min=1e-4, power=0.9, begin=0, by_epoch=False)
# Only the last checkpoint is saved (interval -1, save_last), whatever the
# schedule's length.
demo_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=-1, save_last=True))
# deterministic=True (and one thread per run, tools/demo.py): the same seed
# on the same machine gives the same table.
demo_randomness = dict(seed=0, deterministic=True)

# Models: mmseg's PSPNet R-101-D8 (teacher) and R-18-D8 (student) with the
# ResNet widths cut to 1/4 and 1/8: the teacher is 4.3M parameters, the
# student 0.2M. No ImageNet weights (no network).
demo_teacher = dict(
    pretrained=None,
    data_preprocessor=dict(size=demo_size),
    backbone=dict(stem_channels=16, base_channels=16),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64))
demo_student = dict(
    pretrained=None,
    data_preprocessor=dict(size=demo_size),
    backbone=dict(stem_channels=16, base_channels=8),
    decode_head=dict(in_channels=64, channels=16),
    auxiliary_head=dict(in_channels=32, channels=8))
