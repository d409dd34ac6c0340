# "KA" of the ablation table `ka` (knowledge adaptation's Table 3), phase 2;
# tools/analysis_tools/ablation.py trains phase 1 (ka_translator_...py here)
# first and passes its checkpoint as model.translator_ckpt. The translator's
# code is at stride 16 (its encoder halves the teacher's stride 8), where
# the paper's student is; this stride-8 student's adapted features are
# resized to it (bilinearly, by the losses).
_base_ = [
    '../_base_/datasets/scenes-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_200.py',
    '../_base_/methods/ka.py',
    '../_base_/pairs/pspnet_r101-d8_w16_pspnet_r18-d8_w8_scenes-128x128.py',
]
resized = dict(resize_student=True)
model = dict(
    architecture=_base_.student, teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt, translator_ckpt=None,
    distiller=dict(
        distill_losses=dict(loss_adapt=resized, loss_aff=resized)))
train_dataloader = dict(dataset=dict(indices=_base_.num_labelled))
