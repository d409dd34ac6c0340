# The generated clips (`mmskd.ablation.write_clips`; tools/analysis_tools/
# ablation.py writes them): camera pans over the demo's scenes in the
# layout of the Cityscapes sequences, with the true flow as .npy files. Read
# as cityscapes-seq-512x1024.py reads Cityscapes, at the scenes' size
# (scenes-128x128.py): training (frame_f, labelled, frame_b) at gap 1 or 2
# through one random rescale, crop and flip, with their flow; validation
# the labelled frame and the next, for mIoU and TC. The flow comes from the
# files: the rows set model.flow_source=dict(_delete_=True,
# type='PrecomputedFlow').
_base_ = ['./cityscapes-seq-512x1024.py']
data_root = 'data/mmskd_clips'
crop_size = (128, 128)
num_labelled = 100
train_pipeline = [
    dict(step, scale=(128, 128))
    if step['type'] == 'RandomResize' else dict(step, crop_size=crop_size)
    if step['type'] == 'SequenceRandomCrop' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, scale=(128, 128)) if step['type'] == 'Resize' else step
    for step in _base_.test_pipeline
]
# Batches of 8 clips, no dataloader workers (as scenes-128x128.py).
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        flow_suffix='.npy',
        pipeline=train_pipeline,
        data_prefix=dict(
            img_path='leftImg8bit/train',
            seg_map_path='gtFine/train',
            seq_path='leftImg8bit_sequence/train',
            flow_path='flow/train')))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        flow_suffix='.npy',
        pipeline=test_pipeline,
        data_prefix=dict(
            img_path='leftImg8bit/val',
            seg_map_path='gtFine/val',
            seq_path='leftImg8bit_sequence/val',
            flow_path='flow/val')))
test_dataloader = val_dataloader
