# The demo's distilled student with unlabelled images added: the distilled
# config (same terms, teacher, schedule and seed) whose batches hold its 8
# labelled scenes plus 8 scenes whose labels it never sees; the teacher
# scores those too (UnlabelledImageDataset: no task loss, every term).
_base_ = ['./skd_cwd_pspnet_r101-d8_pspnet_r18-d8_scenes-128x128.py']
train_dataloader = dict(_delete_=True, **_base_.demo_unlabelled_loader)
