# The demo's distilled student with unlabelled images added: the distilled
# config (same terms, teacher, schedule and seed) whose batches hold its 8
# labelled scenes plus 8 scenes whose labels it never sees; the teacher
# scores those too (UnlabelledImageDataset: no task loss, every term).
_base_ = [
    '../_base_/datasets/scenes-unl-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/adversarial_demo_300.py',
    '../_base_/methods/skd_pa_cwd.py',
]
model = dict(
    architecture=dict(
        cfg_path='{{fileDirname}}/pspnet_r18-d8_w8_scenes-128x128.py'),
    teacher=dict(
        cfg_path='{{fileDirname}}/pspnet_r101-d8_w16_scenes-128x128.py'),
    teacher_ckpt=None)
