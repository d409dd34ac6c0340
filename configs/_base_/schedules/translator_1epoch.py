# Phase 1 of knowledge adaptation: the knowledge translator trains for one
# epoch ("within one epoch") with SGD at lr 0.1 and the "large weight decay"
# 1e-4 (both blanks of the paper, from its reading note and torchdistill;
# momentum 0.9 as torchdistill), at a constant lr. The checkpoint at the end
# of the epoch (epoch_1.pth) is what phase 2 loads. Nothing is validated
# (the leaf also drops the val dataloader and evaluator, which the dataset
# base owns, and sets a sampler that ends the epoch).
_base_ = ['mmseg::_base_/schedules/schedule_20k.py']
optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=1e-4))
param_scheduler = []
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=1)
val_cfg = None
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1))
